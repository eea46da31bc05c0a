//! Everything that talks to the operating system or depends on the CPU: virtual memory, signal
//! handler registration, reading registers out of a signal context, thread stack bounds, icache
//! maintenance. Linux on x86-64 and AArch64.

use std::ffi::c_void;
use std::io;

unsafe extern "C" {
    pub fn kite_catch(
        entry: unsafe extern "C" fn(*mut u8, *const u8, *mut u128),
        vmctx: *mut u8,
        code: *const u8,
        values: *mut u128,
        slot: *mut *mut c_void,
    ) -> i32;
    pub fn kite_unwind(buf: *mut c_void) -> !;
    fn kite_flush_icache(start: *mut c_void, len: usize);
}

/// Resumes at `pc` with the stack pointer `sp` and the frame pointer `fp`: an exception
/// handler's landing block (see `exceptions::throw`), which expects nothing else in registers.
///
/// # Safety
/// `pc` must be a landing block of the frame `fp` names and `sp` its stack pointer at the call
/// that threw; everything on the stack below `sp` is abandoned.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
pub unsafe extern "C" fn resume(pc: usize, sp: usize, fp: usize) -> ! {
    std::arch::naked_asm!("mov rsp, rsi", "mov rbp, rdx", "jmp rdi")
}

/// As on x86-64.
///
/// # Safety
/// As on x86-64.
#[cfg(target_arch = "aarch64")]
#[unsafe(naked)]
pub unsafe extern "C" fn resume(pc: usize, sp: usize, fp: usize) -> ! {
    std::arch::naked_asm!("mov sp, x1", "mov x29, x2", "br x0")
}

/// The host convention's callee-saved registers, as they are now: roots of a conservative
/// collection (`exn_heap`), since they may hold values of Wasm frames up the stack.
#[cfg(target_arch = "x86_64")]
#[inline(never)]
pub fn callee_saved_registers() -> Vec<usize> {
    let mut r = [0usize; 6];
    // SAFETY: stores into a local array.
    unsafe {
        std::arch::asm!(
            "mov [{p}], rbx",
            "mov [{p} + 8], rbp",
            "mov [{p} + 16], r12",
            "mov [{p} + 24], r13",
            "mov [{p} + 32], r14",
            "mov [{p} + 40], r15",
            p = in(reg) r.as_mut_ptr(),
            options(nostack, preserves_flags),
        );
    }
    r.to_vec()
}

/// As on x86-64: x19-x28 and the low halves of v8-v15 (AAPCS64 saves those; Cranelift may keep
/// an integer there as a float).
#[cfg(target_arch = "aarch64")]
#[inline(never)]
pub fn callee_saved_registers() -> Vec<usize> {
    let mut r = [0usize; 18];
    // SAFETY: stores into a local array.
    unsafe {
        std::arch::asm!(
            "stp x19, x20, [{p}]",
            "stp x21, x22, [{p}, #16]",
            "stp x23, x24, [{p}, #32]",
            "stp x25, x26, [{p}, #48]",
            "stp x27, x28, [{p}, #64]",
            "stp d8, d9, [{p}, #80]",
            "stp d10, d11, [{p}, #96]",
            "stp d12, d13, [{p}, #112]",
            "stp d14, d15, [{p}, #128]",
            p = in(reg) r.as_mut_ptr(),
            options(nostack, preserves_flags),
        );
    }
    r.to_vec()
}

pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

/// Reserves `len` bytes of address space with no access.
pub fn reserve(len: usize) -> io::Result<*mut u8> {
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing aliases nothing.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if ptr == libc::MAP_FAILED { Err(io::Error::last_os_error()) } else { Ok(ptr.cast()) }
}

/// Changes the protection of `len` bytes at page-aligned `ptr`.
///
/// # Safety
/// The range must lie in a mapping this crate owns, and nothing may rely on the old protection.
pub unsafe fn protect(ptr: *mut u8, len: usize, read: bool, write: bool, exec: bool) -> io::Result<()> {
    let mut prot = libc::PROT_NONE;
    if read {
        prot |= libc::PROT_READ;
    }
    if write {
        prot |= libc::PROT_WRITE;
    }
    if exec {
        prot |= libc::PROT_EXEC;
    }
    // SAFETY: the caller guarantees the range is ours.
    if unsafe { libc::mprotect(ptr.cast(), len, prot) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// # Safety
/// `ptr`/`len` must be exactly a mapping made by [`reserve`], no longer used.
pub unsafe fn release(ptr: *mut u8, len: usize) {
    // SAFETY: the caller hands over the whole mapping.
    unsafe { libc::munmap(ptr.cast(), len) };
}

/// Gives the pages of `len` bytes at page-aligned `ptr` back to the kernel: a private anonymous
/// mapping reads zeroes there afterwards, and commits pages again as they are touched.
///
/// # Safety
/// The range must lie in a read-write mapping this crate owns whose contents nothing needs.
pub unsafe fn discard(ptr: *mut u8, len: usize) {
    if len == 0 {
        return;
    }
    // SAFETY: the caller's contract. DONTNEED on a private anonymous mapping cannot fail but on
    // a bad range, which would be this crate's bug.
    let status = unsafe { libc::madvise(ptr.cast(), len, libc::MADV_DONTNEED) };
    debug_assert_eq!(status, 0, "madvise: {}", io::Error::last_os_error());
}

/// Makes freshly written code visible to instruction fetch (a no-op on x86-64).
pub fn flush_icache(ptr: *mut u8, len: usize) {
    // SAFETY: clearing cache lines of mapped memory has no other effect.
    unsafe { kite_flush_icache(ptr.cast(), len) }
}

/// The lowest and highest address of the current thread's stack.
pub fn thread_stack_bounds() -> (usize, usize) {
    // SAFETY: pthread_getattr_np fills `attr`, which we destroy after reading it.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return (0, usize::MAX);
        }
        let mut addr = std::ptr::null_mut();
        let mut size = 0;
        libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        (addr as usize, addr as usize + size)
    }
}

