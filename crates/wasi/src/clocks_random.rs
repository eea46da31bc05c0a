//! Time and randomness: `clock_res_get`, `clock_time_get` (the four WASI clocks on the host's
//! `clock_gettime`) and `random_get` (the host's `getrandom`).

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult, cvt};
use crate::memory::GuestMemory;
use crate::types::clockid;

/// The host clock behind a WASI clock id, or `Inval` for an id WASI does not define.
pub(crate) fn host_clock(id: u32) -> WasiResult<libc::clockid_t> {
    Ok(match id {
        clockid::REALTIME => libc::CLOCK_REALTIME,
        clockid::MONOTONIC => libc::CLOCK_MONOTONIC,
        clockid::PROCESS_CPUTIME_ID => libc::CLOCK_PROCESS_CPUTIME_ID,
        clockid::THREAD_CPUTIME_ID => libc::CLOCK_THREAD_CPUTIME_ID,
        _ => return Err(Errno::Inval),
    })
}

/// The time of a host clock, in nanoseconds.
pub(crate) fn now(clock: libc::clockid_t) -> WasiResult<u64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec.
    cvt(unsafe { libc::clock_gettime(clock, &mut ts) })?;
    Ok(crate::types::timestamp(ts.tv_sec, ts.tv_nsec))
}

pub fn clock_res_get(_: &mut WasiCtx, mem: &mut GuestMemory<'_>, id: u32, res_ptr: u32) -> WasiResult<()> {
    let clock = host_clock(id)?;
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec.
    cvt(unsafe { libc::clock_getres(clock, &mut ts) })?;
    mem.write_u64(res_ptr, crate::types::timestamp(ts.tv_sec, ts.tv_nsec).max(1))
}

pub fn clock_time_get(
    _: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    _precision: u64,
    time_ptr: u32,
) -> WasiResult<()> {
    let t = now(host_clock(id)?)?;
    mem.write_u64(time_ptr, t)
}

pub fn random_get(_: &mut WasiCtx, mem: &mut GuestMemory<'_>, buf: u32, len: u32) -> WasiResult<()> {
    let mut out = mem.slice_mut(buf, len)?;
    while !out.is_empty() {
        // SAFETY: `out` is a valid, writable buffer of its length.
        let n = unsafe { libc::getrandom(out.as_mut_ptr().cast(), out.len(), 0) };
        if n < 0 {
            let e = Errno::last_os_error();
            if e == Errno::Intr {
                continue;
            }
            return Err(e);
        }
        out = &mut out[n as usize..];
    }
    Ok(())
}
