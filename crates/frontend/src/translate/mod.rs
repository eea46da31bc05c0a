//! Wasm function bodies to Cranelift IR.
//!
//! [`Translator`] holds the state of one function's translation: the operand stack of SSA values,
//! the control stack, locals as Cranelift variables. Each instruction family lives in its own
//! module and claims the operators it knows; the dispatch in [`Translator::operator`] only asks
//! each family in turn. Validation runs in lockstep: every operator goes through wasmparser's
//! `FuncValidator` before it is translated, so the translator can assume a valid body.

mod calls;
mod control;
mod conversions;
mod dispatch;
mod exceptions;
pub(crate) mod fused;
pub mod interrupts;
mod memory;
mod numeric;
mod simd;
mod tables;
mod variables;

use crate::cc::Convention;
use crate::error::{CompileError, Result};
use crate::module::{FunctionInput, ModuleInfo, val_type};
use crate::trap::TrapKind;
use crate::types::ValType;
use crate::vmctx::{Builtin, VMCTX_BUILTINS, VMCTX_STORE_CONTEXT, VMOffsets, store_context};
use cranelift_codegen::ir::{
    self, AbiParam, BlockArg, FuncRef, Function, GlobalValueData, InstBuilder, MemFlagsData, SigRef,
    Signature, Type, UserExternalName, UserFuncName, Value, types,
};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use std::collections::HashMap;
use wasmparser::{FuncValidatorAllocations, Operator};

/// Namespace of [`UserExternalName`]s that name the module's own functions by index.
pub const FUNC_NAMESPACE: u32 = 0;

/// Module-wide facts the translation of each function reads.
pub struct FuncEnv<'m> {
    pub info: &'m ModuleInfo,
    /// Set when the instance's `VMContext` sits this many bytes below the base of its memory 0
    /// and the context value functions pass around is that base (see `vmctx`).
    pub context_prefix: Option<u32>,
    pub facts: &'m crate::facts::ModuleFacts,
    /// How the module's own function types travel (see `plans`).
    pub plans: &'m crate::plans::TypePlans,
    /// Fused tail-call groups (empty unless the convention fuses).
    pub groups: &'m crate::groups::TailGroups,
    pub offsets: &'m VMOffsets,
    pub cc: &'m dyn Convention,
    pub isa: &'m dyn TargetIsa,
    /// How fused groups are compiled: plain, profiling, or speculating on a profile.
    pub tier: crate::tiering::GroupTier<'m>,
    /// Set when the code goes somewhere of its own, away from the module's (a recompiled
    /// group): calls to the module's functions then take absolute addresses, which reach
    /// anywhere, instead of relative ones.
    pub far_calls: bool,
    /// Set when Cranelift checks the stack limit in the prologue, the frame's size included,
    /// under a convention that keeps the context in the pinned register (which otherwise lets
    /// only functions that make calls check, after their prologue): for a function whose first
    /// compilation set up a frame larger than the margin the runtime keeps below the limit
    /// (`compile::UNCHECKED_FRAME_LIMIT`).
    pub prologue_stack_check: bool,
    /// Fuel and epoch checks (see `interrupts`).
    pub interrupts: interrupts::Interrupts,
    /// Check each linear-memory access against the memory's length (`CompileOptions`).
    pub bounds_checks: bool,
}

impl FuncEnv<'_> {
    /// The Cranelift signature of a Wasm function of type `ty` in this module: the convention's,
    /// with the module's plan for the type.
    pub fn signature(&self, ty: &crate::types::FuncType) -> ir::Signature {
        self.cc.signature(ty, self.plans.plan(ty), self.isa)
    }

    /// The arguments of a call to a function of type `ty` in this module, as the convention
    /// passes them (see `Convention::encode_args`).
    pub fn encode_args(
        &self,
        b: &mut FunctionBuilder<'_>,
        ty: &crate::types::FuncType,
        caller_vmctx: Value,
        callee_vmctx: Option<Value>,
        args: &[Value],
    ) -> Vec<Value> {
        self.cc.encode_args(b, self.isa, ty, self.plans.plan(ty), caller_vmctx, callee_vmctx, args)
    }
}

/// Loads of the runtime's own data structures: aligned, and never trapping.
pub(crate) fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Loads of data that never changes once written (a `VMFuncRef`'s fields, say).
pub(crate) fn readonly() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly()
}

/// Loads of `VMContext` fields fixed at instantiation: valid anywhere in the function, so
/// Cranelift may move them freely (hoist, merge, or drop them when unused).
pub(crate) fn invariant() -> MemFlagsData {
    readonly().with_can_move()
}

