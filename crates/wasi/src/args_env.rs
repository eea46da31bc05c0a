//! Program arguments and environment: `args_get`, `args_sizes_get`, `environ_get`,
//! `environ_sizes_get`. Both are lists of NUL-terminated strings the guest copies out into an
//! array of pointers and one buffer.

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::memory::GuestMemory;

/// Writes `list` as the guest expects it: a pointer per string at `ptrs`, the strings one after
/// the other, each with its NUL, at `buf`.
fn write_list(mem: &mut GuestMemory<'_>, list: &[Vec<u8>], ptrs: u32, buf: u32) -> WasiResult<()> {
    let mut at = buf;
    for (i, s) in list.iter().enumerate() {
        mem.write_u32(ptrs + 4 * i as u32, at)?;
        mem.write(at, s)?;
        let end = at.checked_add(s.len() as u32).ok_or(Errno::Fault)?;
        mem.write_u8(end, 0)?;
        at = end + 1;
    }
    Ok(())
}

fn write_sizes(mem: &mut GuestMemory<'_>, list: &[Vec<u8>], count_ptr: u32, size_ptr: u32) -> WasiResult<()> {
    let count = u32::try_from(list.len()).map_err(|_| Errno::Overflow)?;
    let size: usize = list.iter().map(|s| s.len() + 1).sum();
    let size = u32::try_from(size).map_err(|_| Errno::Overflow)?;
    mem.write_u32(count_ptr, count)?;
    mem.write_u32(size_ptr, size)
}

pub fn args_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, argv: u32, argv_buf: u32) -> WasiResult<()> {
    write_list(mem, &ctx.args, argv, argv_buf)
}

pub fn args_sizes_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, argc: u32, size: u32) -> WasiResult<()> {
    write_sizes(mem, &ctx.args, argc, size)
}

pub fn environ_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, environ: u32, buf: u32) -> WasiResult<()> {
    write_list(mem, &ctx.env, environ, buf)
}

pub fn environ_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    count: u32,
    size: u32,
) -> WasiResult<()> {
    write_sizes(mem, &ctx.env, count, size)
}
