//! Structured control flow: blocks, loops, `if`/`else`, branches, `return`, `drop`, `select`.
//!
//! Every Wasm block gets a Cranelift block for its end (taking the block's results as parameters);
//! loops also get a header (taking the loop's parameters). An `if` branches to a then-block and an
//! else-block that both use the `if`'s parameters directly: they are already SSA values that
//! dominate both arms.

use super::{Frame, FrameKind, Translator, block_args};
use crate::error::Result;
use crate::trap::TrapKind;
use cranelift_codegen::ir::{self, InstBuilder, JumpTableData};
use cranelift_entity::packed_option::ReservedValue;
use wasmparser::Operator as O;

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> Result<bool> {
    match op {
        O::Unreachable => {
            t.ins().trap(TrapKind::Unreachable.code());
            t.reachable = false;
        }
        O::Nop => {}
        O::Block { blockty } => {
            let (params, results) = t.block_type(*blockty)?;
            let next = t.block_with_params(&results);
            let height = t.stack.len() - params.len();
            push(t, frame(FrameKind::Block, params, results, next, None, height));
        }
        O::Loop { blockty } => {
            let (params, results) = t.block_type(*blockty)?;
            let header = t.block_with_params(&params);
            let next = t.block_with_params(&results);
            let args = t.popn(params.len());
            t.ins().jump(header, &block_args(&args));
            t.b.switch_to_block(header);
            let height = t.stack.len();
            t.stack.extend_from_slice(t.b.block_params(header));
            push(t, frame(FrameKind::Loop, params, results, next, Some(header), height));
        }
        O::If { blockty } => {
            let cond = t.pop();
            let (params, results) = t.block_type(*blockty)?;
            let then_block = t.b.create_block();
            let else_block = t.b.create_block();
            let next = t.block_with_params(&results);
            t.ins().brif(cond, then_block, &[], else_block, &[]);
            t.b.seal_block(then_block);
            t.b.seal_block(else_block);
            t.b.switch_to_block(then_block);
            let height = t.stack.len() - params.len();
            let if_params = t.peekn(params.len()).to_vec();
            let mut f = frame(FrameKind::If { else_block }, params, results, next, None, height);
            f.if_params = if_params;
            push(t, f);
        }
        O::Else => {
            end_arm(t);
            enter_else(t);
        }
        O::End => {
            let f = pop_falling_through(t);
            super::exceptions::end(t, &f);
            end_frame(t, f, true);
        }
        O::Br { relative_depth } => {
            branch(t, *relative_depth);
            t.reachable = false;
        }
        O::BrIf { relative_depth } => {
            let cond = t.pop();
            branch_if(t, *relative_depth, cond, true);
        }
        O::BrOnNull { relative_depth } => {
            // Branches with the operands below the reference; goes on with it otherwise.
            let r = t.pop();
            branch_if(t, *relative_depth, r, false);
            t.push(r);
        }
        O::BrOnNonNull { relative_depth } => {
            // Branches with the reference as the last operand; drops it otherwise.
            let r = *t.stack.last().expect("validated");
            branch_if(t, *relative_depth, r, true);
            t.pop();
        }
        O::BrTable { targets } => {
            let index = t.pop();
            let (default, n) = branch_target(t, targets.default());
            let args = block_args(t.peekn(n));
            let mut calls = Vec::new();
            for depth in targets.targets() {
                let (block, _) = branch_target(t, depth?);
                calls.push(t.b.func.dfg.block_call(block, &args));
            }
            let default = t.b.func.dfg.block_call(default, &args);
            let table = t.b.create_jump_table(JumpTableData::new(default, &calls));
            t.ins().br_table(index, table);
            t.reachable = false;
        }
        O::Return => {
            branch(t, t.control.len() as u32 - 1);
            t.reachable = false;
        }
        O::Drop => {
            t.pop();
        }
        O::Select | O::TypedSelect { .. } => {
            let (x, y, cond) = t.pop3();
            let v = t.ins().select(cond, x, y);
            t.push(v);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Operators met while the current code is unreachable: only the block structure matters.
pub(super) fn translate_unreachable(t: &mut Translator<'_, '_>, op: &O<'_>) -> Result<()> {
    if super::exceptions::translate_unreachable(t, op) {
        return Ok(());
    }
    match op {
        O::Block { .. } | O::Loop { .. } | O::If { .. } => push_dead(t),
        O::Else => {
            if let FrameKind::If { .. } = t.control.last().expect("validated").kind {
                enter_else(t);
            }
        }
        O::End => {
            let f = t.control.pop().expect("validated");
            if f.kind != FrameKind::Dead {
                super::exceptions::end(t, &f);
                end_frame(t, f, false);
            }
        }
        _ => {}
    }
    Ok(())
}

pub(super) fn frame(
    kind: FrameKind,
    params: Vec<super::ValType>,
    results: Vec<super::ValType>,
    next: ir::Block,
    header: Option<ir::Block>,
    height: usize,
) -> Frame {
    Frame {
        kind,
        params,
        results,
        next,
        header,
        height,
        next_reached: false,
        if_params: vec![],
        handler_outside: None,
        handler_inside: None,
    }
}

/// Opens a block met in unreachable code, whose `end` is all that matters.
pub(super) fn push_dead(t: &mut Translator<'_, '_>) {
    let height = t.stack.len();
    push(t, frame(FrameKind::Dead, vec![], vec![], ir::Block::reserved_value(), None, height));
}

/// Closes the innermost frame at its `end` (or legacy `delegate`), reached by falling off its
/// last instruction: jumps to the block after it with its results, and returns it.
pub(super) fn pop_falling_through(t: &mut Translator<'_, '_>) -> Frame {
    let f = t.control.pop().expect("validated");
    let results = t.popn(f.results.len());
    t.ins().jump(f.next, &block_args(&results));
    f
}

/// Opens `f` inside the current handler scope.
pub(super) fn push(t: &mut Translator<'_, '_>, mut f: Frame) {
    f.handler_outside = t.handler;
    f.handler_inside = t.handler;
    t.control.push(f);
}

/// Ends the arm the innermost frame is in (an `if`'s then-arm, a legacy `try` body or catch
/// clause), which falls through to the frame's end with its results.
pub(super) fn end_arm(t: &mut Translator<'_, '_>) {
    let n = t.control.last().expect("validated").results.len();
    let results = t.popn(n);
    let f = t.control.last_mut().expect("validated");
    f.next_reached = true;
    let next = f.next;
    t.ins().jump(next, &block_args(&results));
}

/// Switches from the then-arm of the innermost `if` to its else-arm.
fn enter_else(t: &mut Translator<'_, '_>) {
    let f = t.control.last_mut().expect("validated");
    let FrameKind::If { else_block } = f.kind else { unreachable!("validated: else after if") };
    f.kind = FrameKind::Else;
    let (height, params) = (f.height, f.if_params.clone());
    t.stack.truncate(height);
    t.stack.extend(params);
    t.b.switch_to_block(else_block);
    t.reachable = true;
}

/// Closes a frame whose `end` was reached (`fell_through`: by falling off its last instruction).
pub(super) fn end_frame(t: &mut Translator<'_, '_>, mut f: Frame, fell_through: bool) {
    f.next_reached |= fell_through;
    if let FrameKind::If { else_block } = f.kind {
        // An `if` without `else`: the implicit else passes the parameters on as results.
        t.b.switch_to_block(else_block);
        t.ins().jump(f.next, &block_args(&f.if_params));
        f.next_reached = true;
    }
    if let Some(header) = f.header {
        t.b.seal_block(header);
    }
    t.stack.truncate(f.height);
    if f.next_reached {
        t.b.switch_to_block(f.next);
        t.b.seal_block(f.next);
        t.stack.extend_from_slice(t.b.block_params(f.next));
        t.reachable = true;
    } else {
        t.reachable = false;
    }
}

/// The block a branch `depth` frames out jumps to, and how many operands it carries.
pub(super) fn branch_target(t: &mut Translator<'_, '_>, depth: u32) -> (ir::Block, usize) {
    let index = t.control.len() - 1 - depth as usize;
    let f = &mut t.control[index];
    if f.header.is_none() {
        f.next_reached = true;
    }
    f.branch_target()
}

/// Branches `depth` frames out, carrying the operands the target takes, when `cond` is nonzero
/// (`if_nonzero`) or zero; goes on in a new block otherwise.
fn branch_if(t: &mut Translator<'_, '_>, depth: u32, cond: ir::Value, if_nonzero: bool) {
    let (target, n) = branch_target(t, depth);
    let args = block_args(t.peekn(n));
    let cont = t.b.create_block();
    if if_nonzero {
        t.ins().brif(cond, target, &args, cont, &[]);
    } else {
        t.ins().brif(cond, cont, &[], target, &args);
    }
    t.b.seal_block(cont);
    t.b.switch_to_block(cont);
}

fn branch(t: &mut Translator<'_, '_>, depth: u32) {
    let (target, n) = branch_target(t, depth);
    let args = block_args(t.peekn(n));
    t.ins().jump(target, &args);
}
