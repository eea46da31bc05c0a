//! Executable memory: code is written while the pages are read-write, relocated, then flipped to
//! read-execute and the icache flushed. Pages are never writable and executable at once.
//!
//! Every published region is registered with its trap table and function ranges, so the signal
//! handler can tell a Wasm trap from a crash and the trap can name the functions on the stack.
//! Names are made when asked for (a backtrace, a profiler), not at publishing: a module of
//! tens of thousands of functions would otherwise format every name on every load.

use crate::sys;
use anyhow::{Context, Result, bail};
use kite_frontend::{CodeBlob, HandlerSite, LibCall, Reloc, RelocTarget, TrapSite};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// What the trap handler and backtraces need to know about a region of code.
pub struct CodeInfo {
    pub start: usize,
    pub end: usize,
    /// Sorted by offset.
    traps: Vec<TrapSite>,
    /// Calls with an exception handler, sorted by return offset.
    handlers: Vec<HandlerSite>,
    /// (start offset, end offset, function index), sorted.
    functions: Vec<(u32, u32, u32)>,
    names: FunctionNames,
}

/// Names a function by its index, as backtraces show it.
pub type FunctionNames = Arc<dyn Fn(u32) -> String + Send + Sync>;

impl std::fmt::Debug for CodeInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeInfo")
            .field("start", &self.start)
            .field("end", &self.end)
            .field("traps", &self.traps.len())
            .field("functions", &self.functions.len())
            .finish()
    }
}

impl CodeInfo {
    pub fn trap_at(&self, pc: usize) -> Option<TrapSite> {
        let offset = u32::try_from(pc.checked_sub(self.start)?).ok()?;
        let i = self.traps.binary_search_by_key(&offset, |t| t.offset).ok()?;
        Some(self.traps[i])
    }

    /// The exception handler of the call that returns to `return_pc`, if it has one: the
    /// landing block's address and the frame pointer minus the stack pointer there.
    pub fn handler_at(&self, return_pc: usize) -> Option<(usize, usize)> {
        let offset = u32::try_from(return_pc.checked_sub(self.start)?).ok()?;
        let i = self.handlers.binary_search_by_key(&offset, |h| h.return_offset).ok()?;
        let site = self.handlers[i];
        Some((self.start + site.landing_offset as usize, site.fp_to_sp as usize))
    }

    pub fn function_at(&self, pc: usize) -> Option<String> {
        let offset = u32::try_from(pc.checked_sub(self.start)?).ok()?;
        let i = self.functions.partition_point(|f| f.0 <= offset).checked_sub(1)?;
        let (start, end, func) = self.functions[i];
        (offset >= start && offset < end).then(|| (self.names)(func))
    }
}

/// All published code, by end address, for lookups from the signal handler.
static REGISTRY: RwLock<BTreeMap<usize, Arc<CodeInfo>>> = RwLock::new(BTreeMap::new());

/// The registered region containing `pc`.
///
/// Called from the signal handler, but only for a fault on a thread running Wasm code, which
/// never holds the write lock: writers (publishing and dropping code) are host code. Another
/// thread may hold it, so this must wait rather than give up, or a trap would become a crash.
pub fn lookup(pc: usize) -> Option<Arc<CodeInfo>> {
    let registry = REGISTRY.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let (_, info) = registry.range(pc + 1..).next()?;
    (info.start <= pc).then(|| info.clone())
}

/// A published, executable region of code.
#[derive(Debug)]
pub struct CodeMemory {
    ptr: *mut u8,
    len: usize,
    info: Arc<CodeInfo>,
}

// SAFETY: the region is immutable once published; the raw pointer is only an address.
unsafe impl Send for CodeMemory {}
// SAFETY: as above.
unsafe impl Sync for CodeMemory {}

impl CodeMemory {
    /// Publishes `blob`, resolving calls to `Func(i)` at `func_address(base, i)`, where `base`
    /// is where the blob landed. `functions` are the code ranges of functions, `(start, end,
    /// function index)`, which `names` names for backtraces and profilers.
    pub fn publish(
        blob: &CodeBlob,
        func_address: impl Fn(*const u8, u32) -> Option<usize>,
        functions: Vec<(u32, u32, u32)>,
        names: FunctionNames,
    ) -> Result<CodeMemory> {
        let page = sys::page_size();
        let len = blob.code.len().max(1).next_multiple_of(page);
        let ptr = sys::reserve(len).context("reserving code memory")?;
        let mut code = CodeMemory {
            ptr,
            len,
            info: Arc::new(CodeInfo {
                start: 0,
                end: 0,
                traps: vec![],
                handlers: vec![],
                functions: vec![],
                names: names.clone(),
            }),
        };
        // SAFETY: the mapping is ours and not yet executable or registered.
        unsafe {
            sys::protect(ptr, len, true, true, false)?;
            std::ptr::copy_nonoverlapping(blob.code.as_ptr(), ptr, blob.code.len());
        }
        for reloc in &blob.relocs {
            let target = match reloc.target {
                RelocTarget::Func(index) => {
                    func_address(ptr, index).context("relocation to an unknown function")?
                }
                RelocTarget::LibCall(libcall) => libcall_address(libcall)?,
                RelocTarget::Offset(offset) => ptr as usize + offset as usize,
                RelocTarget::Group(_) => bail!("relocation to a fused group left unresolved"),
            };
            // SAFETY: the offset lies in the blob we just copied, still writable.
            unsafe { apply(ptr.add(reloc.offset as usize), reloc.kind, target, reloc.addend)? };
        }
        // SAFETY: as above; from here on the region is read-execute only.
        unsafe { sys::protect(ptr, len, true, false, true)? };
        sys::flush_icache(ptr, blob.code.len());
        let start = ptr as usize;
        code.info = Arc::new(CodeInfo {
            start,
            end: start + blob.code.len().max(1),
            traps: blob.traps.clone(),
            handlers: blob.handlers.clone(),
            functions,
            names,
        });
        REGISTRY.write().expect("code registry").insert(code.info.end, code.info.clone());
        Ok(code)
    }

