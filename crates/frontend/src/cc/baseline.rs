//! `baseline`: Cranelift's stock `tail` convention with the callee's `VMContext` as the first
//! parameter, then the Wasm parameters; results as Cranelift returns them. The yardstick the other
//! conventions are measured against: it is what Wasmtime does, less Wasmtime's second (caller)
//! context pointer.

use super::Convention;
use crate::plans::TypePlan;
use crate::types::FuncType;
use cranelift_codegen::ir::{AbiParam, ArgumentPurpose, Signature, Value, types};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::FunctionBuilder;

#[derive(Debug)]
pub struct Baseline;

impl Convention for Baseline {
    fn name(&self) -> &'static str {
        "baseline"
    }

    fn summary(&self) -> &'static str {
        "Cranelift's stock `tail`: context pointer first, 6 integer parameters in registers"
    }

    fn signature(&self, ty: &FuncType, _plan: Option<&TypePlan>, isa: &dyn TargetIsa) -> Signature {
        let mut sig = Signature::new(CallConv::Tail);
        sig.params.push(AbiParam::special(isa.pointer_type(), ArgumentPurpose::VMContext));
        sig.params.extend(ty.params.iter().map(|t| AbiParam::new(t.clif())));
        sig.returns.extend(ty.results.iter().map(|t| AbiParam::new(t.clif())));
        debug_assert_eq!(isa.pointer_type(), types::I64);
        sig
    }

    fn decode_params(&self, b: &mut FunctionBuilder, _ty: &FuncType) -> (Value, Vec<Value>) {
        let entry = b.current_block().expect("in the entry block");
        let params = b.block_params(entry);
        (params[0], params[1..].to_vec())
    }

    fn encode_args(
        &self,
        _b: &mut FunctionBuilder,
        _isa: &dyn TargetIsa,
        _ty: &FuncType,
        _plan: Option<&TypePlan>,
        caller_vmctx: Value,
        callee_vmctx: Option<Value>,
        args: &[Value],
    ) -> Vec<Value> {
        std::iter::once(callee_vmctx.unwrap_or(caller_vmctx)).chain(args.iter().copied()).collect()
    }

    fn encode_results(&self, _b: &mut FunctionBuilder, _ty: &FuncType, results: &[Value]) -> Vec<Value> {
        results.to_vec()
    }

    fn decode_results(&self, _b: &mut FunctionBuilder, _ty: &FuncType, results: &[Value]) -> Vec<Value> {
        results.to_vec()
    }
}
