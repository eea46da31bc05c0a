//! Dispatch of indirect calls whose callees are known at compile time, in one place: what a
//! `call_indirect` or `return_call_indirect` through a static table (see `facts`) and, in a fused
//! group, a `return_call_ref` become.
//!
//! - **Static dispatch**: a bounds check against the table's fixed size and an indirect call
//!   through the table's code-pointer array inside the `VMContext`, whose entries for null or
//!   mistyped elements are stubs that trap as the full check would.
//! - **In a fused group** (see `fused`), an indirect tail call that may reach a member is a
//!   `br_table` over the possible callees: members' blocks, traps where the spec traps, and
//!   static dispatch for the rest.
//! - **Tiering** (see `crate::tiering`) puts its code before that `br_table`: the profiling
//!   tier counts where each site goes and asks the runtime to tier up; the recompiled tier
//!   compares with the site's most frequent element and jumps straight to it.
//!
//! `calls` decodes the operators and lowers every other call; `fused` lays out the group
//! function whose blocks these `br_table`s jump to.

use super::calls::{push_results, through_func_ref};
use super::{Region, Translator, block_args, invariant, readonly};
use crate::tiering::{GroupTier, counters_len};
use crate::trap::TrapKind;
use crate::types::FuncType;
use crate::vmctx::{Builtin, funcref, group};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, JumpTableData, Value, types};
use std::collections::HashMap;

/// An indirect call whose possible callees are known at compile time, as translated so far:
/// through a static table (see `facts`), or, in a fused group, through a function reference
/// (`return_call_ref`).
#[derive(Clone, Copy)]
pub(super) struct StaticCall<'c> {
    pub ty: &'c FuncType,
    pub type_index: u32,
    pub via: Via,
    /// The element index (`i32`): of the table, or of the function in the instance's
    /// `VMFuncRef` array, where one past the last function stands for any other function.
    pub index: Value,
    pub args: &'c [Value],
    /// How an index past the table and a null element trap: as an undefined and an
    /// uninitialized element (`call_indirect`), or as an access out of the table's bounds and a
    /// null reference (the `table.get` and the `call_ref` of a call through the table).
    pub traps: ElementTraps,
}

/// See [`StaticCall::traps`].
#[derive(Clone, Copy)]
pub(super) struct ElementTraps {
    pub out_of_bounds: TrapKind,
    pub null: TrapKind,
}

impl ElementTraps {
    /// `call_indirect`'s.
    pub const TABLE: ElementTraps =
        ElementTraps { out_of_bounds: TrapKind::UndefinedElement, null: TrapKind::UninitializedElement };
    /// `table.get`'s, then `call_ref`'s.
    pub const REFERENCE: ElementTraps =
        ElementTraps { out_of_bounds: TrapKind::TableOutOfBounds, null: TrapKind::NullFunctionReference };
}

/// How a [`StaticCall`] reaches a callee outside the group it is made from.
#[derive(Clone, Copy)]
pub(super) enum Via {
    /// Table `table`'s code-pointer array `array`.
    Array { table: u32, array: u32 },
    /// The non-null `VMFuncRef` itself.
    FuncRef(Value),
}

/// An indirect call through a static table: a bounds check against the table's fixed size, then
/// the code pointer from the dispatch array inside the `VMContext`, whose entries for null or
/// mistyped elements are stubs that trap as the full check would. The callee is of this
/// instance: no context switch.
fn static_dispatch(t: &mut Translator<'_, '_>, call: &StaticCall<'_>, tail: bool) {
    let StaticCall { ty, type_index, via, index, args, traps } = *call;
    let (table, array) = match via {
        Via::Array { table, array } => (table, array),
        Via::FuncRef(func_ref) => return through_func_ref(t, ty, type_index, func_ref, args, tail),
    };
    let ptr = t.pointer_type();
    let size = t.env.info.tables[table as usize].limits.min;
    let index = t.ins().uextend(types::I64, index);
    let past_end = t.ins().icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, index, size as i64);
    t.trap_if(past_end, traps.out_of_bounds);
    let (vmctx, first) = (t.vmctx, t.env.offsets.dispatch_array(array) as i32);
    let byte_offset = t.ins().ishl_imm_u(index, 3);
    let entry = t.ins().iadd(vmctx, byte_offset);
    let code = t.ins().load(ptr, readonly(), entry, first);
    let sig = t.sig_ref(type_index);
    let call_args = t.env.encode_args(&mut t.b, ty, t.context, None, args);
    if tail {
        t.ins().return_call_indirect(sig, code, &call_args);
        t.reachable = false;
    } else {
        let results = super::exceptions::call(t, super::exceptions::Callee::Indirect(code), sig, &call_args);
        push_results(t, ty, &results, None);
    }
}

