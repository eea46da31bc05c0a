//! Integer lane arithmetic: add, subtract (wrapping and saturating), multiply, min, max,
//! average, absolute value, negation, popcount, comparisons, shifts, and the reductions to a
//! scalar (`all_true`, `bitmask`); the widening products (`extmul`, `dot`, `extadd_pairwise`).
//!
//! Cranelift's vector operators have Wasm's semantics here: shifts take their count modulo the
//! lane width, comparisons give all-ones or all-zero lanes, `sqmul_round_sat` is
//! `q15mulr_sat_s`, `avg_round` rounds up.

use super::{Binary, Translator, Unary, apply_binary, apply_unary, pop_as, pop2_as, push};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, Type, Value, types};
use wasmparser::Operator as O;

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> bool {
    if let Some((ty, f)) = binary(op) {
        apply_binary(t, ty, f);
    } else if let Some((ty, f)) = unary(op) {
        apply_unary(t, ty, f);
    } else if let Some((ty, cc)) = compare(op) {
        let (x, y) = pop2_as(t, ty);
        let v = t.ins().icmp(cc, x, y);
        push(t, v);
    } else if let Some((ty, f)) = shift(op) {
        // The count is an `i32` scalar; Cranelift takes it modulo the lane width, as Wasm does.
        let count = t.pop();
        let x = pop_as(t, ty);
        let v = f(t.ins(), x, count);
        push(t, v);
    } else if let Some((ty, half)) = extmul_op(op) {
        let (x, y) = pop2_as(t, ty);
        let v = extmul(t, x, y, half);
        push(t, v);
    } else {
        match op {
            O::I8x16AllTrue => all_true(t, types::I8X16),
            O::I16x8AllTrue => all_true(t, types::I16X8),
            O::I32x4AllTrue => all_true(t, types::I32X4),
            O::I64x2AllTrue => all_true(t, types::I64X2),
            O::I8x16Bitmask => bitmask(t, types::I8X16),
            O::I16x8Bitmask => bitmask(t, types::I16X8),
            O::I32x4Bitmask => bitmask(t, types::I32X4),
            O::I64x2Bitmask => bitmask(t, types::I64X2),
            O::I16x8ExtAddPairwiseI8x16S => extadd_pairwise(t, types::I8X16, true),
            O::I16x8ExtAddPairwiseI8x16U => extadd_pairwise(t, types::I8X16, false),
            O::I32x4ExtAddPairwiseI16x8S => extadd_pairwise(t, types::I16X8, true),
            O::I32x4ExtAddPairwiseI16x8U => extadd_pairwise(t, types::I16X8, false),
            O::I32x4DotI16x8S => {
                let (x, y) = pop2_as(t, types::I16X8);
                let v = dot(t, x, y);
                push(t, v);
            }
            _ => return false,
        }
    }
    true
}

/// The signed dot product of two `i16x8`s (or `i8x16`s): adjacent products, widened, summed in
/// pairs, into lanes twice as wide.
pub(super) fn dot(t: &mut Translator<'_, '_>, x: Value, y: Value) -> Value {
    let low = extmul(t, x, y, Half::LowSigned);
    let high = extmul(t, x, y, Half::HighSigned);
    t.ins().iadd_pairwise(low, high)
}

/// The lanes of one half of `x` and `y`, extended to twice their width, multiplied.
pub(super) fn extmul(t: &mut Translator<'_, '_>, x: Value, y: Value, half: Half) -> Value {
    let b = &mut t.b;
    let (x, y) = match half {
        Half::LowSigned => (b.ins().swiden_low(x), b.ins().swiden_low(y)),
        Half::HighSigned => (b.ins().swiden_high(x), b.ins().swiden_high(y)),
        Half::LowUnsigned => (b.ins().uwiden_low(x), b.ins().uwiden_low(y)),
        Half::HighUnsigned => (b.ins().uwiden_high(x), b.ins().uwiden_high(y)),
    };
    t.ins().imul(x, y)
}

