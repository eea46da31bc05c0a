//! Exception handling: `throw`, `throw_ref`, `try_table`, and the legacy `try`, `catch`,
//! `catch_all`, `rethrow` and `delegate` that toolchains still emit.
//!
//! How a throw finds its handler. Inside a `try_table` (or a legacy `try` body) a call is a
//! Cranelift `try_call` whose exceptional edge goes to the handler's *landing* block; nothing
//! else changes on the normal path (the call's results come back as ever; the values the
//! handler needs, which every call clobbers anyway, wait in their spill slots). Cranelift records
//! the return address of each such call with its landing block's address and the frame's size,
//! which `compile` gathers into the module's handler table. A `throw` allocates the exception
//! (`Builtin::NewException`: its tag's identity, then its values) and, if a handler encloses it
//! in the same function, jumps to that handler's *dispatch* block; otherwise it calls
//! `Builtin::Throw` with its frame pointer. The runtime walks the callers' frame pointers: the
//! first return address that has a landing block is the handler; it stores the exception in
//! the store context (`store_context::PENDING_EXCEPTION`) and resumes there with that frame's
//! stack and frame pointers. If it meets the host's frame first, the call from the host ends
//! with the exception as its error.
//!
//! A landing block restores the pinned register (under conventions that keep the context in
//! it, a callee of another instance may have left its own there), reads the exception and
//! jumps to the dispatch block, which compares the exception's tag with each catch clause's in
//! order (tags are identities: an imported tag is its exporter's) and branches to the first
//! that matches with its values, or passes the exception on to the next enclosing handler, or
//! to the caller through the runtime. Traps are never exceptions: they do not reach any of this.
//!
//! A tail call leaves the `try_table` with its frame, as Wasm says: it is never a `try_call`.

use super::{Frame, FrameKind, Translator, block_args, readonly, trusted};
use crate::error::Result;
use crate::trap::TrapKind;
use crate::types::ValType;
use crate::vmctx::{Builtin, VMCTX_STORE_CONTEXT, exception, store_context};
use cranelift_codegen::ir::{
    self, BlockArg, BlockCall, ExceptionTableData, ExceptionTableItem, FuncRef, InstBuilder, SigRef, Value,
    condcodes::IntCC, types,
};
use wasmparser::{Catch, Operator as O};

