//! From a module's bytes to a `CompiledModule` (see `compiled`), and a fused group compiled
//! again on its profile (`recompile_group`, see `tiering`).
//!
//! Functions are translated and compiled on all cores, each worker reusing its Cranelift
//! contexts; the results are laid out in function order. Calls between the module's functions
//! stay relocations until the runtime publishes the blob at its final address.

use crate::cc::Convention;
use crate::compiled::{
    CodeBlob, CodeSettings, CompiledFunction, CompiledGroup, CompiledModule, HandlerSite, RelocTarget,
    Relocation, TrapSite, TrapStubs,
};
use crate::error::{CompileError, Result};
use crate::facts::ModuleFacts;
use crate::groups::TailGroups;
use crate::isa::{IsaOptions, Target, build_isa};
use crate::module::{FunctionInput, ModuleInfo, parse};
use crate::plans::TypePlans;
use crate::tiering::GroupTier;
use crate::translate::fused::{GROUP_NAMESPACE, entry_stub, translate_group};
use crate::translate::interrupts::Interrupts;
use crate::translate::{FUNC_NAMESPACE, FuncEnv, TranslatorContext, translate_function};
use crate::trap::TrapKind;
use crate::vmctx::VMOffsets;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{ExternalName, Function};
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::{Context, FinalizedMachExceptionHandler, FinalizedRelocTarget};
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
    /// Compile fused groups to profile their indirect tail calls and call the runtime to tier
    /// up (see `tiering`).
    pub tier_up: bool,
    /// Fuel and epoch checks in the code (see `translate::interrupts`).
    pub interrupts: Interrupts,
    /// The Wasm features a module may use (at most `module::features()`): validation rejects
    /// the rest.
    pub features: wasmparser::WasmFeatures,
    /// Check every linear-memory access against the memory's current length, for memories
    /// without the 8 GiB reservation whose unmapped pages otherwise catch what is out of bounds
    /// (the runtime's pooled memories, `translate::memory`).
    pub bounds_checks: bool,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            target: Target::Host,
            isa: IsaOptions::default(),
            convention: &crate::cc::Baseline,
            keep_text: false,
            parallel: true,
            tier_up: false,
            interrupts: Interrupts::default(),
            features: crate::module::features(),
            bounds_checks: false,
        }
    }
}

impl CompileOptions {
    pub fn build_isa(&self) -> Result<OwnedTargetIsa> {
        build_isa(self.target, self.isa)
    }

    /// Everything in these options that changes the code: what a module compiled before must
    /// have been compiled with to stand in for a compilation with these options.
    pub fn code_settings(&self) -> Result<CodeSettings> {
        // Destructured without `..`, so that a new option cannot be added without deciding here
        // whether it changes code. The target and the ISA options reach the code only through
        // the ISA's settings, compared whole below.
        let CompileOptions {
            target: _,
            isa: _,
            convention,
            keep_text: _,
            parallel: _,
            tier_up,
            interrupts,
            features,
            bounds_checks,
        } = *self;
        let isa = self.build_isa()?;
        let flags = isa
            .flags()
            .iter()
            .chain(isa.isa_flags())
            // The verifier checks code and never changes it.
            .filter(|value| value.name != "enable_verifier")
            .map(|value| format!("{}={}", value.name, value.value_string()))
            .collect();
        Ok(CodeSettings {
            triple: isa.triple().to_string(),
            flags,
            convention: convention.name().to_string(),
            tier_up,
            interrupts,
            features: features.bits(),
            bounds_checks,
        })
    }
}

/// A module parsed, with the facts that translating any part of it reads.
struct Analysis {
    pub isa: OwnedTargetIsa,
    pub info: ModuleInfo,
    pub facts: ModuleFacts,
    /// How the module's own function types travel.
    pub plans: TypePlans,
    /// Fused tail-call groups (none unless the convention fuses).
    pub groups: TailGroups,
    pub offsets: VMOffsets,
    pub context_prefix: Option<u32>,
}