/// The registers of interrupted code that a backtrace starts from.
#[derive(Clone, Copy, Debug)]
pub struct TrapRegisters {
    pub pc: usize,
    pub fp: usize,
    /// Where x86-64 finds a frameless function's return address (AArch64 has it in `lr`).
    #[cfg(target_arch = "x86_64")]
    pub sp: usize,
    /// The link register.
    #[cfg(target_arch = "aarch64")]
    pub lr: usize,
}

/// The registers a backtrace starts from, from a signal's context.
///
/// # Safety
/// `context` must be the third argument of an `SA_SIGINFO` signal handler.
pub unsafe fn trap_registers(context: *mut c_void) -> TrapRegisters {
    let uc = context.cast::<libc::ucontext_t>();
    // SAFETY: the kernel passes a valid ucontext_t.
    unsafe {
        #[cfg(target_arch = "x86_64")]
        {
            let gregs = &(*uc).uc_mcontext.gregs;
            TrapRegisters {
                pc: gregs[libc::REG_RIP as usize] as usize,
                fp: gregs[libc::REG_RBP as usize] as usize,
                sp: gregs[libc::REG_RSP as usize] as usize,
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            let mc = &(*uc).uc_mcontext;
            TrapRegisters { pc: mc.pc as usize, fp: mc.regs[29] as usize, lr: mc.regs[30] as usize }
        }
    }
}

/// Where a function that set up no frame record finds its return address: on top of the stack
/// on x86-64, in the link register on AArch64. `None` if the stack slot lies outside
/// `low..high` (this thread's stack).
pub fn frameless_return_address(regs: &TrapRegisters, low: usize, high: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        (regs.sp >= low && regs.sp + 8 <= high && regs.sp.is_multiple_of(8))
            // SAFETY: within this thread's stack, checked above.
            .then(|| unsafe { *(regs.sp as *const usize) })
    }
    #[cfg(target_arch = "aarch64")]
    {
        let _ = (low, high);
        Some(regs.lr)
    }
}

pub type SignalHandler = extern "C" fn(i32, *mut libc::siginfo_t, *mut c_void);

/// Installs `handler` for `signal`, returning the previous disposition.
pub fn install_handler(signal: i32, handler: SignalHandler) -> libc::sigaction {
    // SAFETY: sigaction with a fully initialised struct; the handler is async-signal-safe enough
    // for our use (it reads thread-locals and jumps out).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as usize;
        // NODEFER: we leave the handler by longjmp, which would otherwise leave the signal blocked.
        action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        let mut previous: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, &action, &mut previous);
        previous
    }
}

/// Hands a signal we do not own to the handler that was there before ours.
///
/// # Safety
/// The arguments must be those our handler received.
pub unsafe fn chain(
    previous: &libc::sigaction,
    signal: i32,
    info: *mut libc::siginfo_t,
    context: *mut c_void,
) {
    // SAFETY: calling the previous handler with the arguments it expects, or restoring the
    // default action so the faulting instruction re-executes and the process dies as it would
    // have without us.
    unsafe {
        let handler = previous.sa_sigaction;
        if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
            libc::sigaction(signal, previous, std::ptr::null_mut());
        } else if previous.sa_flags & libc::SA_SIGINFO != 0 {
            let f: SignalHandler = std::mem::transmute(handler);
            f(signal, info, context);
        } else {
            let f: extern "C" fn(i32) = std::mem::transmute(handler);
            f(signal);
        }
    }
}

/// The ELF machine number of this architecture, for jitdump headers.
#[cfg(target_arch = "x86_64")]
pub const ELF_MACHINE: u32 = 62;
#[cfg(target_arch = "aarch64")]
pub const ELF_MACHINE: u32 = 183;

/// `CLOCK_MONOTONIC` in nanoseconds: the clock `perf record -k mono` stamps samples with.
pub fn monotonic_nanos() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The calling thread's kernel id.
pub fn thread_id() -> u32 {
    // SAFETY: no preconditions.
    unsafe { libc::gettid() as u32 }
}

/// An executable, private mapping of a file's first page, kept for the process's lifetime:
/// how `perf record` learns where a jitdump is (it records the mapping's file name).
pub struct FileMarker {
    ptr: *mut c_void,
    len: usize,
}

// SAFETY: the mapping is never accessed, only kept.
unsafe impl Send for FileMarker {}

impl FileMarker {
    pub fn map(file: &std::fs::File) -> io::Result<FileMarker> {
        use std::os::fd::AsRawFd;
        let len = page_size();
        // SAFETY: a fresh mapping of an open file; nothing else is affected.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(FileMarker { ptr, len })
    }
}

impl Drop for FileMarker {
    fn drop(&mut self) {
        // SAFETY: our own mapping.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}
