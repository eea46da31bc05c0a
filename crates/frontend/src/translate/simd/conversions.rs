//! Conversions between lane types and widths: integer narrowing (saturating) and extension,
//! float to integer (saturating) and back, and `f32x4` to `f64x2` and back.
//!
//! The `*_zero` forms fill their upper lanes with zeros; `convert_low`, `promote_low` and the
//! extensions read only half of their operand's lanes.

use super::{Binary, Translator, Unary, apply_binary, apply_unary, pop_as, push, vconst};
use cranelift_codegen::ir::{InstBuilder, Type, types};
use wasmparser::Operator as O;

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> bool {
    use types::{F64X2, I32X4, I64X2};
    if let Some((ty, f)) = narrow(op) {
        apply_binary(t, ty, f);
    } else if let Some((ty, f)) = unary(op) {
        apply_unary(t, ty, f);
    } else {
        match op {
            O::F64x2ConvertLowI32x4S => {
                let x = pop_as(t, I32X4);
                let wide = t.ins().swiden_low(x);
                let v = t.ins().fcvt_from_sint(F64X2, wide);
                push(t, v);
            }
            O::F64x2ConvertLowI32x4U => {
                let x = pop_as(t, I32X4);
                let wide = t.ins().uwiden_low(x);
                let v = t.ins().fcvt_from_uint(F64X2, wide);
                push(t, v);
            }
            O::I32x4TruncSatF64x2SZero => {
                let x = pop_as(t, F64X2);
                let wide = t.ins().fcvt_to_sint_sat(I64X2, x);
                let zero = vconst(&mut t.b, I64X2, 0);
                let v = t.ins().snarrow(wide, zero);
                push(t, v);
            }
            O::I32x4TruncSatF64x2UZero => {
                let x = pop_as(t, F64X2);
                let wide = t.ins().fcvt_to_uint_sat(I64X2, x);
                let zero = vconst(&mut t.b, I64X2, 0);
                let v = t.ins().uunarrow(wide, zero);
                push(t, v);
            }
            _ => return false,
        }
    }
    true
}

/// `narrow`: two vectors of the operand type into one of lanes half as wide, saturating.
fn narrow(op: &O<'_>) -> Option<(Type, Binary)> {
    use types::{I16X8, I32X4};
    Some(match op {
        O::I8x16NarrowI16x8S => (I16X8, |b, x, y| b.snarrow(x, y)),
        O::I8x16NarrowI16x8U => (I16X8, |b, x, y| b.unarrow(x, y)),
        O::I16x8NarrowI32x4S => (I32X4, |b, x, y| b.snarrow(x, y)),
        O::I16x8NarrowI32x4U => (I32X4, |b, x, y| b.unarrow(x, y)),
        _ => return None,
    })
}

/// One operand of the given type, one result.
fn unary(op: &O<'_>) -> Option<(Type, Unary)> {
    use types::{F32X4, F64X2, I8X16, I16X8, I32X4};
    let low_s: Unary = |b, x| b.swiden_low(x);
    let high_s: Unary = |b, x| b.swiden_high(x);
    let low_u: Unary = |b, x| b.uwiden_low(x);
    let high_u: Unary = |b, x| b.uwiden_high(x);
    Some(match op {
        O::I16x8ExtendLowI8x16S => (I8X16, low_s),
        O::I16x8ExtendHighI8x16S => (I8X16, high_s),
        O::I16x8ExtendLowI8x16U => (I8X16, low_u),
        O::I16x8ExtendHighI8x16U => (I8X16, high_u),
        O::I32x4ExtendLowI16x8S => (I16X8, low_s),
        O::I32x4ExtendHighI16x8S => (I16X8, high_s),
        O::I32x4ExtendLowI16x8U => (I16X8, low_u),
        O::I32x4ExtendHighI16x8U => (I16X8, high_u),
        O::I64x2ExtendLowI32x4S => (I32X4, low_s),
        O::I64x2ExtendHighI32x4S => (I32X4, high_s),
        O::I64x2ExtendLowI32x4U => (I32X4, low_u),
        O::I64x2ExtendHighI32x4U => (I32X4, high_u),
        O::F32x4ConvertI32x4S => (I32X4, |b, x| b.fcvt_from_sint(F32X4, x)),
        O::F32x4ConvertI32x4U => (I32X4, |b, x| b.fcvt_from_uint(F32X4, x)),
        O::I32x4TruncSatF32x4S => (F32X4, |b, x| b.fcvt_to_sint_sat(I32X4, x)),
        O::I32x4TruncSatF32x4U => (F32X4, |b, x| b.fcvt_to_uint_sat(I32X4, x)),
        O::F32x4DemoteF64x2Zero => (F64X2, |b, x| b.fvdemote(x)),
        O::F64x2PromoteLowF32x4 => (F32X4, |b, x| b.fvpromote_low(x)),
        _ => return None,
    })
}
