//! Trampolines between the host's C convention and a Wasm convention.
//!
//! - entry: `extern "C" fn(vmctx, code, values: *mut u128)` calls the Wasm function at `code`
//!   with arguments read from `values` and writes its results back there ([`VALUE_SLOT`] bytes
//!   per value, the value in the slot's low bytes).
//! - host: a Wasm function (in the Wasm convention) that spills its arguments to a stack buffer,
//!   calls the `extern "C" fn(ctx, values, frame pointer) -> u32` found at offset 0 of its
//!   context, and traps with [`TrapKind::HostError`] if that returns nonzero. (A host function
//!   that throws does not return: the runtime throws from the trampoline's frame.)
//! - trap stub: traps at once with a given kind; dispatch arrays point to one where a table
//!   entry is null or of the wrong type. Whatever signature it is called with, it never returns.

use crate::cc::Convention;
use crate::translate::trusted;
use crate::trap::TrapKind;
use crate::types::FuncType;
use cranelift_codegen::ir::{
    AbiParam, Function, InstBuilder, Signature, StackSlotData, StackSlotKind, UserFuncName, types,
};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

/// The bytes each value takes in the runtime's value arrays: 16, for `v128`.
pub const VALUE_SLOT: i32 = 16;

/// The host-to-Wasm trampoline for functions of type `ty`.
pub fn entry(ty: &FuncType, cc: &dyn Convention, isa: &dyn TargetIsa) -> Function {
    let ptr = isa.pointer_type();
    let mut sig = Signature::new(CallConv::triple_default(isa.triple()));
    sig.params.extend([AbiParam::new(ptr); 3]);
    let mut func = Function::with_name_signature(UserFuncName::default(), sig);
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let (vmctx, code, values) = {
        let p = b.block_params(block);
        (p[0], p[1], p[2])
    };
    let args: Vec<_> = ty
        .params
        .iter()
        .enumerate()
        .map(|(i, t)| b.ins().load(t.clif(), trusted(), values, VALUE_SLOT * i as i32))
        .collect();
    let wasm_sig = b.import_signature(cc.signature(ty, None, isa));
    // With the context in the pinned register, the host's value of that register (callee-saved
    // in the host's convention) must survive the call.
    let host_pinned = if cc.pinned_context() { b.ins().get_pinned_reg(ptr) } else { vmctx };
    let call_args = cc.encode_args(&mut b, isa, ty, None, host_pinned, Some(vmctx), &args);
    let call = b.ins().call_indirect(wasm_sig, code, &call_args);
    cc.after_call(&mut b, host_pinned, Some(vmctx));
    let raw = b.inst_results(call).to_vec();
    let results = cc.decode_results(&mut b, ty, &raw);
    for (i, r) in results.into_iter().enumerate() {
        b.ins().store(trusted(), r, values, VALUE_SLOT * i as i32);
    }
    b.ins().return_(&[]);
    b.finalize(isa.frontend_config());
    func
}

/// The Wasm-to-host trampoline for host functions of type `ty`.
pub fn host(ty: &FuncType, cc: &dyn Convention, isa: &dyn TargetIsa) -> Function {
    let ptr = isa.pointer_type();
    let mut func = Function::with_name_signature(UserFuncName::default(), cc.signature(ty, None, isa));
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let (ctx, params) = cc.decode_params(&mut b, ty);
    let slots = ty.params.len().max(ty.results.len()).max(1) as u32;
    let slot = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        VALUE_SLOT as u32 * slots,
        4,
    ));
    let values = b.ins().stack_addr(ptr, slot, 0);
    for (i, p) in params.into_iter().enumerate() {
        b.ins().store(trusted(), p, values, VALUE_SLOT * i as i32);
    }
    let mut host_sig = Signature::new(CallConv::triple_default(isa.triple()));
    host_sig.params.extend([AbiParam::new(ptr); 3]);
    host_sig.returns.push(AbiParam::new(types::I32));
    let host_sig = b.import_signature(host_sig);
    let callee = b.ins().load(ptr, trusted(), ctx, 0);
    let fp = b.ins().get_frame_pointer(ptr);
    let call = b.ins().call_indirect(host_sig, callee, &[ctx, values, fp]);
    let status = b.inst_results(call)[0];
    b.ins().trapnz(status, TrapKind::HostError.code());
    let results: Vec<_> = ty
        .results
        .iter()
        .enumerate()
        .map(|(i, t)| b.ins().load(t.clif(), trusted(), values, VALUE_SLOT * i as i32))
        .collect();
    let encoded = cc.encode_results(&mut b, ty, &results);
    b.ins().return_(&encoded);
    b.finalize(isa.frontend_config());
    func
}

/// A function that traps with `kind` as soon as it is called.
pub fn trap_stub(kind: TrapKind, isa: &dyn TargetIsa) -> Function {
    let sig = Signature::new(CallConv::Tail);
    let mut func = Function::with_name_signature(UserFuncName::default(), sig);
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let block = b.create_block();
    b.switch_to_block(block);
    b.seal_block(block);
    b.ins().trap(kind.code());
    b.finalize(isa.frontend_config());
    func
}