/// One handler scope: a `try_table`'s catch clauses, or a legacy `try`'s.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Handler {
    /// Where the runtime resumes after a callee threw: no parameters.
    landing: ir::Block,
    /// Where the clauses are tried, taking the exception (`i64`).
    dispatch: ir::Block,
}

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> Result<bool> {
    match op {
        O::Throw { tag_index } => throw(t, *tag_index),
        O::ThrowRef => {
            let exn = t.pop();
            t.ins().trapz(exn, TrapKind::NullExceptionReference.code());
            propagate(t, exn);
        }
        O::TryTable { try_table: table } => try_table(t, table)?,
        O::Try { blockty } => legacy_try(t, *blockty)?,
        O::Catch { tag_index } => {
            super::control::end_arm(t);
            legacy_catch(t, Some(*tag_index));
        }
        O::CatchAll => {
            super::control::end_arm(t);
            legacy_catch(t, None);
        }
        O::Delegate { relative_depth } => {
            let f = super::control::pop_falling_through(t);
            delegate(t, f, *relative_depth, true);
        }
        O::Rethrow { relative_depth } => {
            let index = t.control.len() - 1 - *relative_depth as usize;
            let FrameKind::Catch { exn, .. } = t.control[index].kind else {
                unreachable!("validated: rethrow names a catch")
            };
            propagate(t, exn);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// The operators of this family that matter in unreachable code, where only the structure
/// does: returns whether `op` was one.
pub(super) fn translate_unreachable(t: &mut Translator<'_, '_>, op: &O<'_>) -> bool {
    match op {
        O::TryTable { .. } | O::Try { .. } => super::control::push_dead(t),
        O::Catch { tag_index } => {
            if is_live_try(t) {
                legacy_catch(t, Some(*tag_index));
            }
        }
        O::CatchAll => {
            if is_live_try(t) {
                legacy_catch(t, None);
            }
        }
        O::Delegate { relative_depth } => {
            let f = t.control.pop().expect("validated");
            if f.kind != FrameKind::Dead {
                delegate(t, f, *relative_depth, false);
            }
        }
        _ => return false,
    }
    true
}

fn is_live_try(t: &Translator<'_, '_>) -> bool {
    matches!(t.control.last().expect("validated").kind, FrameKind::Try { .. } | FrameKind::Catch { .. })
}

/// A call to a Wasm function (or to the host through a trampoline): inside a handler's scope a
/// `try_call` whose exceptional edge lands at the handler. Returns the call's results.
pub(super) fn call(t: &mut Translator<'_, '_>, callee: Callee, sig: SigRef, args: &[Value]) -> Vec<Value> {
    let Some(handler) = t.handler else {
        let call = match callee {
            Callee::Direct(f) => t.ins().call(f, args),
            Callee::Indirect(code) => t.ins().call_indirect(sig, code, args),
        };
        return t.b.inst_results(call).to_vec();
    };
    let landing = t.handlers[handler].landing;
    let returns: Vec<_> = t.b.func.dfg.signatures[sig].returns.iter().map(|r| r.value_type).collect();
    let next = t.b.create_block();
    for ty in &returns {
        t.b.append_block_param(next, *ty);
    }
    let pool = &mut t.b.func.dfg.value_lists;
    let normal = BlockCall::new(next, (0..returns.len() as u32).map(BlockArg::TryCallRet), pool);
    let exceptional = BlockCall::new(landing, [], pool);
    let table = t.b.func.dfg.exception_tables.push(ExceptionTableData::new(
        sig,
        normal,
        [ExceptionTableItem::Default(exceptional)],
    ));
    match callee {
        Callee::Direct(f) => t.ins().try_call(f, args, table),
        Callee::Indirect(code) => t.ins().try_call_indirect(code, args, table),
    };
    t.b.seal_block(next);
    t.b.switch_to_block(next);
    t.b.block_params(next).to_vec()
}

/// What a call calls: a function of the module by reference, or a code address.
#[derive(Clone, Copy)]
pub(super) enum Callee {
    Direct(FuncRef),
    Indirect(Value),
}

/// `throw`: a new exception of tag `tag` with the values on the stack.
fn throw(t: &mut Translator<'_, '_>, tag: u32) {
    let n = t.env.info.tag_type(tag).params.len();
    let values = t.popn(n);
    let index = t.ins().iconst(types::I32, i64::from(tag));
    let exn = t.call_builtin(Builtin::NewException, &[index]).expect("returns the exception");
    for (i, v) in values.into_iter().enumerate() {
        t.ins().store(trusted(), v, exn, value_offset(i));
    }
    propagate(t, exn);
}

/// Hands `exn` to the innermost handler around the current instruction: a jump to its dispatch
/// block, or, with none in this function, the runtime's search of the callers.
fn propagate(t: &mut Translator<'_, '_>, exn: Value) {
    match t.handler {
        Some(h) => {
            let dispatch = t.handlers[h].dispatch;
            t.ins().jump(dispatch, &[exn.into()]);
        }
        None => {
            let fp = t.ins().get_frame_pointer(types::I64);
            t.call_builtin(Builtin::Throw, &[exn, fp]);
            t.ins().trap(TrapKind::Unreachable.code());
        }
    }
    t.reachable = false;
}

/// A new handler scope: its landing block, which reads the exception the runtime left in the
/// store context, and its dispatch block, whose code the caller emits.
fn new_handler(t: &mut Translator<'_, '_>) -> usize {
    let landing = t.b.create_block();
    let dispatch = t.b.create_block();
    t.b.append_block_param(dispatch, types::I64);
    t.b.set_cold_block(landing);
    t.b.set_cold_block(dispatch);
    t.b.switch_to_block(landing);
    let (vmctx, context) = (t.vmctx, t.context);
    if t.env.cc.pinned_context() {
        t.ins().set_pinned_reg(context);
    }
    // Read-only but not movable: hoisted to the entry, the load would keep a value live across
    // the whole function for a block that rarely runs.
    let store = t.ins().load(types::I64, readonly(), vmctx, VMCTX_STORE_CONTEXT as i32);
    let exn = t.ins().load(types::I64, trusted(), store, store_context::PENDING_EXCEPTION as i32);
    t.ins().jump(dispatch, &[exn.into()]);
    t.handlers.push(Handler { landing, dispatch });
    t.handlers.len() - 1
}

/// Goes on in a new block if `exn`'s tag is `tag`; returns the block where it goes on if not.
fn match_tag(t: &mut Translator<'_, '_>, exn: Value, tag: u32) -> ir::Block {
    let tag_offset = t.env.offsets.tag(tag) as i32;
    let vmctx = t.vmctx;
    let expected = t.ins().load(types::I64, readonly(), vmctx, tag_offset);
    let actual = t.ins().load(types::I64, trusted(), exn, exception::TAG as i32);
    let same = t.ins().icmp(IntCC::Equal, actual, expected);
    let matched = t.b.create_block();
    let miss = t.b.create_block();
    t.ins().brif(same, matched, &[], miss, &[]);
    t.b.seal_block(matched);
    t.b.seal_block(miss);
    t.b.switch_to_block(matched);
    miss
}

/// The values of an exception of tag `tag`, loaded from it.
fn values(t: &mut Translator<'_, '_>, exn: Value, tag: u32) -> Vec<Value> {
    let params = t.env.info.tag_type(tag).params.clone();
    params
        .iter()
        .enumerate()
        .map(|(i, ty)| t.ins().load(ty.clif(), trusted(), exn, value_offset(i)))
        .collect()
}

/// Where an exception object keeps its value `i`.
fn value_offset(i: usize) -> i32 {
    (exception::VALUES + exception::VALUE * i as u32) as i32
}

/// `try_table`: a block whose calls and throws go to its catch clauses first. The clauses'
/// labels are outside the block, so its dispatch code is complete at once.
fn try_table(t: &mut Translator<'_, '_>, table: &wasmparser::TryTable) -> Result<()> {
    let types = t.block_type(table.ty)?;
    let targets: Vec<(ir::Block, usize)> = table
        .catches
        .iter()
        .map(|c| {
            let label = match *c {
                Catch::One { label, .. } | Catch::OneRef { label, .. } => label,
                Catch::All { label } | Catch::AllRef { label } => label,
            };
            super::control::branch_target(t, label)
        })
        .collect();
    let body = t.b.create_block();
    t.ins().jump(body, &[]);
    let handler = new_handler(t);
    let dispatch = t.handlers[handler].dispatch;
    t.b.switch_to_block(dispatch);
    let exn = t.b.block_params(dispatch)[0];
    let mut caught_all = false;
    for (catch, (target, _)) in table.catches.iter().zip(targets) {
        let args = match *catch {
            Catch::One { tag, .. } | Catch::OneRef { tag, .. } => {
                let miss = match_tag(t, exn, tag);
                let mut args = values(t, exn, tag);
                if let Catch::OneRef { .. } = catch {
                    args.push(exn);
                }
                t.ins().jump(target, &block_args(&args));
                t.b.switch_to_block(miss);
                continue;
            }
            Catch::All { .. } => vec![],
            Catch::AllRef { .. } => vec![exn],
        };
        t.ins().jump(target, &block_args(&args));
        caught_all = true;
        break;
    }
    if !caught_all {
        // The clauses enclosing the `try_table` (`t.handler` is still theirs) or the caller's.
        propagate(t, exn);
    }
    enter_scope(t, body, FrameKind::TryTable, types, handler);
    Ok(())
}

/// Goes on in `body`, the first block of a new frame of `kind` (taking the parameters and
/// giving the results of `types`) inside which calls and throws go to `handler`.
fn enter_scope(
    t: &mut Translator<'_, '_>,
    body: ir::Block,
    kind: FrameKind,
    (params, results): (Vec<ValType>, Vec<ValType>),
    handler: usize,
) {
    t.b.seal_block(body);
    t.b.switch_to_block(body);
    t.reachable = true;
    let height = t.stack.len() - params.len();
    let next = t.block_with_params(&results);
    let frame = super::control::frame(kind, params, results, next, None, height);
    super::control::push(t, frame);
    t.handler = Some(handler);
    t.control.last_mut().expect("just pushed").handler_inside = Some(handler);
}

/// Legacy `try`: a block whose catch clauses follow its body; its dispatch code grows one clause
/// at a time (`legacy_catch`), each trying the exception where the previous one missed.
fn legacy_try(t: &mut Translator<'_, '_>, blockty: wasmparser::BlockType) -> Result<()> {
    let types = t.block_type(blockty)?;
    let body = t.b.create_block();
    t.ins().jump(body, &[]);
    let handler = new_handler(t);
    let dispatch = t.handlers[handler].dispatch;
    let exn = t.b.block_params(dispatch)[0];
    enter_scope(t, body, FrameKind::Try { miss: Some(dispatch), exn }, types, handler);
    Ok(())
}

/// Starts a legacy `catch` (`tag`) or `catch_all` (`None`) clause: its code runs outside the
/// `try`'s handler, on the exception's values, where the previous clause missed.
fn legacy_catch(t: &mut Translator<'_, '_>, tag: Option<u32>) {
    let f = t.control.last_mut().expect("validated");
    let (FrameKind::Try { miss, exn } | FrameKind::Catch { miss, exn }) = f.kind else {
        unreachable!("validated: catch inside try")
    };
    let miss = miss.expect("validated: nothing follows catch_all");
    f.handler_inside = f.handler_outside;
    let (height, outside) = (f.height, f.handler_outside);
    t.handler = outside;
    t.stack.truncate(height);
    t.b.switch_to_block(miss);
    let next_miss = match tag {
        Some(tag) => {
            let next_miss = match_tag(t, exn, tag);
            let vals = values(t, exn, tag);
            t.stack.extend(vals);
            Some(next_miss)
        }
        None => None,
    };
    t.control.last_mut().expect("validated").kind = FrameKind::Catch { miss: next_miss, exn };
    t.reachable = true;
}

/// What `end` does for this family's frames, before the frame's block is closed: the handler
/// around the frame applies again, and an exception no legacy clause took goes on outward.
pub(super) fn end(t: &mut Translator<'_, '_>, f: &Frame) {
    match f.kind {
        FrameKind::TryTable => t.handler = f.handler_outside,
        FrameKind::Try { miss, exn } | FrameKind::Catch { miss, exn } => {
            t.handler = f.handler_outside;
            if let Some(miss) = miss {
                t.b.switch_to_block(miss);
                propagate(t, exn);
            }
        }
        _ => {}
    }
}

/// Legacy `delegate`: closes a `try` whose exceptions go to the handler of the frame `depth`
/// frames out (its `try`'s clauses if that is a `try` body) or, past the function's own frame,
/// to the caller.
fn delegate(t: &mut Translator<'_, '_>, f: Frame, depth: u32, fell_through: bool) {
    let FrameKind::Try { miss: Some(dispatch), exn } = f.kind else {
        unreachable!("validated: delegate ends a try body")
    };
    let target = t.control.len() - 1 - depth as usize;
    t.handler = t.control[target].handler_inside;
    t.b.switch_to_block(dispatch);
    propagate(t, exn);
    t.handler = f.handler_outside;
    super::control::end_frame(t, f, fell_through);
}
