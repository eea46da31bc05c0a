//! What compiling a module produces: one blob of machine code with its relocations and trap
//! table, where each function and fused group landed in it, and the settings (`CodeSettings`)
//! that a saved module must match to stand in for a compilation. The runtime publishes, saves
//! and loads these; `compile` makes them.

use crate::facts::ModuleFacts;
use crate::groups::TailGroups;
use crate::module::ModuleInfo;
use crate::plans::TypePlans;
use crate::translate::interrupts::Interrupts;
use crate::trap::TrapKind;
use crate::vmctx::VMOffsets;
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::LibCall;
use serde::{Deserialize, Serialize};

/// What code compiled under some [`CompileOptions`] depends on (see
/// [`CompileOptions::code_settings`]): a saved module runs only where these are equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CodeSettings {
    /// The target triple, as Cranelift names it.
    pub triple: String,
    /// Cranelift's settings, shared and target-specific (the CPU features used), as
    /// `name=value`.
    pub flags: Vec<String>,
    /// The calling convention's name (`cc::by_name` finds it again).
    pub convention: String,
    pub tier_up: bool,
    /// Fuel and epoch checks.
    pub interrupts: Interrupts,
    /// The Wasm features validation accepted (`WasmFeatures` bits): a module saved under more
    /// features than a load allows would be accepted without being valid there.
    pub features: u64,
    /// Whether memory accesses check bounds (pooled memories) or rely on guard pages.
    pub bounds_checks: bool,
}

/// What a relocation points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelocTarget {
    /// A function defined in the same module, by function index.
    Func(u32),
    /// A helper Cranelift calls for operations the target lacks (float rounding without SSE4.1).
    LibCall(#[serde(with = "crate::serde_cranelift::libcall")] LibCall),
    /// A fused group's function, by group index; `compile_module` turns these into `Offset`s.
    Group(u32),
    /// An offset in the same blob.
    Offset(u32),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Relocation {
    /// Offset in the code blob of the bytes to patch.
    pub offset: u32,
    #[serde(with = "crate::serde_cranelift::reloc")]
    pub kind: Reloc,
    pub target: RelocTarget,
    pub addend: i64,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct TrapSite {
    pub offset: u32,
    pub kind: TrapKind,
    /// The trapping function sets up no frame record (a `preserve_none` function that needs
    /// none): its return address is where its caller left it, on top of the stack (x86-64) or
    /// in the link register (AArch64), and the frame pointer is its caller's.
    pub frameless: bool,
}

/// A call inside a `try_table` or legacy `try` (see `translate::exceptions`): where a throw in
/// its callee resumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlerSite {
    /// The call's return address.
    pub return_offset: u32,
    /// The handler's landing block.
    pub landing_offset: u32,
    /// The frame pointer minus the stack pointer at the call: the landing block runs with this
    /// stack pointer.
    pub fp_to_sp: u32,
}

/// A piece of compiled code: one function or trampoline, or a whole module's worth.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CodeBlob {
    #[serde(with = "crate::byte_buf")]
    pub code: Vec<u8>,
    pub relocs: Vec<Relocation>,
    /// Sorted by offset.
    pub traps: Vec<TrapSite>,
    /// Sorted by return offset.
    pub handlers: Vec<HandlerSite>,
}

impl CodeBlob {
    /// Appends `other` at an offset aligned to `align` bytes, which it returns. Callers pass the
    /// target's preferred function alignment (`isa.function_alignment().preferred`, 32 on x86-64
    /// and AArch64, as Wasmtime lays functions out): at 16 a hot loop can straddle a 32-byte
    /// fetch window or not depending on its neighbours' sizes, which once made a sieve 1.5x
    /// slower than under Wasmtime.
    pub fn append(&mut self, other: CodeBlob, align: u32) -> u32 {
        while !self.code.len().is_multiple_of(align as usize) {
            self.code.push(0);
        }
        let base = self.code.len() as u32;
        self.code.extend_from_slice(&other.code);
        self.relocs.extend(other.relocs.into_iter().map(|r| Relocation { offset: r.offset + base, ..r }));
        self.traps.extend(other.traps.into_iter().map(|t| TrapSite { offset: t.offset + base, ..t }));
        self.handlers.extend(other.handlers.into_iter().map(|h| HandlerSite {
            return_offset: h.return_offset + base,
            landing_offset: h.landing_offset + base,
            ..h
        }));
        base
    }
}