/// Kinds of memory the code touches that never overlap, each its own Cranelift alias region, so
/// that a store to one does not make Cranelift reload what it loaded from another: a guest's
/// store to linear memory leaves a global it read in its register, and a store to a global or a
/// table leaves memory's values. (Wasmtime does the same since wasmtime #13525.) Accesses
/// without a region (the runtime's other fields, the trampolines' value arrays) may alias
/// anything, and calls may change everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Region {
    /// Linear memory `n`'s bytes.
    Memory(u32),
    /// Global variables' cells, defined (in the `VMContext`) or imported.
    Globals,
    /// Tables' elements.
    Tables,
    /// Tiering's per-instance state: a group's budget and its profile's counters.
    Profile,
    /// Linear memories' lengths, which only `memory.grow` (a call) changes: bounds checks load
    /// one once until the next call.
    MemoryLengths,
}

impl Region {
    /// Cranelift's key for the region, unique within a function (kite does not inline).
    fn user_id(self) -> u32 {
        match self {
            Region::Globals => 0,
            Region::Tables => 1,
            Region::Profile => 2,
            Region::MemoryLengths => 3,
            Region::Memory(n) => 4 + n,
        }
    }

    fn description(self) -> std::borrow::Cow<'static, str> {
        match self {
            Region::Memory(n) => format!("memory {n}").into(),
            Region::Globals => "globals".into(),
            Region::Tables => "table elements".into(),
            Region::Profile => "tiering profile".into(),
            Region::MemoryLengths => "memory lengths".into(),
        }
    }
}

/// `flags` for an access to `region` in `func`.
pub(crate) fn in_region(func: &mut Function, flags: MemFlagsData, region: Region) -> MemFlagsData {
    let regions = &mut func.dfg.alias_regions;
    let id = regions.get(region.user_id()).unwrap_or_else(|| {
        regions.insert(ir::AliasRegionData { user_id: region.user_id(), description: region.description() })
    });
    flags.with_alias_region(Some(id))
}

pub(crate) fn block_args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().copied().map(BlockArg::from).collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameKind {
    Block,
    Loop,
    /// An `if` whose `else` has not been seen yet; `else_block` takes the frame's parameters.
    If {
        else_block: ir::Block,
    },
    Else,
    /// A `try_table`: a block whose calls and throws go to its catch clauses first.
    TryTable,
    /// A legacy `try` body. `miss` is where its dispatch code goes on (so far, its dispatch
    /// block, taking the exception `exn`).
    Try {
        miss: Option<ir::Block>,
        exn: Value,
    },
    /// A legacy `catch` or `catch_all` clause; `miss` is where the previous clauses missed
    /// (none after `catch_all`), `exn` the exception caught (for `rethrow`).
    Catch {
        miss: Option<ir::Block>,
        exn: Value,
    },
    /// A block opened in unreachable code: only its `end` matters.
    Dead,
}

#[derive(Clone, Debug)]
pub(crate) struct Frame {
    pub kind: FrameKind,
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
    /// The block after `end`, taking the results as parameters.
    pub next: ir::Block,
    /// A loop's header, taking the parameters; branches to a loop go here.
    pub header: Option<ir::Block>,
    /// Operand stack height below this frame's parameters.
    pub height: usize,
    /// Whether anything reaches `next`: a branch, or falling off the end.
    pub next_reached: bool,
    /// The parameters of an `if`, which its `else` starts with again.
    pub if_params: Vec<Value>,
    /// The handler scope (`Translator::handlers`) around the frame, and the one inside it (a
    /// `try_table`'s or a `try` body's own): where a `throw` in it goes (`exceptions`).
    pub handler_outside: Option<usize>,
    pub handler_inside: Option<usize>,
}

impl Frame {
    /// The block a branch to this frame jumps to, and how many values it takes.
    pub fn branch_target(&self) -> (ir::Block, usize) {
        match self.header {
            Some(header) => (header, self.params.len()),
            None => (self.next, self.results.len()),
        }
    }
}

