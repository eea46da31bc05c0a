//! The two tiers of a fused group's indirect tail calls (see `crate::tiering`): profiling code
//! that counts where each `br_table` goes, and speculating code that tests the most frequent
//! target before the `br_table`.

use super::calls::{StaticCall, static_dispatch};
use super::{Translator, invariant, trusted};
use crate::vmctx::{Builtin, group};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, Value, types};

/// Before a profiled `br_table`: counts down the group's budget, and counts the call in the
/// site's row of counters, whose last column takes every index out of bounds. When the budget
/// runs out, asks the runtime to tier up and leaves with a real tail call through the dispatch
/// array: the callee's entry stub leads into whatever code the group has now, so a running
/// interpreter moves to the new code at its next dispatch, its state all in the arguments.
pub(super) fn count(
    t: &mut Translator<'_, '_>,
    call: &StaticCall<'_>,
    group: u32,
    first: u32,
    elements: u32,
) {
    let slot = t.env.offsets.group(group) as i32;
    let vmctx = t.vmctx;
    let budget = t.ins().load(types::I64, trusted(), vmctx, slot + group::COUNTDOWN as i32);
    let budget = t.ins().iadd_imm_s(budget, -1);
    t.ins().store(trusted(), budget, vmctx, slot + group::COUNTDOWN as i32);
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
    let n = t.ins().load(types::I32, trusted(), counter, offset);
    let n = t.ins().iadd_imm_s(n, 1);
    t.ins().store(trusted(), n, counter, offset);
}

/// Before a `br_table` whose site mostly goes to `element`, a member's `block`: a compare and a
/// direct jump there, which the branch predictor learns like any branch, instead of the
/// `br_table`'s bounds check, table load and indirect jump.
pub(super) fn speculate(
    t: &mut Translator<'_, '_>,
    index: Value,
    element: u32,
    block: ir::Block,
    args: &[BlockArg],
) {
    let hot = t.ins().icmp_imm_u(IntCC::Equal, index, i64::from(element));
    let rest = t.b.create_block();
    t.ins().brif(hot, block, args, rest, &[]);
    t.b.switch_to_block(rest);
    t.b.seal_block(rest);
}