fn binary(op: &O<'_>) -> Option<(Type, Binary)> {
    use types::{I8X16, I16X8, I32X4, I64X2};
    let add: Binary = |b, x, y| b.iadd(x, y);
    let sub: Binary = |b, x, y| b.isub(x, y);
    let mul: Binary = |b, x, y| b.imul(x, y);
    let add_sat_s: Binary = |b, x, y| b.sadd_sat(x, y);
    let add_sat_u: Binary = |b, x, y| b.uadd_sat(x, y);
    let sub_sat_s: Binary = |b, x, y| b.ssub_sat(x, y);
    let sub_sat_u: Binary = |b, x, y| b.usub_sat(x, y);
    let min_s: Binary = |b, x, y| b.smin(x, y);
    let min_u: Binary = |b, x, y| b.umin(x, y);
    let max_s: Binary = |b, x, y| b.smax(x, y);
    let max_u: Binary = |b, x, y| b.umax(x, y);
    let avgr_u: Binary = |b, x, y| b.avg_round(x, y);
    Some(match op {
        O::I8x16Add => (I8X16, add),
        O::I16x8Add => (I16X8, add),
        O::I32x4Add => (I32X4, add),
        O::I64x2Add => (I64X2, add),
        O::I8x16Sub => (I8X16, sub),
        O::I16x8Sub => (I16X8, sub),
        O::I32x4Sub => (I32X4, sub),
        O::I64x2Sub => (I64X2, sub),
        O::I16x8Mul => (I16X8, mul),
        O::I32x4Mul => (I32X4, mul),
        O::I64x2Mul => (I64X2, mul),
        O::I8x16AddSatS => (I8X16, add_sat_s),
        O::I16x8AddSatS => (I16X8, add_sat_s),
        O::I8x16AddSatU => (I8X16, add_sat_u),
        O::I16x8AddSatU => (I16X8, add_sat_u),
        O::I8x16SubSatS => (I8X16, sub_sat_s),
        O::I16x8SubSatS => (I16X8, sub_sat_s),
        O::I8x16SubSatU => (I8X16, sub_sat_u),
        O::I16x8SubSatU => (I16X8, sub_sat_u),
        O::I8x16MinS => (I8X16, min_s),
        O::I16x8MinS => (I16X8, min_s),
        O::I32x4MinS => (I32X4, min_s),
        O::I8x16MinU => (I8X16, min_u),
        O::I16x8MinU => (I16X8, min_u),
        O::I32x4MinU => (I32X4, min_u),
        O::I8x16MaxS => (I8X16, max_s),
        O::I16x8MaxS => (I16X8, max_s),
        O::I32x4MaxS => (I32X4, max_s),
        O::I8x16MaxU => (I8X16, max_u),
        O::I16x8MaxU => (I16X8, max_u),
        O::I32x4MaxU => (I32X4, max_u),
        O::I8x16AvgrU => (I8X16, avgr_u),
        O::I16x8AvgrU => (I16X8, avgr_u),
        O::I16x8Q15MulrSatS => (I16X8, |b, x, y| b.sqmul_round_sat(x, y)),
        _ => return None,
    })
}

fn unary(op: &O<'_>) -> Option<(Type, Unary)> {
    use types::{I8X16, I16X8, I32X4, I64X2};
    let abs: Unary = |b, x| b.iabs(x);
    let neg: Unary = |b, x| b.ineg(x);
    Some(match op {
        O::I8x16Abs => (I8X16, abs),
        O::I16x8Abs => (I16X8, abs),
        O::I32x4Abs => (I32X4, abs),
        O::I64x2Abs => (I64X2, abs),
        O::I8x16Neg => (I8X16, neg),
        O::I16x8Neg => (I16X8, neg),
        O::I32x4Neg => (I32X4, neg),
        O::I64x2Neg => (I64X2, neg),
        O::I8x16Popcnt => (I8X16, |b, x| b.popcnt(x)),
        _ => return None,
    })
}

fn compare(op: &O<'_>) -> Option<(Type, IntCC)> {
    use IntCC::*;
    use types::{I8X16, I16X8, I32X4, I64X2};
    Some(match op {
        O::I8x16Eq => (I8X16, Equal),
        O::I8x16Ne => (I8X16, NotEqual),
        O::I8x16LtS => (I8X16, SignedLessThan),
        O::I8x16LtU => (I8X16, UnsignedLessThan),
        O::I8x16GtS => (I8X16, SignedGreaterThan),
        O::I8x16GtU => (I8X16, UnsignedGreaterThan),
        O::I8x16LeS => (I8X16, SignedLessThanOrEqual),
        O::I8x16LeU => (I8X16, UnsignedLessThanOrEqual),
        O::I8x16GeS => (I8X16, SignedGreaterThanOrEqual),
        O::I8x16GeU => (I8X16, UnsignedGreaterThanOrEqual),
        O::I16x8Eq => (I16X8, Equal),
        O::I16x8Ne => (I16X8, NotEqual),
        O::I16x8LtS => (I16X8, SignedLessThan),
        O::I16x8LtU => (I16X8, UnsignedLessThan),
        O::I16x8GtS => (I16X8, SignedGreaterThan),
        O::I16x8GtU => (I16X8, UnsignedGreaterThan),
        O::I16x8LeS => (I16X8, SignedLessThanOrEqual),
        O::I16x8LeU => (I16X8, UnsignedLessThanOrEqual),
        O::I16x8GeS => (I16X8, SignedGreaterThanOrEqual),
        O::I16x8GeU => (I16X8, UnsignedGreaterThanOrEqual),
        O::I32x4Eq => (I32X4, Equal),
        O::I32x4Ne => (I32X4, NotEqual),
        O::I32x4LtS => (I32X4, SignedLessThan),
        O::I32x4LtU => (I32X4, UnsignedLessThan),
        O::I32x4GtS => (I32X4, SignedGreaterThan),
        O::I32x4GtU => (I32X4, UnsignedGreaterThan),
        O::I32x4LeS => (I32X4, SignedLessThanOrEqual),
        O::I32x4LeU => (I32X4, UnsignedLessThanOrEqual),
        O::I32x4GeS => (I32X4, SignedGreaterThanOrEqual),
        O::I32x4GeU => (I32X4, UnsignedGreaterThanOrEqual),
        O::I64x2Eq => (I64X2, Equal),
        O::I64x2Ne => (I64X2, NotEqual),
        O::I64x2LtS => (I64X2, SignedLessThan),
        O::I64x2GtS => (I64X2, SignedGreaterThan),
        O::I64x2LeS => (I64X2, SignedLessThanOrEqual),
        O::I64x2GeS => (I64X2, SignedGreaterThanOrEqual),
        _ => return None,
    })
}