/// The state of one function's translation.
pub(crate) struct Translator<'a, 'f> {
    pub b: FunctionBuilder<'f>,
    pub env: &'a FuncEnv<'a>,
    /// This function's `VMContext`.
    pub vmctx: Value,
    /// What the convention passes as the context: the `VMContext`, or memory 0's base.
    pub context: Value,
    pub locals: Vec<(Variable, ValType)>,
    pub stack: Vec<Value>,
    pub control: Vec<Frame>,
    pub reachable: bool,
    pub shared: Shared<'a>,
    /// Fuel of the straight run translated since the counter was last updated (see
    /// `interrupts`).
    pub fuel_pending: u32,
    /// The last `table.get` that left its reference unread for the `call_ref` right after it
    /// (`facts::ref_call_through_table`): the stand-in it pushed, its table and index.
    pub table_get: Option<(Value, u32, Value)>,
    /// At a `table.get` that a `call_ref` right after it calls through: (table, type index).
    pub ref_call_next: Option<(u32, u32)>,
    /// Every handler scope opened so far (`exceptions`), and the innermost one around the
    /// current instruction.
    pub handlers: Vec<exceptions::Handler>,
    pub handler: Option<usize>,
}

/// What the translation of one function keeps across the members of a fused group, which are
/// translated one after another into the same Cranelift function.
#[derive(Default)]
pub(crate) struct Shared<'a> {
    sig_refs: HashMap<u32, SigRef>,
    func_refs: HashMap<u32, FuncRef>,
    builtin_refs: HashMap<usize, SigRef>,
    memory_bases: HashMap<u32, Value>,
    /// Inside a fused group: the block whose read of the pinned register `memory_base` reuses.
    pinned_read: Option<(ir::Block, Value)>,
    /// Set while translating the members of a fused group.
    pub group: Option<fused::GroupState<'a>>,
    /// Whether the function compares the stack pointer with the store's stack limit at its
    /// entry (which epoch interruption then needs no check of its own at: `interrupts`). Never
    /// in a group: a member's entry is also where other members jump.
    entry_checks_stack: bool,
}

impl<'a, 'f> Translator<'a, 'f> {
    /// Flags of an access to the runtime's data in `region` (aligned, never trapping).
    pub(crate) fn trusted_in(&mut self, region: Region) -> MemFlagsData {
        in_region(self.b.func, trusted(), region)
    }

    pub fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    pub fn pop(&mut self) -> Value {
        self.stack.pop().expect("validated: operand stack underflow")
    }

    pub fn pop2(&mut self) -> (Value, Value) {
        let y = self.pop();
        let x = self.pop();
        (x, y)
    }

    pub fn pop3(&mut self) -> (Value, Value, Value) {
        let z = self.pop();
        let (x, y) = self.pop2();
        (x, y, z)
    }

    pub fn popn(&mut self, n: usize) -> Vec<Value> {
        let at = self.stack.len() - n;
        self.stack.split_off(at)
    }

    pub fn peekn(&self, n: usize) -> &[Value] {
        &self.stack[self.stack.len() - n..]
    }

    pub fn ins(&mut self) -> cranelift_frontend::FuncInstBuilder<'_, 'f> {
        self.b.ins()
    }

    pub fn pointer_type(&self) -> Type {
        self.env.isa.pointer_type()
    }

    /// Traps with `kind` unless `cond` is zero.
    pub fn trap_if(&mut self, cond: Value, kind: TrapKind) {
        self.b.ins().trapnz(cond, kind.code());
    }

    pub fn sig_ref(&mut self, type_index: u32) -> SigRef {
        if let Some(sig) = self.shared.sig_refs.get(&type_index) {
            return *sig;
        }
        let ty = self.env.info.func_type_at(type_index);
        let sig = self.b.import_signature(self.env.signature(ty));
        self.shared.sig_refs.insert(type_index, sig);
        sig
    }

    /// A direct reference to a function defined in this module, resolved when the module's code
    /// is published.
    pub fn func_ref(&mut self, func: u32) -> FuncRef {
        if let Some(f) = self.shared.func_refs.get(&func) {
            return *f;
        }
        let signature = self.sig_ref(self.env.info.funcs[func as usize]);
        let name = self.b.func.declare_imported_user_function(UserExternalName::new(FUNC_NAMESPACE, func));
        let f = self.b.import_function(ir::ExtFuncData {
            name: ir::ExternalName::user(name),
            signature,
            colocated: !self.env.far_calls,
            patchable: false,
        });
        self.shared.func_refs.insert(func, f);
        f
    }

