//! `wide`: many registers for tail-calling code.
//!
//! Cranelift's `tail` convention passes 6 integer arguments in registers (x86-64: rdi rsi rdx rcx
//! r8 r9; AArch64: x2-x7) and 8 floats (xmm0-7 / v0-7), and a function that needs more than the
//! caller-saved registers saves callee-saved ones in its prologue. `baseline` also spends one
//! integer register on the context, so a handler with 11 `i32` parameters moves 6 of them
//! through the stack on every dispatch. `wide` instead:
//!
//! - uses `preserve_none`, a convention kite adds to Cranelift (`vendor/cranelift-codegen`, see
//!   `docs/calling-conventions.md`): `tail` with 10 integer argument registers on x86-64 (rdi rsi
//!   rdx rcx r8 r9 r12 r13 r14 rbx) and 12 on AArch64 (x2-x7, x10-x15), and no callee-saved
//!   registers at all, so a handler neither saves registers nor reloads state it was passed.
//!   Function types the module calls only normally, never by a tail call (`plans`), keep
//!   `tail` and its callee-saved registers instead, or their callers would spill around every
//!   call;
//! - passes no context: the callee's `VMContext` lives in the pinned register (r15 / x21), which
//!   Cranelift never allocates. A call to a function of the same instance leaves it alone; a call
//!   through a funcref sets it, and restores the caller's after the call returns. The host entry
//!   trampoline saves and restores the host's value, since the register is callee-saved there
//!   (the host's other callee-saved registers are saved by the trampoline's own prologue, since
//!   a call to a `preserve_none` function clobbers them all);
//! - carries integer parameters past the integer registers in float registers, bit for bit
//!   (`bitcast` i32->f32, i64->f64): 10 + 8 = 18 register lanes on x86-64, minus the Wasm float
//!   parameters.
//!
//! Results travel as in `baseline`.
//!
//! `fused` is this same convention with one more step: functions that tail-call each other
//! (see `groups`) become one Cranelift function in which a tail call to a member is a `jump`
//! carrying the arguments as block parameters, and an indirect tail call through a table known
//! at compile time is a `br_table` over the members (`translate::fused`). Between members there
//! is then no convention at all: the register allocator keeps the whole state in registers, and
//! the group has one frame, not one per dispatch. Everything that crosses a group's boundary
//! (calls from outside through the members' entry stubs, calls to non-members, results)
//! travels as described above.

use super::Convention;
use crate::plans::TypePlan;
use crate::types::{FuncType, ValType, reinterpret};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{AbiParam, InstBuilder, Signature, Type, Value, types};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::FunctionBuilder;

/// The Cranelift convention of a type's functions, and the type each parameter travels as.
///
/// `preserve_none` by default, with all its integer argument registers as lanes: with no
/// callee-saved registers, a handler's scratch registers are every allocatable one its
/// parameters leave, on x86-64 rax, r10 and r11 once ten parameters are in place (13
/// allocatable in all, r15 being pinned), which an 11-word handler's work needs; an eleventh
/// argument register there made the register allocator spill a parameter to the stack and back
/// instead. AArch64 has registers to spare.
///
/// A type the module calls only normally (`plans`: its functions make no tail calls and take
/// none) keeps Cranelift's `tail` and its callee-saved registers: under `preserve_none` every
/// caller would spill its live values around every call. `tail` has 6 integer argument
/// registers; on x86-64 only 5 carry parameters, since with 6 a function has 3 caller-saved
/// registers left and starts saving callee-saved ones.
///
/// Where the module found which parameters are hot, on x86-64 only those get integer lanes
/// (`lanes`); AArch64, with more than twice the registers, keeps every integer in one.
fn passing(ty: &FuncType, plan: Option<&TypePlan>, isa: &dyn TargetIsa) -> (CallConv, Vec<Type>) {
    let x86 = isa.triple().architecture == target_lexicon::Architecture::X86_64;
    let (call_conv, int_lanes) = match (plan.is_some_and(|p| p.ordinary), x86) {
        (true, true) => (CallConv::Tail, 5),
        (true, false) => (CallConv::Tail, 6),
        (false, true) => (CallConv::PreserveNone, 10),
        (false, false) => (CallConv::PreserveNone, 12),
    };
    let hot = plan.and_then(|p| p.hot.as_deref()).filter(|_| x86);
    (call_conv, lanes(&ty.params, int_lanes, hot))
}

#[derive(Debug)]
pub struct Wide {
    fuse: bool,
}

impl Wide {
    /// `wide`.
    pub const PLAIN: Wide = Wide { fuse: false };
    /// `fused`: `wide` plus fused tail-call groups.
    pub const FUSED: Wide = Wide { fuse: true };
}

/// The Cranelift type each Wasm parameter travels as: integers in integer registers while
/// there are lanes, only hot ones where `hot` says which, the rest in float registers, which
/// floats and `v128`s take too.
fn lanes(params: &[ValType], int_lanes: usize, hot: Option<&[bool]>) -> Vec<Type> {
    let mut ints = 0;
    params
        .iter()
        .enumerate()
        .map(|(i, p)| match p {
            ValType::F32 | ValType::F64 | ValType::V128 => p.clif(),
            _ if ints < int_lanes && hot.is_none_or(|hot| hot[i]) => {
                ints += 1;
                p.clif()
            }
            ValType::I32 => types::F32,
            _ => types::F64,
        })
        .collect()
}

