//! Sockets: `sock_accept`, `sock_recv`, `sock_send`, `sock_shutdown`.
//!
//! kite gives the guest no sockets (there is no way to preopen one), so every descriptor is
//! either closed (`Badf`) or not a socket (`Notsock`).

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::memory::GuestMemory;

fn no_socket(ctx: &WasiCtx, fd: u32) -> WasiResult<()> {
    ctx.get(fd)?;
    Err(Errno::Notsock)
}

pub fn sock_accept(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    fd: u32,
    _flags: u32,
    _fd_ptr: u32,
) -> WasiResult<()> {
    no_socket(ctx, fd)
}

#[allow(clippy::too_many_arguments, reason = "the WASI function's parameters")]
pub fn sock_recv(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    fd: u32,
    _iovs: u32,
    _len: u32,
    _flags: u32,
    _nread: u32,
    _oflags: u32,
) -> WasiResult<()> {
    no_socket(ctx, fd)
}

pub fn sock_send(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    fd: u32,
    _iovs: u32,
    _len: u32,
    _flags: u32,
    _nwritten: u32,
) -> WasiResult<()> {
    no_socket(ctx, fd)
}

pub fn sock_shutdown(ctx: &mut WasiCtx, _: &mut GuestMemory<'_>, fd: u32, _how: u32) -> WasiResult<()> {
    no_socket(ctx, fd)
}
