//! From a module's bytes to one blob of machine code with its relocations and trap table.
//!
//! Functions are translated and compiled on all cores, each worker reusing its Cranelift
//! contexts; the results are laid out in function order. Calls between the module's functions
//! stay relocations until the runtime publishes the blob at its final address.

use crate::cc::Convention;
use crate::error::{CompileError, Result};
use crate::facts::ModuleFacts;
use crate::isa::{IsaOptions, Target, build_isa};
use crate::module::{FunctionInput, ModuleInfo, parse};
use crate::translate::{FUNC_NAMESPACE, FuncEnv, TranslatorContext, translate_function};
use crate::trap::TrapKind;
use crate::vmctx::VMOffsets;
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{ExternalName, Function, LibCall};
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::{Context, FinalizedRelocTarget};
use std::sync::Mutex;

/// What a context prefix is rounded to: a multiple of every page size Linux uses.
pub const CONTEXT_PREFIX_ALIGN: u32 = 64 * 1024;

/// How to compile.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    pub target: Target,
    pub isa: IsaOptions,
    pub convention: &'static dyn Convention,
    /// Keep each function's CLIF and disassembly, for `kite compile`.
    pub keep_text: bool,
    /// Compile on all cores.
    pub parallel: bool,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            target: Target::Host,
            isa: IsaOptions::default(),
            convention: &crate::cc::Baseline,
            keep_text: false,
            parallel: true,
        }
    }
}

impl CompileOptions {
    pub fn build_isa(&self) -> Result<OwnedTargetIsa> {
        build_isa(self.target, self.isa)
    }
}

/// What a relocation points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelocTarget {
    /// A function defined in the same module, by function index.
    Func(u32),
    /// A helper Cranelift calls for operations the target lacks (float rounding without SSE4.1).
    LibCall(LibCall),
}

#[derive(Clone, Debug)]
pub struct Relocation {
    /// Offset in the code blob of the bytes to patch.
    pub offset: u32,
    pub kind: Reloc,
    pub target: RelocTarget,
    pub addend: i64,
}

#[derive(Clone, Copy, Debug)]
pub struct TrapSite {
    pub offset: u32,
    pub kind: TrapKind,
}

/// A piece of compiled code: one function or trampoline, or a whole module's worth.
#[derive(Clone, Debug, Default)]
pub struct CodeBlob {
    pub code: Vec<u8>,
    pub relocs: Vec<Relocation>,
    /// Sorted by offset.
    pub traps: Vec<TrapSite>,
}

impl CodeBlob {
    /// Appends `other` at a 16-byte aligned offset, which it returns.
    pub fn append(&mut self, other: CodeBlob) -> u32 {
        while !self.code.len().is_multiple_of(16) {
            self.code.push(0);
        }
        let base = self.code.len() as u32;
        self.code.extend_from_slice(&other.code);
        self.relocs.extend(other.relocs.into_iter().map(|r| Relocation { offset: r.offset + base, ..r }));
        self.traps.extend(other.traps.into_iter().map(|t| TrapSite { offset: t.offset + base, ..t }));
        base
    }
}

/// Where one function landed in the module's code, and its text if kept.
#[derive(Clone, Debug)]
pub struct CompiledFunction {
    pub func_index: u32,
    pub offset: u32,
    pub len: u32,
    pub clif: Option<String>,
    pub disasm: Option<String>,
}

#[derive(Clone, Copy, Debug)]
pub struct TrapStubs {
    pub null: u32,
    pub bad_signature: u32,
}

/// A module compiled for one target and convention.
#[derive(Debug)]
pub struct CompiledModule {
    pub info: ModuleInfo,
    pub facts: ModuleFacts,
    pub offsets: VMOffsets,
    /// Set when the `VMContext` lives this many bytes below memory 0's base, and functions'
    /// context value is that base.
    pub context_prefix: Option<u32>,
    pub blob: CodeBlob,
    /// One per defined function, in order.
    pub functions: Vec<CompiledFunction>,
    /// Offsets of the stubs dispatch arrays use for null and mistyped entries, if any arrays.
    pub trap_stubs: Option<TrapStubs>,
    pub convention: &'static str,
}

impl CompiledModule {
    pub fn defined_function(&self, func_index: u32) -> &CompiledFunction {
        &self.functions[(func_index - self.info.num_imported_funcs) as usize]
    }
}