/// Converts values between their Wasm type and their lane type (a no-op unless they differ).
/// A value that came in through a float lane and goes out through the same lane unchanged is
/// passed on as it came (`reinterpret`): Cranelift keeps `bitcast(bitcast(x))`, two register
/// moves per dispatch.
fn convert(b: &mut FunctionBuilder, values: &[Value], to: impl Iterator<Item = Type>) -> Vec<Value> {
    values.iter().zip(to).map(|(v, ty)| reinterpret(b, *v, ty)).collect()
}

/// Sets the pinned register to `callee` if it differs from `caller`, behind a branch rather than
/// unconditionally. The callee's context comes out of a chain of dependent loads (table, entry,
/// funcref); as data, it would make every dispatch wait for that chain, since the next function
/// reads its context at once. As control, the CPU predicts "same instance" and runs ahead.
fn switch_context(b: &mut FunctionBuilder, caller: Value, callee: Value) {
    let differs = b.ins().icmp(IntCC::NotEqual, caller, callee);
    let switch = b.create_block();
    let join = b.create_block();
    b.ins().brif(differs, switch, &[], join, &[]);
    b.seal_block(switch);
    b.set_cold_block(switch);
    b.switch_to_block(switch);
    b.ins().set_pinned_reg(callee);
    b.ins().jump(join, &[]);
    b.seal_block(join);
    b.switch_to_block(join);
}

impl Convention for Wide {
    fn name(&self) -> &'static str {
        if self.fuse { "fused" } else { "wide" }
    }

    fn summary(&self) -> &'static str {
        if self.fuse {
            "wide, and functions that tail-call each other compiled as one function: member tail calls are jumps"
        } else {
            "preserve_none (many integer argument registers, none callee-saved); context in the pinned register; surplus integers ride in float registers"
        }
    }

    fn fuses(&self) -> bool {
        self.fuse
    }

    fn pinned_context(&self) -> bool {
        true
    }

    fn static_dispatch(&self) -> bool {
        true
    }

    fn signature(&self, ty: &FuncType, plan: Option<&TypePlan>, isa: &dyn TargetIsa) -> Signature {
        let (call_conv, lanes) = passing(ty, plan, isa);
        let mut sig = Signature::new(call_conv);
        sig.params.extend(lanes.into_iter().map(AbiParam::new));
        sig.returns.extend(ty.results.iter().map(|t| AbiParam::new(t.clif())));
        sig
    }

    fn decode_params(&self, b: &mut FunctionBuilder, ty: &FuncType) -> (Value, Vec<Value>) {
        let entry = b.current_block().expect("in the entry block");
        let raw = b.block_params(entry).to_vec();
        let vmctx = b.ins().get_pinned_reg(types::I64);
        let params = convert(b, &raw, ty.params.iter().map(|t| t.clif()));
        (vmctx, params)
    }

    fn encode_args(
        &self,
        b: &mut FunctionBuilder,
        isa: &dyn TargetIsa,
        ty: &FuncType,
        plan: Option<&TypePlan>,
        caller_vmctx: Value,
        callee_vmctx: Option<Value>,
        args: &[Value],
    ) -> Vec<Value> {
        let encoded = convert(b, args, passing(ty, plan, isa).1.into_iter());
        if let Some(callee) = callee_vmctx {
            switch_context(b, caller_vmctx, callee);
        }
        encoded
    }

    fn after_call(&self, b: &mut FunctionBuilder, caller_vmctx: Value, callee_vmctx: Option<Value>) {
        if callee_vmctx.is_some() {
            b.ins().set_pinned_reg(caller_vmctx);
        }
    }

    fn encode_results(&self, _b: &mut FunctionBuilder, _ty: &FuncType, results: &[Value]) -> Vec<Value> {
        results.to_vec()
    }

    fn decode_results(&self, _b: &mut FunctionBuilder, _ty: &FuncType, results: &[Value]) -> Vec<Value> {
        results.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surplus_integers_ride_in_float_registers() {
        use ValType::*;
        let params = [I32, I64, F64, I32, I32, I32, I32, I32, I64, F32];
        let got = lanes(&params, 6, None);
        assert_eq!(
            got,
            [
                types::I32,
                types::I64,
                types::F64,
                types::I32,
                types::I32,
                types::I32,
                types::I32,
                types::F32,
                types::F64,
                types::F32
            ]
        );
    }

    #[test]
    fn only_hot_integers_take_integer_registers_where_the_module_planned() {
        use ValType::*;
        let params = [I32, I32, I64, I32, I32];
        let hot = [true, false, true, false, true];
        let got = lanes(&params, 10, Some(&hot));
        assert_eq!(got, [types::I32, types::F32, types::I64, types::F32, types::I32]);
        // More hot integers than lanes: the first ones win.
        let got = lanes(&params, 2, Some(&hot));
        assert_eq!(got, [types::I32, types::F32, types::I64, types::F32, types::F32]);
    }
}
