//! Traps: catching them and reporting them.
//!
//! Wasm code is entered through `kite_catch` (C's `setjmp`). Faults in Wasm code (an access to a
//! guard page, a `ud2`/`udf` for an explicit trap) raise a signal; the handler checks that the
//! faulting pc is a trap site of published code, records the trap kind and the return addresses
//! found by walking frame pointers, and `longjmp`s back to the entry. Anything else goes to the
//! handler that was installed before ours, so a real crash stays a crash.

use crate::code_memory;
use crate::sys;
use crate::vm::VMStoreContext;
use kite_frontend::TrapKind;
use std::cell::Cell;
use std::ffi::c_void;
use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::Ordering;

const MAX_FRAMES: usize = 32;

/// A trap as the signal handler records it: no allocation, only addresses.
#[derive(Clone, Copy)]
struct RawTrap {
    kind: TrapKind,
    pcs: [usize; MAX_FRAMES],
    len: usize,
}

thread_local! {
    /// The innermost `kite_catch` jump buffer of this thread, null outside Wasm.
    static JMP_BUF: Cell<*mut c_void> = const { Cell::new(std::ptr::null_mut()) };
    static LAST_TRAP: Cell<Option<RawTrap>> = const { Cell::new(None) };
    static STACK_BOUNDS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    /// The exception that unwound to the innermost `kite_catch` (see `exceptions::throw`).
    static UNCAUGHT: Cell<*mut u8> = const { Cell::new(std::ptr::null_mut()) };
}

/// How a call into Wasm ended early.
#[derive(Debug)]
pub enum Unwound {
    Trap(Trap),
    /// An exception nobody caught (an exception object of the store).
    Exception(*mut u8),
}

/// This thread's stack: `(lowest, highest)` address.
pub(crate) fn stack_bounds() -> (usize, usize) {
    STACK_BOUNDS.with(|b| b.get())
}

/// Ends the innermost call from the host with `exn` as its result.
///
/// # Safety
/// Only Wasm frames, trampolines and Rust frames that own nothing may lie between the innermost
/// `kite_catch` of this thread and the caller.
pub(crate) unsafe fn unwind_with_exception(exn: *mut u8) -> ! {
    UNCAUGHT.with(|u| u.set(exn));
    let buf = JMP_BUF.with(|b| b.get());
    assert!(!buf.is_null(), "an exception thrown outside Wasm");
    // SAFETY: the caller's guarantee.
    unsafe { sys::kite_unwind(buf) }
}

/// WebAssembly execution stopped by a trap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    pub kind: TrapKind,
    /// Names of the Wasm functions on the stack, innermost first.
    pub backtrace: Vec<String>,
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.kind)?;
        if !self.backtrace.is_empty() {
            write!(f, " (in {})", self.backtrace.join(" <- "))?;
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}

impl Trap {
    pub fn new(kind: TrapKind) -> Trap {
        Trap { kind, backtrace: vec![] }
    }

    fn from_raw(raw: &RawTrap) -> Trap {
        let backtrace =
            raw.pcs[..raw.len].iter().filter_map(|pc| code_memory::lookup(*pc)?.function_at(*pc)).collect();
        Trap { kind: raw.kind, backtrace }
    }
}

struct PreviousHandlers(Vec<(i32, libc::sigaction)>);
// SAFETY: written once before any signal of ours can arrive, then only read.
unsafe impl Sync for PreviousHandlers {}
// SAFETY: as above.
unsafe impl Send for PreviousHandlers {}

static PREVIOUS: OnceLock<PreviousHandlers> = OnceLock::new();

fn install_handlers() {
    PREVIOUS.get_or_init(|| {
        let signals = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];
        PreviousHandlers(signals.iter().map(|s| (*s, sys::install_handler(*s, handle_signal))).collect())
    });
}

