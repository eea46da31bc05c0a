//! `poll_oneoff`: waiting for clocks and for descriptors to become readable or writable.
//!
//! Clock subscriptions (relative or absolute, on any WASI clock) become one deadline on the
//! host's monotonic clock; descriptor subscriptions become `pollfd`s; one `ppoll` waits for
//! whichever comes first. Regular files are always ready, as POSIX says.

use crate::clocks_random::{host_clock, now};
use crate::ctx::{Handle, WasiCtx, fstat};
use crate::errno::{Errno, WasiResult};
use crate::memory::GuestMemory;
use crate::types::{event, rights, size};

struct Event {
    userdata: u64,
    error: Errno,
    ty: u8,
    nbytes: u64,
    flags: u16,
}

enum Sub {
    Clock { deadline: u64 },
    Fd { fd: u32, ty: u8 },
}

/// Bytes ready to read on `fd`, as far as the host can tell.
fn readable_bytes(fd: i32) -> u64 {
    if let Ok(st) = fstat(fd)
        && st.st_mode & libc::S_IFMT == libc::S_IFREG
    {
        // SAFETY: a plain syscall on an open descriptor.
        let pos = unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) };
        return (st.st_size as u64).saturating_sub(pos.max(0) as u64);
    }
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int.
    if unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) } == 0 { n.max(0) as u64 } else { 0 }
}

pub fn poll_oneoff(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    subs_ptr: u32,
    events_ptr: u32,
    count: u32,
    nevents_ptr: u32,
) -> WasiResult<()> {
    if count == 0 {
        return Err(Errno::Inval);
    }
    mem.check(subs_ptr, count.checked_mul(size::SUBSCRIPTION).ok_or(Errno::Fault)?)?;
    mem.check(events_ptr, count.checked_mul(size::EVENT).ok_or(Errno::Fault)?)?;
    mem.check(nevents_ptr, 4)?;

    let start = now(libc::CLOCK_MONOTONIC)?;
    let mut subs = Vec::with_capacity(count as usize);
    let mut events = Vec::new();
    for i in 0..count {
        let at = subs_ptr + i * size::SUBSCRIPTION;
        let userdata = mem.read_u64(at)?;
        let tag = mem.read_u8(at + 8)?;
        match tag {
            event::CLOCK => {
                let id = mem.read_u32(at + 16)?;
                let timeout = mem.read_u64(at + 24)?;
                let flags = mem.read_u16(at + 40)?;
                let clock = match host_clock(id) {
                    Ok(c) => c,
                    Err(error) => {
                        events.push(Event { userdata, error, ty: tag, nbytes: 0, flags: 0 });
                        continue;
                    }
                };
                let deadline = if flags & event::SUBSCRIPTION_CLOCK_ABSTIME != 0 {
                    // An absolute time on that clock: how far away it is, from now on ours.
                    start.saturating_add(timeout.saturating_sub(now(clock)?))
                } else {
                    start.saturating_add(timeout)
                };
                subs.push((userdata, Sub::Clock { deadline }));
            }
            event::FD_READ | event::FD_WRITE => {
                let fd = mem.read_u32(at + 16)?;
                let check = ctx.get(fd).and_then(|d| {
                    d.require(rights::POLL_FD_READWRITE)?;
                    match d.handle {
                        Handle::File(_) => Ok(()),
                        Handle::Dir(_) => Err(Errno::Badf),
                    }
                });
                match check {
                    Ok(()) => subs.push((userdata, Sub::Fd { fd, ty: tag })),
                    Err(error) => events.push(Event { userdata, error, ty: tag, nbytes: 0, flags: 0 }),
                }
            }
            _ => return Err(Errno::Inval),
        }
    }

    let mut pollfds: Vec<libc::pollfd> = Vec::new();
    let mut fd_subs = Vec::new();
    let mut deadline: Option<u64> = None;
    for (i, (_, sub)) in subs.iter().enumerate() {
        match *sub {
            Sub::Clock { deadline: d } => deadline = Some(deadline.map_or(d, |x: u64| x.min(d))),
            Sub::Fd { fd, ty } => {
                let raw = ctx.get(fd)?.raw_fd();
                let events = if ty == event::FD_READ { libc::POLLIN } else { libc::POLLOUT };
                pollfds.push(libc::pollfd { fd: raw, events, revents: 0 });
                fd_subs.push(i);
            }
        }
    }

    // Something already happened (a bad subscription): report it without waiting.
    let wait = events.is_empty();
    loop {
        let timeout = if !wait {
            Some(libc::timespec { tv_sec: 0, tv_nsec: 0 })
        } else {
            deadline.map(|d| {
                let left = d.saturating_sub(now(libc::CLOCK_MONOTONIC).unwrap_or(d));
                libc::timespec {
                    tv_sec: (left / 1_000_000_000) as libc::time_t,
                    tv_nsec: (left % 1_000_000_000) as libc::c_long,
                }
            })
        };
        let timeout_ptr = timeout.as_ref().map_or(std::ptr::null(), |t| t as *const _);
        // SAFETY: `pollfds` is a valid array of its length; the timeout, if any, lives here.
        let ret = unsafe {
            libc::ppoll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, timeout_ptr, std::ptr::null())
        };
        if ret < 0 {
            let e = Errno::last_os_error();
            if e == Errno::Intr {
                continue;
            }
            return Err(e);
        }
        if ret > 0 || !wait || deadline.is_none_or(|d| now(libc::CLOCK_MONOTONIC).map_or(true, |t| t >= d)) {
            break;
        }
    }

    let t = now(libc::CLOCK_MONOTONIC)?;
    for (i, (userdata, sub)) in subs.iter().enumerate() {
        match *sub {
            Sub::Clock { deadline } => {
                if t >= deadline {
                    events.push(Event {
                        userdata: *userdata,
                        error: Errno::Success,
                        ty: event::CLOCK,
                        nbytes: 0,
                        flags: 0,
                    });
                }
            }
            Sub::Fd { ty, .. } => {
                let p = pollfds[fd_subs.iter().position(|&j| j == i).expect("an fd subscription")];
                if p.revents == 0 {
                    continue;
                }
                let mut ev = Event { userdata: *userdata, error: Errno::Success, ty, nbytes: 0, flags: 0 };
                if p.revents & libc::POLLNVAL != 0 {
                    ev.error = Errno::Badf;
                } else if p.revents & libc::POLLERR != 0 && p.revents & (libc::POLLIN | libc::POLLOUT) == 0 {
                    ev.error = Errno::Io;
                } else {
                    if p.revents & libc::POLLHUP != 0 {
                        ev.flags |= event::FD_READWRITE_HANGUP;
                    }
                    if ty == event::FD_READ {
                        ev.nbytes = readable_bytes(p.fd);
                    }
                }
                events.push(ev);
            }
        }
    }

    for (i, ev) in events.iter().enumerate() {
        let at = events_ptr + i as u32 * size::EVENT;
        let mut b = [0u8; size::EVENT as usize];
        b[0..8].copy_from_slice(&ev.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&(ev.error as u16).to_le_bytes());
        b[10] = ev.ty;
        b[16..24].copy_from_slice(&ev.nbytes.to_le_bytes());
        b[24..26].copy_from_slice(&ev.flags.to_le_bytes());
        mem.write(at, &b)?;
    }
    mem.write_u32(nevents_ptr, events.len() as u32)
}
