//! `fused`: `wide`, plus fused tail-call groups.
//!
//! Functions that tail-call each other (see `groups`) become one Cranelift function in which a
//! tail call to a member is a `jump` carrying the arguments as block parameters, and an indirect
//! tail call through a table known at compile time is a `br_table` over the members. Between
//! members there is then no convention at all: the register allocator keeps the whole state in
//! registers, and the group has one frame, not one per dispatch. Everything that crosses the
//! group's boundary (calls from outside through the members' entry stubs, calls and tail calls
//! to non-members, results) travels as under `wide`.

use super::{Convention, Wide};
use crate::types::FuncType;
use cranelift_codegen::ir::{Signature, Value};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::FunctionBuilder;

#[derive(Debug)]
pub struct Fused;

impl Convention for Fused {
    fn name(&self) -> &'static str {
        "fused"
    }

    fn summary(&self) -> &'static str {
        "wide, and functions that tail-call each other compiled as one function: member tail calls are jumps"
    }

    fn pinned_context(&self) -> bool {
        true
    }

    fn static_dispatch(&self) -> bool {
        true
    }

    fn fuses(&self) -> bool {
        true
    }

    fn signature(&self, ty: &FuncType, isa: &dyn TargetIsa) -> Signature {
        Wide.signature(ty, isa)
    }

    fn decode_params(&self, b: &mut FunctionBuilder, ty: &FuncType) -> (Value, Vec<Value>) {
        Wide.decode_params(b, ty)
    }

    fn encode_args(
        &self,
        b: &mut FunctionBuilder,
        isa: &dyn TargetIsa,
        ty: &FuncType,
        caller_vmctx: Value,
        callee_vmctx: Option<Value>,
        args: &[Value],
    ) -> Vec<Value> {
        Wide.encode_args(b, isa, ty, caller_vmctx, callee_vmctx, args)
    }

    fn after_call(&self, b: &mut FunctionBuilder, caller_vmctx: Value, callee_vmctx: Option<Value>) {
        Wide.after_call(b, caller_vmctx, callee_vmctx)
    }

    fn encode_results(&self, b: &mut FunctionBuilder, ty: &FuncType, results: &[Value]) -> Vec<Value> {
        Wide.encode_results(b, ty, results)
    }

    fn decode_results(&self, b: &mut FunctionBuilder, ty: &FuncType, results: &[Value]) -> Vec<Value> {
        Wide.decode_results(b, ty, results)
    }
}
