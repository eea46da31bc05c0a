//! 128-bit SIMD (WebAssembly 2.0) and relaxed SIMD, lowered to Cranelift's vector types.
//!
//! A `v128` on the operand stack, in a local, a block parameter or a call is always an `I8X16`
//! (`ValType::clif`), whatever lanes the instruction that made it worked on. Each instruction
//! takes its operands as the lane type it works on ([`pop_as`]) and puts its result back as an
//! `I8X16` ([`push`]). The bitcasts between vector types cost nothing: they only rename a
//! register, and `types::reinterpret` drops a pair that undoes itself.
//!
//! The families, each claiming the operators it knows:
//! - `memory`: loads and stores, whole, extending, splatting, zero-filling and of one lane;
//! - `lanes`: constants, splats, lane reads and writes, shuffles, and the bitwise operators that
//!   ignore lanes;
//! - `integer`: integer lane arithmetic, comparisons, shifts and reductions;
//! - `float`: float lane arithmetic, comparisons and rounding;
//! - `conversions`: between lane types and widths;
//! - `relaxed`: relaxed SIMD, one fixed choice per target.

mod conversions;
mod float;
mod integer;
mod lanes;
mod memory;
mod relaxed;

use super::Translator;
use crate::error::Result;
use crate::types::reinterpret;
use cranelift_codegen::ir::{InstBuilder, Type, Value, types};
use cranelift_frontend::{FuncInstBuilder, FunctionBuilder};
use wasmparser::Operator;

/// An instruction of one operand, for the families' operator tables.
type Unary = for<'a, 'f> fn(FuncInstBuilder<'a, 'f>, Value) -> Value;
/// An instruction of two operands.
type Binary = for<'a, 'f> fn(FuncInstBuilder<'a, 'f>, Value, Value) -> Value;

/// `f` on a `v128` seen as a `ty`.
fn apply_unary(t: &mut Translator<'_, '_>, ty: Type, f: Unary) {
    let x = pop_as(t, ty);
    let v = f(t.ins(), x);
    push(t, v);
}

/// `f` on two `v128`s seen as `ty`s.
fn apply_binary(t: &mut Translator<'_, '_>, ty: Type, f: Binary) {
    let (x, y) = pop2_as(t, ty);
    let v = f(t.ins(), x, y);
    push(t, v);
}

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &Operator<'_>) -> Result<bool> {
    Ok(memory::translate(t, op)
        || lanes::translate(t, op)
        || integer::translate(t, op)
        || float::translate(t, op)
        || conversions::translate(t, op)
        || relaxed::translate(t, op))
}

/// A vector constant of type `ty`: `bits`, lane 0 in the least significant byte. Made in `ty`
/// itself, not bitcast from another shape, since the backends match patterns such as
/// `snarrow(fcvt_to_sint_sat(x), vconst 0)` (one `cvttpd2dq` on x86-64) by the constant's type.
pub(crate) fn vconst(b: &mut FunctionBuilder<'_>, ty: Type, bits: u128) -> Value {
    let handle = b.func.dfg.constants.insert(bits.to_le_bytes().to_vec().into());
    b.ins().vconst(ty, handle)
}

/// Pops a `v128` as a vector of type `ty`.
pub(super) fn pop_as(t: &mut Translator<'_, '_>, ty: Type) -> Value {
    let v = t.pop();
    reinterpret(&mut t.b, v, ty)
}

/// Pops two `v128`s as vectors of type `ty`.
pub(super) fn pop2_as(t: &mut Translator<'_, '_>, ty: Type) -> (Value, Value) {
    let y = pop_as(t, ty);
    let x = pop_as(t, ty);
    (x, y)
}

/// Pops three `v128`s as vectors of type `ty`.
pub(super) fn pop3_as(t: &mut Translator<'_, '_>, ty: Type) -> (Value, Value, Value) {
    let z = pop_as(t, ty);
    let (x, y) = pop2_as(t, ty);
    (x, y, z)
}

/// Pushes a vector as a `v128` (an `I8X16`).
pub(super) fn push(t: &mut Translator<'_, '_>, v: Value) {
    let v = reinterpret(&mut t.b, v, types::I8X16);
    t.push(v);
}
