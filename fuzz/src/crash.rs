//! Panics as reports: kite must never panic, so a panic on any thread of the fuzzer is caught
//! where it happened and its message returned, instead of printed and lost among the output.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};

thread_local! {
    /// The message and location of this thread's latest panic, set by the hook.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Replaces the default panic hook (which prints) with one that records the panic for
/// [`catching`].
pub fn install_hook() {
    panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| format!(" at {l}")).unwrap_or_default();
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a non-string panic".to_string());
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(format!("{message}{location}")));
    }));
}

/// Runs `f`, returning its panic's message and location if it panics.
pub fn catching<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        LAST_PANIC.with(|last| last.borrow_mut().take()).unwrap_or_else(|| "a panic".to_string())
    })
}