/// A call through table `table`, whose code-pointer array is `array`: in a fused group, a tail
/// call that may reach a member is a `br_table` to the members; anything else is static
/// dispatch.
pub(super) fn through_static_table(t: &mut Translator<'_, '_>, call: &StaticCall<'_>, tail: bool) {
    if !(tail && to_members(t, call)) {
        static_dispatch(t, call, tail);
    }
}

/// What an element of a table known at compile time is, to an indirect tail call of one type
/// from a group: the spec's trap, a member's block, or a function outside the group.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Element {
    Null,
    Mistyped,
    Member(ir::Block),
    Outside,
}

/// A `return_call_indirect` through a table whose contents are known, some of them members of
/// the group being translated: a `br_table` over the elements, to the members' blocks, and to
/// traps where the spec traps (out of bounds, null, wrong type). Elements that are functions
/// outside the group go the way of any static dispatch.
fn to_members(t: &mut Translator<'_, '_>, call: &StaticCall<'_>) -> bool {
    let Some(state) = &t.shared.group else { return false };
    let Via::Array { table, .. } = call.via else { return false };
    let Some(Some(entries)) = t.env.groups.table_contents.get(table as usize) else { return false };
    let info = t.env.info;
    let elements: Vec<Element> = entries
        .iter()
        .map(|e| match e {
            None => Element::Null,
            Some(f) if !info.is_subtype(info.funcs[*f as usize], call.type_index) => Element::Mistyped,
            Some(f) => {
                state.group.position(*f).map_or(Element::Outside, |p| Element::Member(state.blocks[p]))
            }
        })
        .collect();
    if !elements.iter().any(|e| matches!(e, Element::Member(_))) {
        return false;
    }
    t.reachable = false;
    br_table(t, call, &elements);
    true
}

/// A `return_call_ref` from a group, to a reference that may be one of its members: a
/// `br_table` over the instance's functions, indexed by the reference's position in the
/// instance's `VMFuncRef` array (`vmctx` layout), where members of the call's type are their
/// blocks and everything else, another instance's function included, is an ordinary call
/// through the reference. Members of the exact type only: a function of a subtype may take its
/// parameters in other slots.
pub(super) fn ref_to_members(
    t: &mut Translator<'_, '_>,
    ty: &FuncType,
    type_index: u32,
    func_ref: Value,
    args: &[Value],
) -> bool {
    let Some(state) = &t.shared.group else { return false };
    let info = t.env.info;
    let member = |f: u32| info.ref_call_may_reach(f, type_index);
    let last = match state.group.members.iter().copied().filter(|f| member(*f)).max() {
        Some(last) => last,
        None => return false,
    };
    let elements: Vec<Element> = (0..=last)
        .map(|f| match state.group.position(f) {
            Some(p) if member(f) => Element::Member(state.blocks[p]),
            _ => Element::Outside,
        })
        .chain([Element::Outside])
        .collect();
    // The position of the reference in this instance's array, or one past `last` for any
    // other: a reference below the array wraps around to a large offset.
    let base = t.env.offsets.funcref(0);
    let vmctx = t.vmctx;
    let array = t.ins().iadd_imm_u(vmctx, i64::from(base));
    let offset = t.ins().isub(func_ref, array);
    let position = t.ins().udiv_imm_u(offset, i64::from(funcref::SIZE));
    let past = t.ins().iconst(ir::types::I64, i64::from(last) + 1);
    let position = t.ins().umin(position, past);
    let index = t.ins().ireduce(ir::types::I32, position);
    // The index is clamped to the array's end, which stands for any other function: neither
    // trap is reached.
    let call =
        StaticCall { ty, type_index, via: Via::FuncRef(func_ref), index, args, traps: ElementTraps::TABLE };
    t.reachable = false;
    br_table(t, &call, &elements);
    true
}