extern "C" fn handle_signal(signal: i32, info: *mut libc::siginfo_t, context: *mut c_void) {
    // SAFETY: we are an SA_SIGINFO handler, so `context` is a ucontext.
    let regs = unsafe { sys::trap_registers(context) };
    let pc = regs.pc;
    let buf = JMP_BUF.with(|b| b.get());
    if !buf.is_null() {
        let site = code_memory::lookup(pc).and_then(|code| code.trap_at(pc));
        if let Some(site) = site {
            let mut raw = RawTrap { kind: site.kind, pcs: [0; MAX_FRAMES], len: 1 };
            raw.pcs[0] = pc;
            // A frameless function's caller is named by the return address it was entered
            // with; the frame pointer is already that caller's.
            let (low, high) = STACK_BOUNDS.with(|b| b.get());
            if site.frameless
                && let Some(ret) = sys::frameless_return_address(&regs, low, high)
                && code_memory::lookup(ret).is_some()
            {
                raw.pcs[1] = ret - 1;
                raw.len = 2;
            }
            walk_frames(regs.fp, &mut raw);
            LAST_TRAP.with(|t| t.set(Some(raw)));
            // SAFETY: `buf` is the live jump buffer of the innermost `kite_catch` on this thread;
            // only Wasm frames lie between it and us.
            unsafe { sys::kite_unwind(buf) }
        }
    }
    let previous = PREVIOUS.get().and_then(|p| p.0.iter().find(|(s, _)| *s == signal));
    if let Some((_, previous)) = previous {
        // SAFETY: the arguments are the ones we received.
        unsafe { sys::chain(previous, signal, info, context) };
    }
}

/// Collects return addresses into Wasm code by following saved frame pointers, which every
/// function kite generates keeps but the frameless ones (handled before, from the trap's own
/// registers: they make no calls, so they can only be the innermost frame).
fn walk_frames(mut fp: usize, raw: &mut RawTrap) {
    let (low, high) = STACK_BOUNDS.with(|b| b.get());
    while raw.len < MAX_FRAMES && fp >= low && fp + 16 <= high && fp.is_multiple_of(8) {
        // SAFETY: `fp` lies within this thread's stack, checked above.
        let (next, ret) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
        if code_memory::lookup(ret).is_none() {
            break;
        }
        // The return address follows the call; step back into it to name the caller.
        raw.pcs[raw.len] = ret - 1;
        raw.len += 1;
        if next <= fp {
            break;
        }
        fp = next;
    }
}

pub type EntryTrampoline = unsafe extern "C" fn(*mut u8, *const u8, *mut u128);

/// Calls Wasm code through an entry trampoline, catching its traps.
///
/// # Safety
/// `entry` must be an entry trampoline for the type of the function at `code`, `values` must
/// hold its arguments and have room for its results, and `vmctx` must be its context.
pub unsafe fn catch(
    entry: EntryTrampoline,
    vmctx: *mut u8,
    code: *const u8,
    values: *mut u128,
    store: *mut VMStoreContext,
    max_wasm_stack: usize,
) -> Result<(), Unwound> {
    install_handlers();
    let (low, _) = STACK_BOUNDS.with(|b| {
        if b.get().1 == 0 {
            b.set(sys::thread_stack_bounds());
        }
        b.get()
    });
    // The outermost entry into this store sets the stack limit; nested ones share it.
    // SAFETY: the store context outlives the call.
    let limit = unsafe { interrupts::stack_limit(store) };
    let outermost = limit.load(Ordering::SeqCst) == 0;
    if outermost {
        let here = &low as *const usize as usize;
        let limit = here.saturating_sub(max_wasm_stack).max(low + HOST_STACK_RESERVE);
        // SAFETY: as above.
        unsafe { interrupts::enter(store, limit) };
    }
    // SAFETY: the caller's guarantees, and the slot is this thread's.
    let status = JMP_BUF.with(|slot| unsafe { sys::kite_catch(entry, vmctx, code, values, slot.as_ptr()) });
    let interrupted = limit.load(Ordering::SeqCst) == interrupts::INTERRUPT;
    if outermost {
        limit.store(0, Ordering::SeqCst);
    }
    if status == 0 {
        return Ok(());
    }
    // Something unwound to us: an exception (`unwind_with_exception`) or a trap.
    let exn = UNCAUGHT.with(|u| u.replace(std::ptr::null_mut()));
    if !exn.is_null() {
        Err(Unwound::Exception(exn))
    } else {
        let raw = LAST_TRAP.with(|t| t.take()).expect("a trap was recorded");
        let mut trap = Trap::from_raw(&raw);
        // The stack check that failed was an epoch deadline's (see `interrupts`).
        if trap.kind == TrapKind::StackOverflow && interrupted {
            trap.kind = TrapKind::Interrupt;
        }
        Err(Unwound::Trap(trap))
    }
}