impl Analysis {
    /// Parses and validates the module's sections, and gathers its facts and groups; returns
    /// the function bodies apart, still to validate.
    pub fn new<'d>(bytes: &'d [u8], options: &CompileOptions) -> Result<(Analysis, Vec<FunctionInput<'d>>)> {
        let isa = options.build_isa()?;
        let parsed = parse(bytes, options.features)?;
        let info = parsed.info;
        let facts = ModuleFacts::gather(&info, &parsed.bodies);
        let plans = TypePlans::find(&info, &facts, &parsed.bodies);
        let groups = if options.convention.fuses() {
            TailGroups::find(&info, &facts, &parsed.bodies)
        } else {
            TailGroups::default()
        };
        let offsets = VMOffsets::new(&info, &facts.dispatch_array_lens(&info), groups.groups.len() as u32);
        // With the context in the pinned register and a memory of its own, the instance's
        // `VMContext` goes just below that memory, and the context is the memory's base.
        let context_prefix = (options.convention.pinned_context()
            && info.num_imported_memories == 0
            && !info.memories.is_empty())
        .then(|| offsets.size().next_multiple_of(CONTEXT_PREFIX_ALIGN));
        let analysis = Analysis { isa, info, facts, plans, groups, offsets, context_prefix };
        Ok((analysis, parsed.bodies))
    }

    pub fn env<'a>(&'a self, options: &CompileOptions, tier: GroupTier<'a>, far_calls: bool) -> FuncEnv<'a> {
        FuncEnv {
            info: &self.info,
            context_prefix: self.context_prefix,
            facts: &self.facts,
            plans: &self.plans,
            groups: &self.groups,
            offsets: &self.offsets,
            cc: options.convention,
            isa: &*self.isa,
            tier,
            far_calls,
            prologue_stack_check: false,
            interrupts: options.interrupts,
            bounds_checks: options.bounds_checks,
        }
    }
}

/// Parses, validates, translates and compiles a whole module.
pub fn compile_module(bytes: &[u8], options: &CompileOptions) -> Result<CompiledModule> {
    let (analysis, bodies) = Analysis::new(bytes, options)?;
    let tier = if options.tier_up { GroupTier::Profiling } else { GroupTier::Plain };
    let env = analysis.env(options, tier, false);
    let (compiled, compiled_groups) = compile_bodies(&env, bodies, options)?;
    let align = env.isa.function_alignment().preferred;
    let mut blob = CodeBlob::default();
    let mut functions = Vec::with_capacity(compiled.len());
    for (func_index, piece) in compiled {
        let len = piece.blob.code.len() as u32;
        let offset = blob.append(piece.blob, align);
        functions.push(CompiledFunction {
            func_index,
            offset,
            len,
            prologue_stack_check: piece.prologue_stack_check,
            clif: piece.clif,
            disasm: piece.disasm,
        });
    }
    let mut group_code = Vec::with_capacity(compiled_groups.len());
    for (piece, sites) in compiled_groups {
        let len = piece.blob.code.len() as u32;
        let members = member_ranges(&piece.srclocs, len);
        let offset = blob.append(piece.blob, align);
        group_code.push(CompiledGroup {
            offset,
            len,
            members,
            sites,
            prologue_stack_check: piece.prologue_stack_check,
            clif: piece.clif,
            disasm: piece.disasm,
        });
    }
    for reloc in &mut blob.relocs {
        if let RelocTarget::Group(g) = reloc.target {
            reloc.target = RelocTarget::Offset(group_code[g as usize].offset);
        }
    }
    let Analysis { isa, info, facts, plans, groups, offsets, context_prefix } = analysis;
    let trap_stubs = if options.convention.static_dispatch() && !facts.dispatch_arrays.is_empty() {
        let mut stub = |kind| -> Result<u32> {
            let (piece, ..) =
                compile_function(&*isa, crate::trampoline::trap_stub(kind, &*isa), false, "trap stub")?;
            Ok(blob.append(piece, align))
        };
        Some(TrapStubs {
            null: stub(TrapKind::UninitializedElement)?,
            bad_signature: stub(TrapKind::BadSignature)?,
            null_reference: stub(TrapKind::NullFunctionReference)?,
        })
    } else {
        None
    };
    blob.traps.sort_by_key(|t| t.offset);
    blob.handlers.sort_by_key(|h| h.return_offset);
    Ok(CompiledModule {
        info,
        facts,
        plans,
        groups,
        offsets,
        context_prefix,
        blob,
        functions,
        group_code,
        trap_stubs,
        convention: options.convention.name(),
    })
}