    /// Calls a runtime builtin with the given arguments (after the implicit `VMContext`).
    pub fn call_builtin(&mut self, builtin: Builtin, args: &[Value]) -> Option<Value> {
        let ptr = self.pointer_type();
        let sig = match self.shared.builtin_refs.get(&builtin.index()) {
            Some(sig) => *sig,
            None => {
                let mut sig = Signature::new(CallConv::triple_default(self.env.isa.triple()));
                sig.params.push(AbiParam::new(ptr));
                sig.params.extend(builtin.params().iter().map(|t| AbiParam::new(*t)));
                sig.returns.extend(builtin.result().map(AbiParam::new));
                let sig = self.b.import_signature(sig);
                self.shared.builtin_refs.insert(builtin.index(), sig);
                sig
            }
        };
        let table = self.b.ins().load(ptr, invariant(), self.vmctx, VMCTX_BUILTINS as i32);
        let offset = (builtin.index() * 8) as i32;
        let callee = self.b.ins().load(ptr, invariant(), table, offset);
        let mut call_args = vec![self.vmctx];
        call_args.extend_from_slice(args);
        let call = self.b.ins().call_indirect(sig, callee, &call_args);
        self.b.inst_results(call).first().copied()
    }

    /// The base address of linear memory `index`. Memories never move (they grow in place inside
    /// their reservation), so the `VMContext` keeps a copy of each base, and memory 0's is loaded
    /// once in the entry block.
    pub fn memory_base(&mut self, index: u32) -> Value {
        if index == 0 && self.env.context_prefix.is_some() && self.shared.group.is_some() {
            // Read the pinned register once per block rather than keep a copy live across the
            // group: a fused group holds a whole interpreter's state in registers, and a copy
            // live across it would take one of them. Cranelift copies the pinned register
            // before using it as an address, so one read per block, not per access, saves a
            // move per access (tailvm: 4-5% faster). Elsewhere one copy for the whole function
            // is better: a loop keeps it in a register.
            let block = self.b.current_block().expect("translating inside a block");
            if let Some((read_in, base)) = self.shared.pinned_read
                && read_in == block
            {
                return base;
            }
            let ptr = self.pointer_type();
            let base = self.b.ins().get_pinned_reg(ptr);
            self.shared.pinned_read = Some((block, base));
            return base;
        }
        if let Some(base) = self.shared.memory_bases.get(&index) {
            return *base;
        }
        load_memory_base(&mut self.b, self.env, self.vmctx, index)
    }

    /// The address of memory `index`'s `VMMemoryDefinition`.
    pub fn memory_definition(&mut self, index: u32) -> Value {
        let ptr = self.pointer_type();
        let slot = self.env.offsets.memory(index) as i32;
        self.b.ins().load(ptr, invariant(), self.vmctx, slot)
    }

    /// The address of table `index`'s `VMTableDefinition`.
    pub fn table_definition(&mut self, index: u32) -> Value {
        let ptr = self.pointer_type();
        let slot = self.env.offsets.table(index) as i32;
        self.b.ins().load(ptr, invariant(), self.vmctx, slot)
    }

    pub fn block_type(&self, ty: wasmparser::BlockType) -> Result<(Vec<ValType>, Vec<ValType>)> {
        Ok(match ty {
            wasmparser::BlockType::Empty => (vec![], vec![]),
            wasmparser::BlockType::Type(t) => (vec![], vec![val_type(t)?]),
            wasmparser::BlockType::FuncType(i) => {
                let ft = self.env.info.func_type_at(i);
                (ft.params.clone(), ft.results.clone())
            }
        })
    }

    /// A new block taking values of the given types as parameters.
    pub fn block_with_params(&mut self, tys: &[ValType]) -> ir::Block {
        let block = self.b.create_block();
        for ty in tys {
            self.b.append_block_param(block, ty.clif());
        }
        block
    }

    fn operator(&mut self, op: &Operator<'_>) -> Result<()> {
        if !self.reachable {
            return control::translate_unreachable(self, op);
        }
        interrupts::before_operator(self, op);
        let handled = control::translate(self, op)?
            || variables::translate(self, op)?
            || numeric::translate(self, op)?
            || conversions::translate(self, op)?
            || memory::translate(self, op)?
            || calls::translate(self, op)?
            || tables::translate(self, op)?
            || exceptions::translate(self, op)?
            || simd::translate(self, op)?;
        if !handled {
            return Err(CompileError::Unsupported(format!("operator {op:?}")));
        }
        interrupts::after_operator(self, op);
        Ok(())
    }
}

/// Reusable allocations for translating many functions, one after another.
#[derive(Default)]
pub struct TranslatorContext {
    builder: FunctionBuilderContext,
    validator: Option<FuncValidatorAllocations>,
}