/// Parses, validates, translates and compiles a whole module.
pub fn compile_module(bytes: &[u8], options: &CompileOptions) -> Result<CompiledModule> {
    let isa = options.build_isa()?;
    let parsed = parse(bytes)?;
    let info = parsed.info;
    let facts = ModuleFacts::gather(&info, &parsed.bodies);
    let offsets = VMOffsets::new(&info, facts.dispatch_arrays.len() as u32);
    // With the context in the pinned register and a memory of its own, the instance's
    // `VMContext` goes just below that memory, and the context is the memory's base.
    let context_prefix =
        (options.convention.pinned_context() && info.num_imported_memories == 0 && !info.memories.is_empty())
            .then(|| offsets.size().next_multiple_of(CONTEXT_PREFIX_ALIGN));
    let env = FuncEnv {
        info: &info,
        context_prefix,
        facts: &facts,
        offsets: &offsets,
        cc: options.convention,
        isa: &*isa,
    };

    let compiled = compile_bodies(&env, parsed.bodies, options)?;
    let mut blob = CodeBlob::default();
    let mut functions = Vec::with_capacity(compiled.len());
    for (func_index, piece, clif, disasm) in compiled {
        let len = piece.code.len() as u32;
        let offset = blob.append(piece);
        functions.push(CompiledFunction { func_index, offset, len, clif, disasm });
    }
    let trap_stubs = if options.convention.static_dispatch() && !facts.dispatch_arrays.is_empty() {
        let mut stub = |kind| -> Result<u32> {
            let (piece, ..) =
                compile_function(&*isa, crate::trampoline::trap_stub(kind, &*isa), false, "trap stub")?;
            Ok(blob.append(piece))
        };
        Some(TrapStubs {
            null: stub(TrapKind::UninitializedElement)?,
            bad_signature: stub(TrapKind::BadSignature)?,
        })
    } else {
        None
    };
    blob.traps.sort_by_key(|t| t.offset);
    Ok(CompiledModule {
        info,
        facts,
        offsets,
        context_prefix,
        blob,
        functions,
        trap_stubs,
        convention: options.convention.name(),
    })
}

type Compiled = (u32, CodeBlob, Option<String>, Option<String>);

fn compile_bodies(
    env: &FuncEnv<'_>,
    bodies: Vec<FunctionInput<'_>>,
    options: &CompileOptions,
) -> Result<Vec<Compiled>> {
    let threads = if options.parallel {
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(bodies.len().max(1))
    } else {
        1
    };
    let count = bodies.len();
    let queue = Mutex::new(bodies.into_iter().enumerate());
    let results: Mutex<Vec<Option<Result<Compiled>>>> = Mutex::new((0..count).map(|_| None).collect());
    let failed = std::sync::atomic::AtomicBool::new(false);
    let work = || {
        let mut tctx = TranslatorContext::default();
        while !failed.load(std::sync::atomic::Ordering::Relaxed) {
            let next = queue.lock().expect("queue").next();
            let Some((slot, input)) = next else { break };
            let result = compile_one(env, input, &mut tctx, options.keep_text);
            if result.is_err() {
                // A failed translation leaves the builder's state half-used.
                tctx = TranslatorContext::default();
                failed.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            results.lock().expect("results")[slot] = Some(result);
        }
    };
    if threads <= 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    let results = results.into_inner().expect("results");
    if let Some(error) = results.iter().position(|r| matches!(r, Some(Err(_)))) {
        let Some(Some(Err(e))) = results.into_iter().nth(error) else { unreachable!() };
        return Err(e);
    }
    results.into_iter().map(|r| r.expect("compiled when nothing failed")).collect()
}

fn compile_one(
    env: &FuncEnv<'_>,
    input: FunctionInput<'_>,
    tctx: &mut TranslatorContext,
    keep_text: bool,
) -> Result<Compiled> {
    let func_index = input.func_index;
    let mut func = Function::new();
    translate_function(env, input, tctx, &mut func)?;
    let name = env.info.func_display_name(func_index);
    let (piece, clif, disasm) = compile_function(env.isa, func, keep_text, &name)?;
    Ok((func_index, piece, clif, disasm))
}

/// Compiles one Cranelift function to position-independent code plus relocations.
pub fn compile_function(
    isa: &dyn TargetIsa,
    func: Function,
    keep_text: bool,
    name: &str,
) -> Result<(CodeBlob, Option<String>, Option<String>)> {
    let clif = keep_text.then(|| func.display().to_string());
    let names = func.params.user_named_funcs().clone();
    let mut ctx = Context::for_function(func);
    ctx.set_disasm(keep_text);
    let compiled = ctx
        .compile(isa, &mut ControlPlane::default())
        .map_err(|e| CompileError::Codegen { func: name.to_string(), message: format!("{:?}", e.inner) })?;
    let buffer = &compiled.buffer;
    let mut relocs = Vec::new();
    for r in buffer.relocs() {
        let target = match &r.target {
            FinalizedRelocTarget::ExternalName(ExternalName::User(user)) => {
                let name = &names[*user];
                debug_assert_eq!(name.namespace, FUNC_NAMESPACE);
                RelocTarget::Func(name.index)
            }
            FinalizedRelocTarget::ExternalName(ExternalName::LibCall(libcall)) => {
                RelocTarget::LibCall(*libcall)
            }
            other => {
                return Err(CompileError::Codegen {
                    func: name.to_string(),
                    message: format!("unexpected relocation target {other:?}"),
                });
            }
        };
        relocs.push(Relocation { offset: r.offset, kind: r.kind, target, addend: r.addend });
    }
    let traps = buffer
        .traps()
        .iter()
        .filter_map(|t| TrapKind::from_code(t.code).map(|kind| TrapSite { offset: t.offset, kind }))
        .collect();
    let disasm = compiled.vcode.clone();
    let code = buffer.data().to_vec();
    Ok((CodeBlob { code, relocs, traps }, clif, disasm))
}
