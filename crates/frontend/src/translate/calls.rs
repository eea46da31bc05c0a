//! Calls and tail calls: `call`, `call_indirect`, `call_ref` and their `return_` forms.
//!
//! A call to a function defined in the module is a direct, colocated call resolved when the
//! module's code is published. Calls to imports, through tables and through references go
//! through a `VMFuncRef` (code pointer, callee context, type id). `call_indirect` checks bounds,
//! null and signature, in that order, as the spec orders its traps; the signature check is one
//! compare of engine-wide type ids, and where the expected type may have subtypes a call to the
//! runtime settles a mismatch. `call_ref` checks null only: validation proved the type. Indirect
//! calls whose callees are known at compile time go to `dispatch`.

use super::dispatch::{self, ElementTraps, StaticCall, Via};
use super::exceptions::{self, Callee};
use super::{Region, Translator, invariant, readonly};
use crate::error::Result;
use crate::trap::TrapKind;
use crate::types::FuncType;
use crate::vmctx::{Builtin, funcref, table_definition};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, SigRef, Value, types};
use wasmparser::Operator as O;

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> Result<bool> {
    match op {
        O::Call { function_index } => call(t, *function_index, false),
        O::ReturnCall { function_index } => call(t, *function_index, true),
        O::CallIndirect { type_index, table_index } => call_indirect(t, *type_index, *table_index, false),
        O::ReturnCallIndirect { type_index, table_index } => {
            call_indirect(t, *type_index, *table_index, true)
        }
        O::CallRef { type_index } => call_ref(t, *type_index, false),
        O::ReturnCallRef { type_index } => call_ref(t, *type_index, true),
        _ => return Ok(false),
    }
    Ok(true)
}

fn call(t: &mut Translator<'_, '_>, func: u32, tail: bool) {
    let info = t.env.info;
    let ty = info.func_type(func);
    let args = t.popn(ty.params.len());
    if info.is_imported_func(func) {
        let ptr = t.pointer_type();
        let slot = t.env.offsets.funcref(func) as i32;
        let vmctx = t.vmctx;
        let code = t.ins().load(ptr, invariant(), vmctx, slot + funcref::CODE as i32);
        let callee_vmctx = t.ins().load(ptr, invariant(), vmctx, slot + funcref::VMCTX as i32);
        let sig = t.sig_ref(info.funcs[func as usize]);
        indirect(t, ty, sig, code, callee_vmctx, &args, tail);
        return;
    }
    if tail && super::fused::jump_to_member(t, func, &args) {
        return;
    }
    let callee = t.func_ref(func);
    let call_args = t.env.encode_args(&mut t.b, ty, t.context, None, &args);
    if tail {
        t.ins().return_call(callee, &call_args);
        t.reachable = false;
    } else {
        let sig = t.sig_ref(info.funcs[func as usize]);
        let results = exceptions::call(t, Callee::Direct(callee), sig, &call_args);
        push_results(t, ty, &results, None);
    }
}

fn call_indirect(t: &mut Translator<'_, '_>, type_index: u32, table: u32, tail: bool) {
    let ptr = t.pointer_type();
    let ty = t.env.info.func_type_at(type_index);
    let index = t.pop();
    let args = t.popn(ty.params.len());
    if t.env.cc.static_dispatch()
        && let Some(array) = t.env.facts.dispatch_array(table, type_index, false)
    {
        let via = Via::Array { table, array };
        let call = StaticCall { ty, type_index, via, index, args: &args, traps: ElementTraps::TABLE };
        dispatch::through_static_table(t, &call, tail);
        return;
    }

    let def = t.table_definition(table);
    let flags = t.trusted_in(Region::Tables);
    let len = t.ins().load(types::I64, flags, def, table_definition::LENGTH as i32);
    let index = t.ins().uextend(types::I64, index);
    let out_of_bounds = t.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
    t.trap_if(out_of_bounds, TrapKind::UndefinedElement);
    let elements = t.ins().load(ptr, flags, def, table_definition::BASE as i32);
    let byte_offset = t.ins().ishl_imm_u(index, 3);
    let entry = t.ins().iadd(elements, byte_offset);
    let func_ref = t.ins().load(ptr, flags, entry, 0);
    t.ins().trapz(func_ref, TrapKind::UninitializedElement.code());

    check_signature(t, func_ref, type_index);

    let code = t.ins().load(ptr, readonly(), func_ref, funcref::CODE as i32);
    let callee_vmctx = t.ins().load(ptr, readonly(), func_ref, funcref::VMCTX as i32);
    let sig = t.sig_ref(type_index);
    indirect(t, ty, sig, code, callee_vmctx, &args, tail);
}