/// Validates and translates one function body into `func`.
pub fn translate_function(
    env: &FuncEnv<'_>,
    input: FunctionInput<'_>,
    ctx: &mut TranslatorContext,
    func: &mut Function,
) -> Result<()> {
    let info = env.info;
    let func_index = input.func_index;
    let func_type = info.func_type(func_index);
    func.name = UserFuncName::user(FUNC_NAMESPACE, func_index);
    func.signature = env.signature(func_type);
    if !env.cc.pinned_context() || env.prologue_stack_check {
        set_stack_limit(func, env);
    }
    let mut b = FunctionBuilder::new(func, &mut ctx.builder);
    let (vmctx, context, params) = enter(&mut b, env, func_type);
    let defined = (func_index - info.num_imported_funcs) as usize;
    if env.cc.pinned_context() && env.facts.makes_calls[defined] && !env.prologue_stack_check {
        check_stack(&mut b, vmctx);
    }
    let shared = Shared {
        memory_bases: memory_bases(&mut b, env, vmctx, context),
        // A function that makes calls checks: kite's check above, or Cranelift's in the prologue
        // (which Cranelift leaves out of leaf functions without a frame, tail calls or not).
        entry_checks_stack: env.prologue_stack_check || env.facts.makes_calls[defined],
        ..Shared::default()
    };
    let (mut b, _) =
        translate_body(env, input, &mut ctx.validator, b, (vmctx, context), params, func_type, shared)?;
    b.seal_all_blocks();
    b.finalize(env.isa.frontend_config());
    Ok(())
}

/// Opens the entry block of a function whose signature is `ty`'s: returns its `VMContext`, the
/// context value the convention passes (the same, or memory 0's base above it), and its Wasm
/// parameters.
pub(crate) fn enter(
    b: &mut FunctionBuilder<'_>,
    env: &FuncEnv<'_>,
    ty: &crate::types::FuncType,
) -> (Value, Value, Vec<Value>) {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let (context, params) = env.cc.decode_params(b, ty);
    let vmctx = match env.context_prefix {
        Some(prefix) => b.ins().iadd_imm_s(context, -i64::from(prefix)),
        None => context,
    };
    (vmctx, context, params)
}

/// Memory 0's base, once for the whole function: it is the context itself when the `VMContext`
/// sits below the memory, and otherwise a load fixed at instantiation.
fn memory_bases(
    b: &mut FunctionBuilder<'_>,
    env: &FuncEnv<'_>,
    vmctx: Value,
    context: Value,
) -> HashMap<u32, Value> {
    let mut bases = HashMap::new();
    if env.context_prefix.is_some() {
        bases.insert(0, context);
    } else if !env.info.memories.is_empty() {
        bases.insert(0, load_memory_base(b, env, vmctx, 0));
    }
    bases
}

/// Memory `index`'s base from the `VMContext`, where instantiation put it.
fn load_memory_base(b: &mut FunctionBuilder<'_>, env: &FuncEnv<'_>, vmctx: Value, index: u32) -> Value {
    let offset = env.offsets.memory_base(index) as i32;
    b.ins().load(env.isa.pointer_type(), invariant(), vmctx, offset)
}

/// Has Cranelift check the stack limit in the prologue, before the frame is set up, with the
/// frame's size; the limit lives in the store context, two dependent loads away from the
/// context (the `VMContext` parameter, or with kite's Cranelift patch the pinned register,
/// which may point `context_prefix` bytes above the `VMContext`).
pub(crate) fn set_stack_limit(func: &mut Function, env: &FuncEnv<'_>) {
    let context_gv = func.create_global_value(GlobalValueData::VMContext);
    let invariant_flags = func.dfg.mem_flags.insert(invariant()).expect("few flags");
    let trusted_flags = func.dfg.mem_flags.insert(trusted()).expect("few flags");
    let store_context_offset = i64::from(VMCTX_STORE_CONTEXT) - i64::from(env.context_prefix.unwrap_or(0));
    let store_gv = func.create_global_value(GlobalValueData::Load {
        base: context_gv,
        offset: i32::try_from(store_context_offset).expect("a context prefix fits in i32").into(),
        global_type: env.isa.pointer_type(),
        flags: invariant_flags,
    });
    let limit_gv = func.create_global_value(GlobalValueData::Load {
        base: store_gv,
        offset: (store_context::STACK_LIMIT as i32).into(),
        global_type: env.isa.pointer_type(),
        flags: trusted_flags,
    });
    func.stack_limit = Some(limit_gv);
}

