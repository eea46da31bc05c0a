//! Calling conventions for Wasm functions: how a Wasm signature becomes a Cranelift signature, and
//! how values cross a call. Each convention is one small module behind [`Convention`], so they can
//! be read side by side; the translator never looks past this interface.

mod baseline;
mod wide;

pub use baseline::Baseline;
pub use wide::Wide;

use crate::plans::TypePlan;
use crate::types::FuncType;
use cranelift_codegen::ir::{Signature, Value};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::FunctionBuilder;

/// A way to pass a Wasm function's context, parameters and results.
pub trait Convention: Send + Sync + std::fmt::Debug {
    /// The name users select it by (`--tail-cc NAME`).
    fn name(&self) -> &'static str;

    /// One line on what it does, for `kite compile` and the docs.
    fn summary(&self) -> &'static str;

    /// Whether the callee's `VMContext` travels in the pinned register instead of a parameter.
    /// Then Cranelift must reserve that register in every function, and Cranelift's own
    /// stack-limit check (which needs a context parameter) is replaced by the translator's.
    fn pinned_context(&self) -> bool {
        false
    }

    /// Whether indirect calls through static tables (see `facts`) skip the runtime checks and
    /// index a code-pointer array instead.
    fn static_dispatch(&self) -> bool {
        false
    }

    /// Whether functions that tail-call each other are compiled as one function (see `groups`).
    fn fuses(&self) -> bool {
        false
    }

    /// The Cranelift signature of every Wasm function of type `ty`, as callee and as caller.
    ///
    /// `plan`, for a type that never leaves the module (`plans`), says whether its functions are
    /// only ever called normally and which parameters most of them use; a convention may adapt
    /// to it. Every caller and callee of the type passes the same plan.
    fn signature(&self, ty: &FuncType, plan: Option<&TypePlan>, isa: &dyn TargetIsa) -> Signature;

    /// In the entry block of a function: its `VMContext` and its Wasm parameters, from the
    /// block's parameters.
    fn decode_params(&self, b: &mut FunctionBuilder, ty: &FuncType) -> (Value, Vec<Value>);

    /// The Cranelift arguments of a call to a function of type `ty`. `callee_vmctx` is `None`
    /// when the callee is known to belong to the caller's instance.
    #[allow(clippy::too_many_arguments)]
    fn encode_args(
        &self,
        b: &mut FunctionBuilder,
        isa: &dyn TargetIsa,
        ty: &FuncType,
        plan: Option<&TypePlan>,
        caller_vmctx: Value,
        callee_vmctx: Option<Value>,
        args: &[Value],
    ) -> Vec<Value>;

    /// Emitted after a call returns (not after a tail call), before anything else.
    fn after_call(&self, _b: &mut FunctionBuilder, _caller_vmctx: Value, _callee_vmctx: Option<Value>) {}

    /// The values a function of type `ty` returns, as the Cranelift `return` takes them.
    fn encode_results(&self, b: &mut FunctionBuilder, ty: &FuncType, results: &[Value]) -> Vec<Value>;

    /// The Wasm results of a call, from what the Cranelift call returned.
    fn decode_results(&self, b: &mut FunctionBuilder, ty: &FuncType, results: &[Value]) -> Vec<Value>;
}

/// Looks a convention up by name.
pub fn by_name(name: &str) -> Option<&'static dyn Convention> {
    ALL.iter().copied().find(|c| c.name() == name)
}

/// Every convention kite offers.
pub const ALL: &[&dyn Convention] = &[&Baseline, &Wide::PLAIN, &Wide::FUSED];
