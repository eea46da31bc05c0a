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

use super::integer::Half;
use super::{Translator, conversions, float, integer, lanes, pop_as, pop2_as, pop3_as, push};
use cranelift_codegen::ir::{InstBuilder, Type, Value, types};
use wasmparser::Operator as O;

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> bool {
    use types::{F32X4, F64X2, I8X16, I32X4};
    let x86 = t.env.isa.triple().architecture == target_lexicon::Architecture::X86_64;
    // Where the choice is a deterministic instruction, that instruction's own translation.
    let same_as = match op {
        O::I8x16RelaxedSwizzle => Some(O::I8x16Swizzle),
        O::I32x4RelaxedTruncF32x4S => Some(O::I32x4TruncSatF32x4S),
        O::I32x4RelaxedTruncF32x4U => Some(O::I32x4TruncSatF32x4U),
        O::I32x4RelaxedTruncF64x2SZero => Some(O::I32x4TruncSatF64x2SZero),
        O::I32x4RelaxedTruncF64x2UZero => Some(O::I32x4TruncSatF64x2UZero),
        // Bitwise, whatever the lanes.
        O::I8x16RelaxedLaneselect
        | O::I16x8RelaxedLaneselect
        | O::I32x4RelaxedLaneselect
        | O::I64x2RelaxedLaneselect => Some(O::V128Bitselect),
        O::I16x8RelaxedQ15mulrS => Some(O::I16x8Q15MulrSatS),
        O::F32x4RelaxedMin => Some(if x86 { O::F32x4PMin } else { O::F32x4Min }),
        O::F64x2RelaxedMin => Some(if x86 { O::F64x2PMin } else { O::F64x2Min }),
        O::F32x4RelaxedMax => Some(if x86 { O::F32x4PMax } else { O::F32x4Max }),
        O::F64x2RelaxedMax => Some(if x86 { O::F64x2PMax } else { O::F64x2Max }),
        _ => None,
    };
    if let Some(op) = same_as {
        let handled = lanes::translate(t, &op)
            || integer::translate(t, &op)
            || float::translate(t, &op)
            || conversions::translate(t, &op);
        assert!(handled, "{op:?} has a translation");
        return true;
    }
    match op {
        O::F32x4RelaxedMadd => multiply_add(t, F32X4, false, x86),
        O::F64x2RelaxedMadd => multiply_add(t, F64X2, false, x86),
        O::F32x4RelaxedNmadd => multiply_add(t, F32X4, true, x86),
        O::F64x2RelaxedNmadd => multiply_add(t, F64X2, true, x86),
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
            let products = [Half::LowSigned, Half::HighSigned].map(|half| integer::extmul(t, x, y, half));
            let [low, high] = products.map(|p| {
                let (p_low, p_high) = (t.ins().swiden_low(p), t.ins().swiden_high(p));
                t.ins().iadd_pairwise(p_low, p_high)
            });
            let quads = t.ins().iadd_pairwise(low, high);
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