/// Epoch interruption through the stack limit. Generated code compares the stack pointer with
/// the store's stack limit at the entry of every function that makes calls; to stop a guest at
/// its deadline, `Engine::increment_epoch` sets the limit of each store whose deadline has come
/// to [`INTERRUPT`], above any stack, and the next check fails. `catch` reports a stack overflow
/// while the limit says so as an interrupt. Functions that make no calls, loop headers and the
/// members of fused groups compare with the limit too when epochs are on (`kite_frontend`'s
/// `translate::interrupts`): two loads and a compare, where reading the epoch and the deadline
/// took four loads, and nothing at all at the entries that check the stack anyway.
///
/// The engine's thread and the store's thread both write the limit: it is only ever changed
/// atomically, the engine's side only while Wasm runs (limit not 0), and each side reads the
/// other's value after writing its own (sequentially consistent), so a deadline that comes as
/// Wasm is entered is seen by one of them.
pub(crate) mod interrupts {
    use crate::vm::VMStoreContext;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

    /// The stack limit of a store whose deadline has come: every stack pointer is below it, and
    /// so is any limit plus a frame's size (Cranelift's prologue check adds the two), and the
    /// code's own checks find it by its sign bit (`kite_frontend::vmctx::store_context`).
    pub const INTERRUPT: usize = 1 << 63;

    /// # Safety
    /// `context` must be a live store context.
    pub unsafe fn stack_limit<'a>(context: *mut VMStoreContext) -> &'a AtomicUsize {
        // SAFETY: the caller's; the field is a usize, aligned as one.
        unsafe { AtomicUsize::from_ptr(&raw mut (*context).stack_limit) }
    }

    /// # Safety
    /// As [`stack_limit`].
    unsafe fn deadline<'a>(context: *mut VMStoreContext) -> &'a AtomicU64 {
        // SAFETY: the caller's; the field is a u64, aligned as one.
        unsafe { AtomicU64::from_ptr(&raw mut (*context).epoch_deadline) }
    }

    /// The outermost entry into Wasm: the stack limit, unless the deadline has come.
    ///
    /// # Safety
    /// As [`stack_limit`], on the store's thread.
    pub unsafe fn enter(context: *mut VMStoreContext, limit: usize) {
        // SAFETY: the caller's.
        unsafe {
            (*context).wasm_stack_limit = limit;
            stack_limit(context).store(limit, Ordering::SeqCst);
            refresh(context);
        }
    }

    /// Sets the store's deadline; if Wasm is running below (a host function sets it), the limit
    /// follows: interrupted if it has come, the real one again if it moved away.
    ///
    /// # Safety
    /// As [`enter`].
    pub unsafe fn set_deadline(context: *mut VMStoreContext, epoch: u64) {
        // SAFETY: the caller's.
        unsafe {
            deadline(context).store(epoch, Ordering::SeqCst);
            refresh(context);
        }
    }

    /// # Safety
    /// As [`enter`].
    unsafe fn refresh(context: *mut VMStoreContext) {
        // SAFETY: the caller's.
        unsafe {
            if !(*context).epoch_interruption {
                return;
            }
            let now = (*(*context).epoch_counter).load(Ordering::SeqCst);
            let due = now >= deadline(context).load(Ordering::SeqCst);
            let wanted = if due { INTERRUPT } else { (*context).wasm_stack_limit };
            let _ = stack_limit(context)
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |limit| (limit != 0).then_some(wanted));
        }
    }

    /// From `Engine::increment_epoch`, on any thread: interrupts the store if its deadline has
    /// come at epoch `now` and Wasm is running in it.
    ///
    /// # Safety
    /// `context` must be a live store context.
    pub unsafe fn interrupt_if_due(context: *mut VMStoreContext, now: u64) {
        // SAFETY: the caller's.
        unsafe {
            if now >= deadline(context).load(Ordering::SeqCst) {
                let _ = stack_limit(context).fetch_update(Ordering::SeqCst, Ordering::SeqCst, |limit| {
                    (limit != 0).then_some(INTERRUPT)
                });
            }
        }
    }
}

/// Stack kept free below Wasm's limit for host functions and the signal handler.
const HOST_STACK_RESERVE: usize = 256 * 1024;