fn shift(op: &O<'_>) -> Option<(Type, Binary)> {
    use types::{I8X16, I16X8, I32X4, I64X2};
    let shl: Binary = |b, x, n| b.ishl(x, n);
    let shr_s: Binary = |b, x, n| b.sshr(x, n);
    let shr_u: Binary = |b, x, n| b.ushr(x, n);
    Some(match op {
        O::I8x16Shl => (I8X16, shl),
        O::I16x8Shl => (I16X8, shl),
        O::I32x4Shl => (I32X4, shl),
        O::I64x2Shl => (I64X2, shl),
        O::I8x16ShrS => (I8X16, shr_s),
        O::I16x8ShrS => (I16X8, shr_s),
        O::I32x4ShrS => (I32X4, shr_s),
        O::I64x2ShrS => (I64X2, shr_s),
        O::I8x16ShrU => (I8X16, shr_u),
        O::I16x8ShrU => (I16X8, shr_u),
        O::I32x4ShrU => (I32X4, shr_u),
        O::I64x2ShrU => (I64X2, shr_u),
        _ => return None,
    })
}

/// Which half of the operands' lanes a widening operation takes, and how it extends them.
#[derive(Clone, Copy)]
pub(super) enum Half {
    LowSigned,
    HighSigned,
    LowUnsigned,
    HighUnsigned,
}

/// `extmul_{low,high}_*`: the operands' type, and which half they widen before multiplying.
fn extmul_op(op: &O<'_>) -> Option<(Type, Half)> {
    use Half::*;
    use types::{I8X16, I16X8, I32X4};
    Some(match op {
        O::I16x8ExtMulLowI8x16S => (I8X16, LowSigned),
        O::I16x8ExtMulHighI8x16S => (I8X16, HighSigned),
        O::I16x8ExtMulLowI8x16U => (I8X16, LowUnsigned),
        O::I16x8ExtMulHighI8x16U => (I8X16, HighUnsigned),
        O::I32x4ExtMulLowI16x8S => (I16X8, LowSigned),
        O::I32x4ExtMulHighI16x8S => (I16X8, HighSigned),
        O::I32x4ExtMulLowI16x8U => (I16X8, LowUnsigned),
        O::I32x4ExtMulHighI16x8U => (I16X8, HighUnsigned),
        O::I64x2ExtMulLowI32x4S => (I32X4, LowSigned),
        O::I64x2ExtMulHighI32x4S => (I32X4, HighSigned),
        O::I64x2ExtMulLowI32x4U => (I32X4, LowUnsigned),
        O::I64x2ExtMulHighI32x4U => (I32X4, HighUnsigned),
        _ => return None,
    })
}

/// `T.all_true`: 1 if no lane of a `ty` is zero.
fn all_true(t: &mut Translator<'_, '_>, ty: Type) {
    let x = pop_as(t, ty);
    let all = t.ins().vall_true(x);
    let v = t.ins().uextend(types::I32, all);
    t.push(v);
}

/// `T.bitmask`: the top bit of each lane of a `ty`, lane 0 in bit 0.
fn bitmask(t: &mut Translator<'_, '_>, ty: Type) {
    let x = pop_as(t, ty);
    let v = t.ins().vhigh_bits(types::I32, x);
    t.push(v);
}

/// `extadd_pairwise`: adjacent lanes of a `ty`, extended and summed into lanes twice as wide.
fn extadd_pairwise(t: &mut Translator<'_, '_>, ty: Type, signed: bool) {
    let x = pop_as(t, ty);
    let b = &mut t.b;
    let (low, high) = if signed {
        (b.ins().swiden_low(x), b.ins().swiden_high(x))
    } else {
        (b.ins().uwiden_low(x), b.ins().uwiden_high(x))
    };
    let v = t.ins().iadd_pairwise(low, high);
    push(t, v);
}
