//! Translation of fused tail-call groups (see `groups`): the group function, the members' direct
//! tail calls to each other as jumps, and the entry stubs through which everything else calls a
//! member. Indirect tail calls to members (`br_table`s, and tiering's code before them) are
//! `dispatch`'s.
//!
//! The group function takes the members' parameters in shared slots plus a selector; its entry
//! block checks the stack if any member makes ordinary calls, then branches on the selector to
//! the member's block. Each member is translated as a normal body starting in its block, with
//! its own locals and control stack; its `return` returns from the group function, whose
//! results are every member's. Code of each member carries the member's index as its source
//! location, so traps and backtraces name the member, not the group.

use super::{
    FuncEnv, Shared, Translator, TranslatorContext, block_args, check_stack, enter, set_stack_limit,
    translate_body,
};
use crate::error::Result;
use crate::groups::TailGroup;
use crate::module::FunctionInput;
use crate::tiering::GroupTier;
use crate::trap::TrapKind;
use cranelift_codegen::ir::{
    self, Function, InstBuilder, JumpTableData, SourceLoc, UserExternalName, UserFuncName, Value,
};
use cranelift_frontend::FunctionBuilder;

/// Namespace of [`UserExternalName`]s that name fused group functions by group index.
pub const GROUP_NAMESPACE: u32 = 1;

/// The group being translated.
pub(crate) struct GroupState<'a> {
    pub(super) index: u32,
    pub(super) tier: GroupTier<'a>,
    pub(super) group: &'a TailGroup,
    /// Each member's block, taking its Wasm parameters.
    pub(super) blocks: Vec<ir::Block>,
    /// The `br_table` sites so far, in translation order: each one's number of table elements.
    /// Profiles are kept by site, so a recompilation sees the sites in the same order.
    pub(super) sites: Vec<u32>,
}

/// Translates group `index` (its members' bodies, in member order) into one function. Returns
/// its `br_table` sites: the number of table elements of each, in order.
pub fn translate_group(
    env: &FuncEnv<'_>,
    index: u32,
    inputs: Vec<FunctionInput<'_>>,
    ctx: &mut TranslatorContext,
    func: &mut Function,
) -> Result<Vec<u32>> {
    let group = &env.groups.groups[index as usize];
    func.name = UserFuncName::user(GROUP_NAMESPACE, index);
    // The group function is called only by its members' stubs and its own recompilations:
    // its synthetic type gets the convention's lanes in order, never a module's plan.
    func.signature = env.cc.signature(&group.ty, None, env.isa);
    if env.prologue_stack_check {
        set_stack_limit(func, env);
    }
    let mut b = FunctionBuilder::new(func, &mut ctx.builder);
    let (vmctx, context, slots) = enter(&mut b, env, &group.ty);
    let tier = env.tier.for_group(group);
    // Profiling code calls the runtime to tier up, which needs more than the margin below the
    // stack limit that covers a function making no calls.
    if (group.makes_calls || tier == GroupTier::Profiling) && !env.prologue_stack_check {
        check_stack(&mut b, vmctx);
    }
    let memory_bases = super::memory_bases(&mut b, env, vmctx, context);

    let blocks: Vec<ir::Block> = group
        .members
        .iter()
        .map(|m| {
            let block = b.create_block();
            for ty in &env.info.func_type(*m).params {
                b.append_block_param(block, ty.clif());
            }
            block
        })
        .collect();
    let (selector, slots) = slots.split_last().expect("the selector is the last parameter");
    let enter: Vec<_> = blocks
        .iter()
        .zip(&group.slots)
        .map(|(block, mine)| {
            let args: Vec<Value> = mine.iter().map(|s| slots[*s]).collect();
            b.func.dfg.block_call(*block, &block_args(&args))
        })
        .collect();
    let bad_selector = b.create_block();
    let default = b.func.dfg.block_call(bad_selector, &[]);
    let table = b.create_jump_table(JumpTableData::new(default, &enter));
    b.ins().br_table(*selector, table);
    b.switch_to_block(bad_selector);
    b.seal_block(bad_selector);
    b.ins().trap(TrapKind::Unreachable.code());

    let state = GroupState { index, tier, group, blocks: blocks.clone(), sites: vec![] };
    let mut shared = Shared { memory_bases, group: Some(state), ..Shared::default() };
    let mut inputs = inputs;
    inputs.sort_by_key(|input| input.func_index);
    for (input, block) in inputs.into_iter().zip(&blocks) {
        let func_index = input.func_index;
        let ty = env.info.func_type(func_index);
        b.switch_to_block(*block);
        b.set_srcloc(SourceLoc::new(func_index));
        let params = b.block_params(*block).to_vec();
        (b, shared) =
            translate_body(env, input, &mut ctx.validator, b, (vmctx, context), params, ty, shared)?;
    }
    b.seal_all_blocks();
    b.finalize(env.isa.frontend_config());
    Ok(shared.group.map(|g| g.sites).unwrap_or_default())
}

/// The function a member's index names: it takes the member's own signature, like any
/// function, and tail-calls the group function with the member's selector. When the group
/// profiles, the group function is wherever the instance's `VMGroup` says: tiering moves it.
pub fn entry_stub(env: &FuncEnv<'_>, func_index: u32, ctx: &mut TranslatorContext, func: &mut Function) {
    let group_index = env.groups.group_of(env.info, func_index).expect("a member");
    let group = &env.groups.groups[group_index as usize];
    let position = group.position(func_index).expect("a member");
    let ty = env.info.func_type(func_index);
    func.name = UserFuncName::user(super::FUNC_NAMESPACE, func_index);
    func.signature = env.signature(ty);
    let mut b = FunctionBuilder::new(func, &mut ctx.builder);
    let (vmctx, context, params) = enter(&mut b, env, ty);
    let mut args: Vec<Option<Value>> = vec![None; group.ty.params.len()];
    for (slot, value) in group.slots[position].iter().zip(params) {
        args[*slot] = Some(value);
    }
    let selector = args.len() - 1;
    args[selector] = Some(b.ins().iconst(ir::types::I32, position as i64));
    let args: Vec<Value> = args
        .iter()
        .zip(&group.ty.params)
        .map(|(arg, ty)| arg.unwrap_or_else(|| super::zero_value(&mut b, *ty)))
        .collect();
    let call_args = env.cc.encode_args(&mut b, env.isa, &group.ty, None, context, None, &args);
    let signature = b.import_signature(env.cc.signature(&group.ty, None, env.isa));
    if env.tier.for_group(group) == GroupTier::Profiling {
        let slot = env.offsets.group(group_index) + crate::vmctx::group::CODE;
        let code = b.ins().load(env.isa.pointer_type(), super::trusted(), vmctx, slot as i32);
        b.ins().return_call_indirect(signature, code, &call_args);
        b.finalize(env.isa.frontend_config());
        return;
    }
    let name = b.func.declare_imported_user_function(UserExternalName::new(GROUP_NAMESPACE, group_index));
    let callee = b.import_function(ir::ExtFuncData {
        name: ir::ExternalName::user(name),
        signature,
        colocated: true,
        patchable: false,
    });
    b.ins().return_call(callee, &call_args);
    b.finalize(env.isa.frontend_config());
}

/// A `return_call` to a member of the group being translated: a jump to its block.
pub(super) fn jump_to_member(t: &mut Translator<'_, '_>, func: u32, args: &[Value]) -> bool {
    let Some(state) = &t.shared.group else { return false };
    let Some(position) = state.group.position(func) else { return false };
    let block = state.blocks[position];
    t.ins().jump(block, &block_args(args));
    t.reachable = false;
    true
}