/// One compiled function, with what `kite compile` and backtraces may want of it.
pub(crate) struct Piece {
    pub blob: CodeBlob,
    pub clif: Option<String>,
    pub disasm: Option<String>,
    /// (start, end, source location) of the code, sorted; locations are set only in groups.
    pub srclocs: Vec<(u32, u32, u32)>,
    /// Bytes of stack the function sets up below its frame pointer (spill slots, stack slots,
    /// saved registers, outgoing arguments).
    pub frame_size: u32,
    /// Whether Cranelift checks the stack limit in the prologue, frame included.
    pub prologue_stack_check: bool,
}

/// A unit of compilation work.
enum Work<'d> {
    /// A function of its own.
    Function(usize, FunctionInput<'d>),
    /// The entry stub of a fused group's member.
    Stub(usize, u32),
    /// A fused group, with its members' bodies.
    Group(u32, Vec<FunctionInput<'d>>),
}

enum Done {
    Function(usize, u32, Piece),
    /// A group's code and its `br_table` sites.
    Group(u32, Piece, Vec<u32>),
}

/// Compiles every defined function (or its entry stub) and every fused group, on all cores.
/// Returns the functions in order, with their indices, and the groups in order.
#[allow(clippy::type_complexity)]
fn compile_bodies(
    env: &FuncEnv<'_>,
    bodies: Vec<FunctionInput<'_>>,
    options: &CompileOptions,
) -> Result<(Vec<(u32, Piece)>, Vec<(Piece, Vec<u32>)>)> {
    let count = bodies.len();
    let mut group_inputs: Vec<Vec<FunctionInput<'_>>> =
        env.groups.groups.iter().map(|_| Vec::new()).collect();
    let mut work = Vec::with_capacity(count + group_inputs.len());
    for (slot, input) in bodies.into_iter().enumerate() {
        match env.groups.group_of.get(slot).copied().flatten() {
            Some(g) => {
                work.push(Work::Stub(slot, input.func_index));
                group_inputs[g as usize].push(input);
            }
            None => work.push(Work::Function(slot, input)),
        }
    }
    // Groups are the largest pieces of work: start them first.
    let mut queue: Vec<Work<'_>> =
        group_inputs.into_iter().enumerate().map(|(g, inputs)| Work::Group(g as u32, inputs)).collect();
    queue.extend(work);
    let units = queue.len();
    let threads = if options.parallel {
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(units.max(1))
    } else {
        1
    };
    let queue = Mutex::new(queue.into_iter());
    let results: Mutex<Vec<(u32, Result<Done>)>> = Mutex::new(Vec::with_capacity(units));
    let failed = std::sync::atomic::AtomicBool::new(false);
    let work = || {
        let mut tctx = TranslatorContext::default();
        while !failed.load(std::sync::atomic::Ordering::Relaxed) {
            let next = queue.lock().expect("queue").next();
            let Some(unit) = next else { break };
            let first_function = match &unit {
                Work::Function(_, input) => input.func_index,
                Work::Stub(_, func_index) => *func_index,
                Work::Group(_, inputs) => inputs.iter().map(|i| i.func_index).min().unwrap_or(0),
            };
            let result = compile_unit(env, unit, &mut tctx, options.keep_text);
            if result.is_err() {
                // A failed translation leaves the builder's state half-used.
                tctx = TranslatorContext::default();
                failed.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            results.lock().expect("results").push((first_function, result));
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
    let mut functions: Vec<Option<(u32, Piece)>> = (0..count).map(|_| None).collect();
    let mut groups: Vec<Option<(Piece, Vec<u32>)>> = env.groups.groups.iter().map(|_| None).collect();
    let mut first_error = None;
    for (first_function, result) in results.into_inner().expect("results") {
        match result {
            Ok(Done::Function(slot, func_index, piece)) => functions[slot] = Some((func_index, piece)),
            Ok(Done::Group(g, piece, sites)) => groups[g as usize] = Some((piece, sites)),
            // The error of the earliest function wins, so messages do not depend on threads.
            Err(e) => {
                if first_error.as_ref().is_none_or(|(at, _)| first_function < *at) {
                    first_error = Some((first_function, e));
                }
            }
        }
    }
    if let Some((_, e)) = first_error {
        return Err(e);
    }
    let functions = functions.into_iter().map(|f| f.expect("compiled when nothing failed")).collect();
    let groups = groups.into_iter().map(|g| g.expect("compiled when nothing failed")).collect();
    Ok((functions, groups))
}

fn compile_unit(
    env: &FuncEnv<'_>,
    unit: Work<'_>,
    tctx: &mut TranslatorContext,
    keep_text: bool,
) -> Result<Done> {
    match unit {
        Work::Function(slot, input) => {
            let func_index = input.func_index;
            let name = env.info.func_display_name(func_index);
            let (piece, ()) = compile_stack_checked(env, keep_text, &name, |env, func| {
                translate_function(env, input.clone(), tctx, func)
            })?;
            Ok(Done::Function(slot, func_index, piece))
        }
        Work::Stub(slot, func_index) => {
            let mut func = Function::new();
            entry_stub(env, func_index, tctx, &mut func);
            let name = env.info.func_display_name(func_index);
            Ok(Done::Function(slot, func_index, compile_piece(env.isa, func, keep_text, &name)?))
        }
        Work::Group(g, inputs) => {
            let (piece, sites) = compile_group(env, g, &inputs, tctx, keep_text)?;
            Ok(Done::Group(g, piece, sites))
        }
    }
}

/// Translates and compiles fused group `g` from its members' bodies; returns its code and its
/// `br_table` sites.
fn compile_group(
    env: &FuncEnv<'_>,
    g: u32,
    inputs: &[FunctionInput<'_>],
    tctx: &mut TranslatorContext,
    keep_text: bool,
) -> Result<(Piece, Vec<u32>)> {
    compile_stack_checked(env, keep_text, &format!("fused group {g}"), |env, func| {
        translate_group(env, g, inputs.to_vec(), tctx, func)
    })
}

/// A group compiled a second time, to go somewhere of its own.
#[derive(Debug)]
pub struct RecompiledGroup {
    /// Position-independent code; calls to the module's functions take absolute addresses.
    pub blob: CodeBlob,
    /// (start, end, function index) of each member's code, sorted.
    pub members: Vec<(u32, u32, u32)>,
    /// What each site tests first.
    pub hot: Vec<Option<u32>>,
}

/// Compiles fused group `group` of the module in `bytes`, compiled before with `options`, again,
/// testing `hot` first (per site, a table element or nothing; `tiering::hot_elements` picks them
/// from a profile, or a profile kept from an earlier run gives them). Each element must be
/// within its site's table (`CompiledGroup::sites`).
pub fn recompile_group(
    bytes: &[u8],
    options: &CompileOptions,
    group: u32,
    hot: Vec<Option<u32>>,
) -> Result<RecompiledGroup> {
    let (analysis, bodies) = Analysis::new(bytes, options)?;
    let env = analysis.env(options, GroupTier::Speculating(&hot), true);
    let inputs: Vec<_> = bodies
        .into_iter()
        .enumerate()
        .filter(|(slot, _)| analysis.groups.group_of.get(*slot).copied().flatten() == Some(group))
        .map(|(_, input)| input)
        .collect();
    let (piece, _) = compile_group(&env, group, &inputs, &mut TranslatorContext::default(), false)?;
    let members = member_ranges(&piece.srclocs, piece.blob.code.len() as u32);
    Ok(RecompiledGroup { blob: piece.blob, members, hot })
}

/// The largest frame a function may set up below the stack limit without checking it: a
/// function that makes no ordinary calls checks nothing under conventions that keep the
/// context in the pinned register, and the runtime keeps 256 KiB below the limit for host
/// functions and the signal handler.
pub const UNCHECKED_FRAME_LIMIT: u32 = 32 * 1024;

/// Translates (with `translate`) and compiles one function; if its frame came out larger than
/// `UNCHECKED_FRAME_LIMIT` with no check of the stack limit before it is set up, does both
/// again with Cranelift checking in the prologue. The size of a frame is known only after
/// register allocation, and such frames are rare, so they pay for a second compilation rather
/// than every function for a check.
fn compile_stack_checked<T>(
    env: &FuncEnv<'_>,
    keep_text: bool,
    name: &str,
    mut translate: impl FnMut(&FuncEnv<'_>, &mut Function) -> Result<T>,
) -> Result<(Piece, T)> {
    let mut func = Function::new();
    let out = translate(env, &mut func)?;
    let piece = compile_piece(env.isa, func, keep_text, name)?;
    if piece.prologue_stack_check || piece.frame_size <= UNCHECKED_FRAME_LIMIT {
        return Ok((piece, out));
    }
    let env = FuncEnv { prologue_stack_check: true, ..*env };
    let mut func = Function::new();
    let out = translate(&env, &mut func)?;
    Ok((compile_piece(env.isa, func, keep_text, name)?, out))
}

/// The members' ranges of a group function's code, from its source locations (a member's
/// index): each range runs to the start of the next, so every byte has an owner.
fn member_ranges(srclocs: &[(u32, u32, u32)], len: u32) -> Vec<(u32, u32, u32)> {
    let mut ranges: Vec<(u32, u32, u32)> = Vec::new();
    for &(start, _, func) in srclocs {
        match ranges.last_mut() {
            Some(last) if last.2 == func => {}
            Some(last) => {
                last.1 = start;
                ranges.push((start, len, func));
            }
            None => ranges.push((0, len, func)),
        }
    }
    ranges
}

/// Compiles one Cranelift function to position-independent code plus relocations.
pub fn compile_function(
    isa: &dyn TargetIsa,
    func: Function,
    keep_text: bool,
    name: &str,
) -> Result<(CodeBlob, Option<String>, Option<String>)> {
    let piece = compile_piece(isa, func, keep_text, name)?;
    Ok((piece.blob, piece.clif, piece.disasm))
}

pub(crate) fn compile_piece(
    isa: &dyn TargetIsa,
    func: Function,
    keep_text: bool,
    name: &str,
) -> Result<Piece> {
    let clif = keep_text.then(|| func.display().to_string());
    let prologue_stack_check = func.stack_limit.is_some();
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
                match name.namespace {
                    FUNC_NAMESPACE => RelocTarget::Func(name.index),
                    GROUP_NAMESPACE => RelocTarget::Group(name.index),
                    other => unreachable!("namespace {other} is not kite's"),
                }
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
    let frameless = buffer.frame_layout().is_some_and(|layout| !layout.frame_record);
    let frame_size = buffer.frame_layout().map_or(0, |layout| layout.frame_to_fp_offset);
    let traps = buffer
        .traps()
        .iter()
        .filter_map(|t| {
            TrapKind::from_code(t.code).map(|kind| TrapSite { offset: t.offset, kind, frameless })
        })
        .collect();
    let mut handlers = Vec::new();
    for site in buffer.call_sites() {
        if let Some(handler) = site.exception_handlers.iter().find_map(|h| match h {
            FinalizedMachExceptionHandler::Default(offset) => Some(*offset),
            _ => None,
        }) {
            let fp_to_sp = site.frame_offset.ok_or_else(|| CompileError::Codegen {
                func: name.to_string(),
                message: "a call with an exception handler but no frame offset".into(),
            })?;
            handlers.push(HandlerSite { return_offset: site.ret_addr, landing_offset: handler, fp_to_sp });
        }
    }
    let srclocs = buffer
        .get_srclocs_sorted()
        .iter()
        .filter(|s| !s.loc.is_default())
        .map(|s| (s.start, s.end, s.loc.bits()))
        .collect();
    let disasm = compiled.vcode.clone();
    let code = buffer.data().to_vec();
    Ok(Piece {
        blob: CodeBlob { code, relocs, traps, handlers },
        clif,
        disasm,
        srclocs,
        frame_size,
        prologue_stack_check,
    })
}
