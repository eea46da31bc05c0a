//! Relaxed SIMD. The proposal lets each of these instructions give one of several results;
//! kite makes one fixed choice per target, the same on every CPU of that target, so a module
//! computes the same on every x86-64 host (and a precompiled module means what it meant where it
//! was compiled). The choices, also in `docs/simd.md`:
//!
//! | instruction | x86-64 | AArch64 |
//! |---|---|---|
//! | `relaxed_swizzle` | `swizzle` | `swizzle` |
//! | `relaxed_trunc*` | `trunc_sat*` | `trunc_sat*` |
//! | `relaxed_madd`, `relaxed_nmadd` | unfused: multiply, round, add (FMA is not in the x86-64 baseline) | fused (`fmla`) |
//! | `relaxed_laneselect` | `bitselect` | `bitselect` |
//! | `relaxed_min`, `relaxed_max` | `pmin`, `pmax` (one `minps`/`maxps`) | `min`, `max` (one `fmin`/`fmax`) |
//! | `relaxed_q15mulr_s` | `q15mulr_sat_s` | `q15mulr_sat_s` |
//! | `relaxed_dot_i8x16_i7x16*` | both operands signed | both operands signed |

use super::{Translator, float, integer, pop_as, pop2_as, pop3_as, push, zeros};
use cranelift_codegen::ir::{InstBuilder, Type, Value, types};
use wasmparser::Operator as O;

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> bool {
    use types::{F32X4, F64X2, I8X16, I16X8, I32X4, I64X2};
    let x86 = t.env.isa.triple().architecture == target_lexicon::Architecture::X86_64;
    match op {
        O::I8x16RelaxedSwizzle => {
            let (x, indices) = pop2_as(t, I8X16);
            let v = t.ins().swizzle(x, indices);
            push(t, v);
        }
        O::I32x4RelaxedTruncF32x4S => {
            let x = pop_as(t, F32X4);
            let v = t.ins().fcvt_to_sint_sat(I32X4, x);
            push(t, v);
        }
        O::I32x4RelaxedTruncF32x4U => {
            let x = pop_as(t, F32X4);
            let v = t.ins().fcvt_to_uint_sat(I32X4, x);
            push(t, v);
        }
        O::I32x4RelaxedTruncF64x2SZero => {
            let x = pop_as(t, F64X2);
            let wide = t.ins().fcvt_to_sint_sat(I64X2, x);
            let zero = zeros(t, I64X2);
            let v = t.ins().snarrow(wide, zero);
            push(t, v);
        }
        O::I32x4RelaxedTruncF64x2UZero => {
            let x = pop_as(t, F64X2);
            let wide = t.ins().fcvt_to_uint_sat(I64X2, x);
            let zero = zeros(t, I64X2);
            let v = t.ins().uunarrow(wide, zero);
            push(t, v);
        }
        O::F32x4RelaxedMadd => multiply_add(t, F32X4, false, x86),
        O::F64x2RelaxedMadd => multiply_add(t, F64X2, false, x86),
        O::F32x4RelaxedNmadd => multiply_add(t, F32X4, true, x86),
        O::F64x2RelaxedNmadd => multiply_add(t, F64X2, true, x86),
        O::I8x16RelaxedLaneselect => laneselect(t, I8X16),
        O::I16x8RelaxedLaneselect => laneselect(t, I16X8),
        O::I32x4RelaxedLaneselect => laneselect(t, I32X4),
        O::I64x2RelaxedLaneselect => laneselect(t, I64X2),
        O::F32x4RelaxedMin | O::F64x2RelaxedMin | O::F32x4RelaxedMax | O::F64x2RelaxedMax => {
            let ty = if matches!(op, O::F32x4RelaxedMin | O::F32x4RelaxedMax) { F32X4 } else { F64X2 };
            let min = matches!(op, O::F32x4RelaxedMin | O::F64x2RelaxedMin);
            match (x86, min) {
                (true, true) => float::pseudo_min(t, ty),
                (true, false) => float::pseudo_max(t, ty),
                (false, _) => {
                    let (x, y) = pop2_as(t, ty);
                    let v = if min { t.ins().fmin(x, y) } else { t.ins().fmax(x, y) };
                    push(t, v);
                }
            }
        }
        O::I16x8RelaxedQ15mulrS => {
            let (x, y) = pop2_as(t, I16X8);
            let v = t.ins().sqmul_round_sat(x, y);
            push(t, v);
        }
        O::I16x8RelaxedDotI8x16I7x16S => {
            let (x, y) = pop2_as(t, I8X16);
            let v = integer::dot(t, x, y);
            push(t, v);
        }
        O::I32x4RelaxedDotI8x16I7x16AddS => {
            // Each i32 lane: the exact sum of the four i8 products over it (summed as i32, so
            // that two products of -128 * -128 do not wrap), plus the addend.
            let addend = pop_as(t, I32X4);
            let (x, y) = pop2_as(t, I8X16);
            let b = &mut t.b;
            let (x_low, y_low) = (b.ins().swiden_low(x), b.ins().swiden_low(y));
            let (x_high, y_high) = (b.ins().swiden_high(x), b.ins().swiden_high(y));
            let products = [b.ins().imul(x_low, y_low), b.ins().imul(x_high, y_high)];
            let [low, high] = products.map(|p| {
                let (p_low, p_high) = (b.ins().swiden_low(p), b.ins().swiden_high(p));
                b.ins().iadd_pairwise(p_low, p_high)
            });
            let quads = b.ins().iadd_pairwise(low, high);
            let v = t.ins().iadd(quads, addend);
            push(t, v);
        }
        _ => return false,
    }
    true
}

/// `relaxed_madd` (`x * y + z`) and `relaxed_nmadd` (`-(x * y) + z`): fused on AArch64,
/// unfused on x86-64.
fn multiply_add(t: &mut Translator<'_, '_>, ty: Type, negate: bool, x86: bool) {
    let (mut x, y, z) = pop3_as(t, ty);
    if negate {
        x = t.ins().fneg(x);
    }
    let v: Value = if x86 {
        let product = t.ins().fmul(x, y);
        t.ins().fadd(product, z)
    } else {
        t.ins().fma(x, y, z)
    };
    push(t, v);
}

/// `relaxed_laneselect`: as `v128.bitselect`, bit by bit.
fn laneselect(t: &mut Translator<'_, '_>, ty: Type) {
    let (if_set, if_clear, mask) = pop3_as(t, ty);
    let v = t.ins().bitselect(mask, if_set, if_clear);
    push(t, v);
}