/// Traps unless the function behind `func_ref` is of type `type_index` or, when that type is
/// open to subtypes, of one of them (asked of the runtime, off the fast path).
fn check_signature(t: &mut Translator<'_, '_>, func_ref: Value, type_index: u32) {
    let actual = t.ins().load(types::I32, readonly(), func_ref, funcref::TYPE_ID as i32);
    let (vmctx, type_id) = (t.vmctx, t.env.offsets.type_id(type_index) as i32);
    let expected = t.ins().load(types::I32, invariant(), vmctx, type_id);
    let mismatch = t.ins().icmp(IntCC::NotEqual, actual, expected);
    if t.env.info.types[type_index as usize].is_final {
        t.trap_if(mismatch, TrapKind::BadSignature);
        return;
    }
    let slow = t.b.create_block();
    let done = t.b.create_block();
    t.ins().brif(mismatch, slow, &[], done, &[]);
    t.b.seal_block(slow);
    t.b.set_cold_block(slow);
    t.b.switch_to_block(slow);
    let is_subtype = t.call_builtin(Builtin::IsSubtype, &[actual, expected]).expect("returns");
    t.ins().trapz(is_subtype, TrapKind::BadSignature.code());
    t.ins().jump(done, &[]);
    t.b.seal_block(done);
    t.b.switch_to_block(done);
}

/// `call_ref` and `return_call_ref`: through the `VMFuncRef` on the stack, after a null check.
/// In a fused group, a `return_call_ref` to a member jumps to it (`dispatch::ref_to_members`).
/// A reference just read from a static table is called through the table, as `call_indirect`
/// would (`facts::ref_call_through_table`): by index, through its dispatch array.
fn call_ref(t: &mut Translator<'_, '_>, type_index: u32, tail: bool) {
    let ty = t.env.info.func_type_at(type_index);
    let func_ref = t.pop();
    let args = t.popn(ty.params.len());
    if let Some((read, table, index)) = t.table_get
        && read == func_ref
        && t.env.cc.static_dispatch()
        && let Some(array) = t.env.facts.dispatch_array(table, type_index, true)
    {
        // `table.get`'s bounds check is the call's, and the array's null entries trap as a null
        // reference: `table.get` left the reference unread (`tables`).
        let via = Via::Array { table, array };
        let call = StaticCall { ty, type_index, via, index, args: &args, traps: ElementTraps::REFERENCE };
        dispatch::through_static_table(t, &call, tail);
        return;
    }
    t.ins().trapz(func_ref, TrapKind::NullFunctionReference.code());
    if tail && dispatch::ref_to_members(t, ty, type_index, func_ref, &args) {
        return;
    }
    through_func_ref(t, ty, type_index, func_ref, &args, tail);
}

/// A call through a non-null `VMFuncRef`, of a function whose type validation proved.
pub(super) fn through_func_ref(
    t: &mut Translator<'_, '_>,
    ty: &FuncType,
    type_index: u32,
    func_ref: Value,
    args: &[Value],
    tail: bool,
) {
    let ptr = t.pointer_type();
    let code = t.ins().load(ptr, readonly(), func_ref, funcref::CODE as i32);
    let callee_vmctx = t.ins().load(ptr, readonly(), func_ref, funcref::VMCTX as i32);
    let sig = t.sig_ref(type_index);
    indirect(t, ty, sig, code, callee_vmctx, args, tail);
}

fn indirect(
    t: &mut Translator<'_, '_>,
    ty: &FuncType,
    sig: SigRef,
    code: Value,
    callee_vmctx: Value,
    args: &[Value],
    tail: bool,
) {
    let call_args = t.env.encode_args(&mut t.b, ty, t.context, Some(callee_vmctx), args);
    if tail {
        t.ins().return_call_indirect(sig, code, &call_args);
        t.reachable = false;
    } else {
        let results = exceptions::call(t, Callee::Indirect(code), sig, &call_args);
        push_results(t, ty, &results, Some(callee_vmctx));
    }
}

/// Pushes the Wasm results of a call that returned `raw` (see `exceptions::call`).
pub(super) fn push_results(
    t: &mut Translator<'_, '_>,
    ty: &FuncType,
    raw: &[Value],
    callee_vmctx: Option<Value>,
) {
    t.env.cc.after_call(&mut t.b, t.context, callee_vmctx);
    let results = t.env.cc.decode_results(&mut t.b, ty, raw);
    t.stack.extend(results);
}
