//! Float lane arithmetic, comparisons and rounding.
//!
//! Cranelift's vector `fmin`/`fmax` are Wasm's `min`/`max` (NaN wins, -0 below +0) and its
//! rounding operators round as Wasm's do. Results that are NaN may carry any payload the spec
//! allows (it does not require canonical NaNs from SIMD arithmetic).

use super::{Binary, Translator, Unary, apply_binary, apply_unary, pop2_as, push};
use crate::types::reinterpret;
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{InstBuilder, Type, types};
use wasmparser::Operator as O;

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> bool {
    use types::{F32X4, F64X2};
    if let Some((ty, f)) = binary(op) {
        apply_binary(t, ty, f);
    } else if let Some((ty, f)) = unary(op) {
        apply_unary(t, ty, f);
    } else if let Some((ty, cc)) = compare(op) {
        let (x, y) = pop2_as(t, ty);
        let v = t.ins().fcmp(cc, x, y);
        push(t, v);
    } else {
        match op {
            O::F32x4PMin => pseudo_min(t, F32X4),
            O::F64x2PMin => pseudo_min(t, F64X2),
            O::F32x4PMax => pseudo_max(t, F32X4),
            O::F64x2PMax => pseudo_max(t, F64X2),
            _ => return false,
        }
    }
    true
}

/// `pmin`: `y < x ? y : x`, lane by lane (C's `std::min` with its operands swapped: a NaN in
/// `x` is kept, a NaN in `y` is not). Written as a compare and a select so that the x86-64
/// backend recognises the pattern and emits `minps`/`minpd`, which compute exactly this.
fn pseudo_min(t: &mut Translator<'_, '_>, ty: Type) {
    let (x, y) = pop2_as(t, ty);
    let y_less = t.ins().fcmp(FloatCC::LessThan, y, x);
    let mask = reinterpret(&mut t.b, y_less, ty);
    let v = t.ins().bitselect(mask, y, x);
    push(t, v);
}

/// `pmax`: `x < y ? y : x`, lane by lane (`maxps`/`maxpd` on x86-64, as `pseudo_min`).
fn pseudo_max(t: &mut Translator<'_, '_>, ty: Type) {
    let (x, y) = pop2_as(t, ty);
    let x_less = t.ins().fcmp(FloatCC::LessThan, x, y);
    let mask = reinterpret(&mut t.b, x_less, ty);
    let v = t.ins().bitselect(mask, y, x);
    push(t, v);
}

fn binary(op: &O<'_>) -> Option<(Type, Binary)> {
    use types::{F32X4, F64X2};
    let add: Binary = |b, x, y| b.fadd(x, y);
    let sub: Binary = |b, x, y| b.fsub(x, y);
    let mul: Binary = |b, x, y| b.fmul(x, y);
    let div: Binary = |b, x, y| b.fdiv(x, y);
    let min: Binary = |b, x, y| b.fmin(x, y);
    let max: Binary = |b, x, y| b.fmax(x, y);
    Some(match op {
        O::F32x4Add => (F32X4, add),
        O::F64x2Add => (F64X2, add),
        O::F32x4Sub => (F32X4, sub),
        O::F64x2Sub => (F64X2, sub),
        O::F32x4Mul => (F32X4, mul),
        O::F64x2Mul => (F64X2, mul),
        O::F32x4Div => (F32X4, div),
        O::F64x2Div => (F64X2, div),
        O::F32x4Min => (F32X4, min),
        O::F64x2Min => (F64X2, min),
        O::F32x4Max => (F32X4, max),
        O::F64x2Max => (F64X2, max),
        _ => return None,
    })
}

fn unary(op: &O<'_>) -> Option<(Type, Unary)> {
    use types::{F32X4, F64X2};
    let abs: Unary = |b, x| b.fabs(x);
    let neg: Unary = |b, x| b.fneg(x);
    let sqrt: Unary = |b, x| b.sqrt(x);
    let ceil: Unary = |b, x| b.ceil(x);
    let floor: Unary = |b, x| b.floor(x);
    let trunc: Unary = |b, x| b.trunc(x);
    let nearest: Unary = |b, x| b.nearest(x);
    Some(match op {
        O::F32x4Abs => (F32X4, abs),
        O::F64x2Abs => (F64X2, abs),
        O::F32x4Neg => (F32X4, neg),
        O::F64x2Neg => (F64X2, neg),
        O::F32x4Sqrt => (F32X4, sqrt),
        O::F64x2Sqrt => (F64X2, sqrt),
        O::F32x4Ceil => (F32X4, ceil),
        O::F64x2Ceil => (F64X2, ceil),
        O::F32x4Floor => (F32X4, floor),
        O::F64x2Floor => (F64X2, floor),
        O::F32x4Trunc => (F32X4, trunc),
        O::F64x2Trunc => (F64X2, trunc),
        O::F32x4Nearest => (F32X4, nearest),
        O::F64x2Nearest => (F64X2, nearest),
        _ => return None,
    })
}

fn compare(op: &O<'_>) -> Option<(Type, FloatCC)> {
    use FloatCC::*;
    use types::{F32X4, F64X2};
    Some(match op {
        O::F32x4Eq => (F32X4, Equal),
        O::F32x4Ne => (F32X4, NotEqual),
        O::F32x4Lt => (F32X4, LessThan),
        O::F32x4Gt => (F32X4, GreaterThan),
        O::F32x4Le => (F32X4, LessThanOrEqual),
        O::F32x4Ge => (F32X4, GreaterThanOrEqual),
        O::F64x2Eq => (F64X2, Equal),
        O::F64x2Ne => (F64X2, NotEqual),
        O::F64x2Lt => (F64X2, LessThan),
        O::F64x2Gt => (F64X2, GreaterThan),
        O::F64x2Le => (F64X2, LessThanOrEqual),
        O::F64x2Ge => (F64X2, GreaterThanOrEqual),
        _ => return None,
    })
}
