//! The process: `proc_exit` (an [`I32Exit`] error that unwinds the guest to the embedder),
//! `proc_raise` and `sched_yield`.

use crate::ctx::WasiCtx;
use crate::errno::{Errno, WasiResult};
use crate::memory::GuestMemory;
use crate::types::SIGNAL_MAX;

/// The guest called `proc_exit(code)`. It ends the call into Wasm as an error of this type;
/// `kite run` exits with the code, an embedder can `downcast_ref::<I32Exit>()` to find it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct I32Exit(pub i32);

impl std::fmt::Display for I32Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exited with status {}", self.0)
    }
}

impl std::error::Error for I32Exit {}

/// Sending a signal to the process is not something a sandboxed guest may do; signal 0 (none)
/// succeeds, as `kill(pid, 0)` does.
pub fn proc_raise(_: &mut WasiCtx, _: &mut GuestMemory<'_>, signal: u32) -> WasiResult<()> {
    match signal {
        0 => Ok(()),
        s if s <= SIGNAL_MAX => Err(Errno::Nosys),
        _ => Err(Errno::Inval),
    }
}

pub fn sched_yield(_: &mut WasiCtx, _: &mut GuestMemory<'_>) -> WasiResult<()> {
    std::thread::yield_now();
    Ok(())
}