    /// Announces the region's functions to the profiler, if one runs, once their names can be
    /// made (a module's code names its functions through the module).
    pub fn announce(&self) {
        let info = &self.info;
        crate::profiling::announce(info.functions.iter().map(|&(start, end, func)| {
            (info.start + start as usize, (end - start) as usize, (info.names)(func))
        }));
    }

    pub fn base(&self) -> *const u8 {
        self.ptr
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        if self.info.end != 0 {
            REGISTRY.write().expect("code registry").remove(&self.info.end);
        }
        // SAFETY: the mapping is ours and, unregistered, no longer reachable.
        unsafe { sys::release(self.ptr, self.len) };
    }
}

/// Patches one relocation at `at` to refer to `target`.
///
/// # Safety
/// `at` must point into writable code with room for the relocation.
unsafe fn apply(at: *mut u8, kind: Reloc, target: usize, addend: i64) -> Result<()> {
    let pc = at as i64;
    let value = target as i64 + addend;
    // SAFETY: the caller guarantees `at` is writable; unaligned writes because code is bytes.
    unsafe {
        match kind {
            Reloc::Abs8 => at.cast::<u64>().write_unaligned(value as u64),
            Reloc::X86CallPCRel4 | Reloc::X86CallPLTRel4 | Reloc::X86PCRel4 => {
                let delta = i32::try_from(value - pc).context("x86-64 call out of range")?;
                at.cast::<i32>().write_unaligned(delta);
            }
            Reloc::Arm64Call => {
                let delta = (value - pc) >> 2;
                if !(-(1 << 25)..(1 << 25)).contains(&delta) {
                    bail!("AArch64 call out of range");
                }
                let insn = at.cast::<u32>().read_unaligned();
                at.cast::<u32>().write_unaligned((insn & 0xfc00_0000) | (delta as u32 & 0x03ff_ffff));
            }
            other => bail!("unsupported relocation {other:?}"),
        }
    }
    Ok(())
}

/// Addresses of the helpers Cranelift may call instead of an instruction the target lacks.
fn libcall_address(libcall: LibCall) -> Result<usize> {
    extern "C" fn floor_f32(x: f32) -> f32 {
        x.floor()
    }
    extern "C" fn floor_f64(x: f64) -> f64 {
        x.floor()
    }
    extern "C" fn ceil_f32(x: f32) -> f32 {
        x.ceil()
    }
    extern "C" fn ceil_f64(x: f64) -> f64 {
        x.ceil()
    }
    extern "C" fn trunc_f32(x: f32) -> f32 {
        x.trunc()
    }
    extern "C" fn trunc_f64(x: f64) -> f64 {
        x.trunc()
    }
    extern "C" fn nearest_f32(x: f32) -> f32 {
        x.round_ties_even()
    }
    extern "C" fn nearest_f64(x: f64) -> f64 {
        x.round_ties_even()
    }
    extern "C" fn fma_f32(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
    extern "C" fn fma_f64(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
    Ok(match libcall {
        LibCall::FloorF32 => floor_f32 as *const () as usize,
        LibCall::FloorF64 => floor_f64 as *const () as usize,
        LibCall::CeilF32 => ceil_f32 as *const () as usize,
        LibCall::CeilF64 => ceil_f64 as *const () as usize,
        LibCall::TruncF32 => trunc_f32 as *const () as usize,
        LibCall::TruncF64 => trunc_f64 as *const () as usize,
        LibCall::NearestF32 => nearest_f32 as *const () as usize,
        LibCall::NearestF64 => nearest_f64 as *const () as usize,
        LibCall::FmaF32 => fma_f32 as *const () as usize,
        LibCall::FmaF64 => fma_f64 as *const () as usize,
        other => bail!("unsupported libcall {other:?}"),
    })
}