/// The `br_table` of an indirect tail call from a group, with its traps and, if any element is
/// outside the group, the static dispatch for those.
fn br_table(t: &mut Translator<'_, '_>, call: &StaticCall<'_>, elements: &[Element]) {
    let mut traps: HashMap<TrapKind, ir::Block> = HashMap::new();
    let mut trap = |t: &mut Translator<'_, '_>, kind: TrapKind| {
        *traps.entry(kind).or_insert_with(|| {
            let block = t.b.create_block();
            t.b.set_cold_block(block);
            block
        })
    };
    let outside = elements.contains(&Element::Outside).then(|| {
        let block = t.b.create_block();
        t.b.set_cold_block(block);
        block
    });
    let args_now = block_args(call.args);
    let mut calls = Vec::with_capacity(elements.len());
    for element in elements {
        let (block, args) = match element {
            Element::Member(block) => (*block, args_now.as_slice()),
            Element::Outside => (outside.expect("made above"), &[][..]),
            Element::Null => (trap(t, call.traps.null), &[][..]),
            Element::Mistyped => (trap(t, TrapKind::BadSignature), &[][..]),
        };
        calls.push(t.b.func.dfg.block_call(block, args));
    }
    let out_of_bounds = trap(t, call.traps.out_of_bounds);
    let default = t.b.func.dfg.block_call(out_of_bounds, &[]);
    let state = t.shared.group.as_mut().expect("in a group");
    let (group, site, tier) = (state.index, state.sites.len(), state.tier);
    let first_counter = counters_len(&state.sites) as u32;
    state.sites.push(elements.len() as u32);
    match tier {
        GroupTier::Plain => {}
        GroupTier::Profiling => count(t, call, group, first_counter, elements.len() as u32),
        GroupTier::Speculating(hot) => {
            if let Some(Some(element)) = hot.get(site)
                && let Some(Element::Member(block)) = elements.get(*element as usize)
            {
                speculate(t, call.index, *element, *block, &args_now);
            }
        }
    }
    let jump_table = t.b.create_jump_table(JumpTableData::new(default, &calls));
    t.ins().br_table(call.index, jump_table);
    for (kind, block) in traps {
        t.b.switch_to_block(block);
        t.b.seal_block(block);
        t.ins().trap(kind.code());
    }
    if let Some(block) = outside {
        t.b.switch_to_block(block);
        t.b.seal_block(block);
        static_dispatch(t, call, true);
    }
}

/// Before a profiled `br_table`: counts down the group's budget, and counts the call in the
/// site's row of counters, whose last column takes every index out of bounds. When the budget
/// runs out, asks the runtime to tier up and leaves with a real tail call through the dispatch
/// array: the callee's entry stub leads into whatever code the group has now, so a running
/// interpreter moves to the new code at its next dispatch, its state all in the arguments.
fn count(t: &mut Translator<'_, '_>, call: &StaticCall<'_>, group: u32, first: u32, elements: u32) {
    let slot = t.env.offsets.group(group) as i32;
    let vmctx = t.vmctx;
    let flags = t.trusted_in(Region::Profile);
    let budget = t.ins().load(types::I64, flags, vmctx, slot + group::COUNTDOWN as i32);
    let budget = t.ins().iadd_imm_s(budget, -1);
    t.ins().store(flags, budget, vmctx, slot + group::COUNTDOWN as i32);
    let spent = t.ins().icmp_imm_s(IntCC::SignedLessThanOrEqual, budget, 0);
    let tier_up = t.b.create_block();
    t.b.set_cold_block(tier_up);
    let counting = t.b.create_block();
    t.ins().brif(spent, tier_up, &[], counting, &[]);

    t.b.switch_to_block(tier_up);
    t.b.seal_block(tier_up);
    let group = t.ins().iconst(types::I32, i64::from(group));
    t.call_builtin(Builtin::TierUp, &[group]);
    static_dispatch(t, call, true);

    t.b.switch_to_block(counting);
    t.b.seal_block(counting);
    let ptr = t.pointer_type();
    let counters = t.ins().load(ptr, invariant(), vmctx, slot + group::COUNTERS as i32);
    let past_end = t.ins().iconst(types::I32, i64::from(elements));
    let column = t.ins().umin(call.index, past_end);
    let column = t.ins().uextend(types::I64, column);
    let byte_offset = t.ins().ishl_imm_u(column, 2);
    let counter = t.ins().iadd(counters, byte_offset);
    let offset = (first * 4) as i32;
    let n = t.ins().load(types::I32, flags, counter, offset);
    let n = t.ins().iadd_imm_s(n, 1);
    t.ins().store(flags, n, counter, offset);
}

/// Before a `br_table` whose site mostly goes to `element`, a member's `block`: a compare and a
/// direct jump there, which the branch predictor learns like any branch, instead of the
/// `br_table`'s bounds check, table load and indirect jump.
fn speculate(t: &mut Translator<'_, '_>, index: Value, element: u32, block: ir::Block, args: &[BlockArg]) {
    let hot = t.ins().icmp_imm_u(IntCC::Equal, index, i64::from(element));
    let rest = t.b.create_block();
    t.ins().brif(hot, block, args, rest, &[]);
    t.b.switch_to_block(rest);
    t.b.seal_block(rest);
}