/// The translator's own stack check, for conventions without a context parameter: traps if the
/// stack pointer is below the limit. Only functions that make ordinary calls need it; the
/// margin the runtime keeps below the limit covers one frame of any function that does not,
/// up to `compile::UNCHECKED_FRAME_LIMIT` (larger ones check in the prologue instead).
pub(crate) fn check_stack(b: &mut FunctionBuilder<'_>, vmctx: Value) {
    let ptr = types::I64;
    let store = b.ins().load(ptr, invariant(), vmctx, VMCTX_STORE_CONTEXT as i32);
    let limit = b.ins().load(ptr, trusted(), store, store_context::STACK_LIMIT as i32);
    let sp = b.ins().get_stack_pointer(ptr);
    let below = b.ins().icmp(ir::condcodes::IntCC::UnsignedLessThan, sp, limit);
    b.ins().trapnz(below, TrapKind::StackOverflow.code());
}

/// Validates and translates one body into `b`, from its current block; returns the builder,
/// neither sealed nor finalized, for the caller to go on with.
#[allow(clippy::too_many_arguments)]
fn translate_body<'a, 'f>(
    env: &'a FuncEnv<'a>,
    input: FunctionInput<'_>,
    allocations: &mut Option<FuncValidatorAllocations>,
    mut b: FunctionBuilder<'f>,
    (vmctx, context): (Value, Value),
    params: Vec<Value>,
    func_type: &crate::types::FuncType,
    shared: Shared<'a>,
) -> Result<(FunctionBuilder<'f>, Shared<'a>)> {
    let mut validator = input.validator.into_validator(allocations.take().unwrap_or_default());

    let mut locals = Vec::new();
    for (ty, value) in func_type.params.iter().zip(params) {
        let var = b.declare_var(ty.clif());
        b.def_var(var, value);
        locals.push((var, *ty));
    }
    let mut reader = input.body.get_binary_reader();
    let count = reader.read_var_u32()?;
    for _ in 0..count {
        let offset = reader.original_position();
        let n = reader.read_var_u32()?;
        let ty = reader.read()?;
        validator.define_locals(offset, n, ty)?;
        let ty = val_type(ty)?;
        for _ in 0..n {
            let var = b.declare_var(ty.clif());
            let zero = zero_value(&mut b, ty);
            b.def_var(var, zero);
            locals.push((var, ty));
        }
    }

    let exit = b.create_block();
    for ty in &func_type.results {
        b.append_block_param(exit, ty.clif());
    }
    let mut t = Translator {
        b,
        env,
        vmctx,
        context,
        locals,
        stack: Vec::new(),
        control: vec![Frame {
            kind: FrameKind::Block,
            params: vec![],
            results: func_type.results.clone(),
            next: exit,
            header: None,
            height: 0,
            next_reached: false,
            if_params: vec![],
            handler_outside: None,
            handler_inside: None,
        }],
        reachable: true,
        shared,
        fuel_pending: 0,
        table_get: None,
        ref_call_next: None,
        handlers: Vec::new(),
        handler: None,
    };
    interrupts::at_entry(&mut t);

    let mut ops = wasmparser::OperatorsReader::new(reader);
    while !ops.eof() {
        let (op, offset) = ops.read_with_offset()?;
        validator.op(offset, &op)?;
        if let Operator::TableGet { .. } = op {
            // Whether a `call_ref` calls what it reads (`facts::ref_call_through_table`).
            let next = ops.clone().read().ok();
            t.ref_call_next = next.and_then(|next| crate::facts::ref_call_through_table(&op, &next));
        }
        t.operator(&op).map_err(|e| e.at(offset))?;
    }
    ops.finish()?;

    // The final `end` left us in the exit block (or in unreachable code if nothing reaches it).
    if t.reachable {
        let results = t.b.block_params(exit).to_vec();
        let encoded = env.cc.encode_results(&mut t.b, func_type, &results);
        t.b.ins().return_(&encoded);
    }
    *allocations = Some(validator.into_allocations());
    Ok((t.b, t.shared))
}

pub(crate) fn zero_value(b: &mut FunctionBuilder<'_>, ty: ValType) -> Value {
    match ty {
        ValType::I32 => b.ins().iconst(types::I32, 0),
        ValType::I64 | ValType::Ref(_) => b.ins().iconst(types::I64, 0),
        ValType::F32 => b.ins().f32const(0.0),
        ValType::F64 => b.ins().f64const(0.0),
        ValType::V128 => simd::vconst(b, types::I8X16, 0),
    }
}