/// Where a fused group's function landed, and which member each part of its code belongs to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CompiledGroup {
    pub offset: u32,
    pub len: u32,
    /// (start, end, function index), relative to `offset`, sorted, covering the whole function.
    pub members: Vec<(u32, u32, u32)>,
    /// Its indirect tail calls' `br_table`s in translation order: each one's number of table
    /// elements. Profiles are laid out by them (see `tiering`).
    pub sites: Vec<u32>,
    /// Whether Cranelift checks the stack limit in its prologue (see `compile_stack_checked`).
    pub prologue_stack_check: bool,
    #[serde(skip)]
    pub clif: Option<String>,
    #[serde(skip)]
    pub disasm: Option<String>,
}

/// Where one function landed in the module's code, and its text if kept.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CompiledFunction {
    pub func_index: u32,
    pub offset: u32,
    pub len: u32,
    /// Whether Cranelift checks the stack limit in its prologue (see `compile_stack_checked`).
    pub prologue_stack_check: bool,
    #[serde(skip)]
    pub clif: Option<String>,
    #[serde(skip)]
    pub disasm: Option<String>,
}

/// Offsets of the functions that dispatch arrays hold for elements a call may not reach: each
/// traps as the full check of the element would.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct TrapStubs {
    /// A null element of `call_indirect`'s table.
    pub null: u32,
    pub bad_signature: u32,
    /// A null reference read from a table for `call_ref` (`facts::DispatchArray::by_reference`).
    pub null_reference: u32,
}

/// A module compiled for one target and convention.
#[derive(Debug, Serialize, Deserialize)]
pub struct CompiledModule {
    pub info: ModuleInfo,
    pub facts: ModuleFacts,
    /// How the module's own function types travel (see `plans`).
    pub plans: TypePlans,
    /// Fused tail-call groups (none unless the convention fuses).
    pub groups: TailGroups,
    pub offsets: VMOffsets,
    /// Set when the `VMContext` lives this many bytes below memory 0's base, and functions'
    /// context value is that base.
    pub context_prefix: Option<u32>,
    pub blob: CodeBlob,
    /// One per defined function, in order; a fused group's member is its entry stub.
    pub functions: Vec<CompiledFunction>,
    /// One per fused group, in order.
    pub group_code: Vec<CompiledGroup>,
    /// Offsets of the stubs dispatch arrays use for null and mistyped entries, if any arrays.
    pub trap_stubs: Option<TrapStubs>,
    /// Not saved with the module: whoever loads it names the convention (see `CodeSettings`).
    #[serde(skip)]
    pub convention: &'static str,
}

impl CompiledModule {
    pub fn defined_function(&self, func_index: u32) -> &CompiledFunction {
        &self.functions[(func_index - self.info.num_imported_funcs) as usize]
    }

    /// Which function each range of the code belongs to, as (start, end, function index), for
    /// backtraces: functions, and the members' parts of fused group functions.
    pub fn code_ranges(&self) -> Vec<(u32, u32, u32)> {
        let mut ranges: Vec<_> =
            self.functions.iter().map(|f| (f.offset, f.offset + f.len, f.func_index)).collect();
        for g in &self.group_code {
            ranges.extend(g.members.iter().map(|(s, e, f)| (g.offset + s, g.offset + e, *f)));
        }
        ranges.sort();
        ranges
    }
}
