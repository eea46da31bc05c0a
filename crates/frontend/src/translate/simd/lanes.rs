//! Whole vectors and single lanes: constants, splats, lane reads and writes, shuffles and
//! swizzles, and the bitwise operators, which treat a `v128` as 128 bits.

use super::{Translator, pop_as, pop2_as, pop3_as, push, vconst};
use cranelift_codegen::ir::{ConstantData, InstBuilder, Type, Value, types};
use wasmparser::Operator as O;

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> bool {
    use types::{F32X4, F64X2, I8X16, I16X8, I32, I32X4, I64X2};
    match op {
        O::V128Const { value } => {
            let v = vconst(&mut t.b, I8X16, value.i128() as u128);
            t.push(v);
        }
        O::I8x16Splat => splat(t, I8X16),
        O::I16x8Splat => splat(t, I16X8),
        O::I32x4Splat => splat(t, I32X4),
        O::I64x2Splat => splat(t, I64X2),
        O::F32x4Splat => splat(t, F32X4),
        O::F64x2Splat => splat(t, F64X2),
        O::I8x16ExtractLaneS { lane } => extract(t, I8X16, *lane, Extend::Signed),
        O::I8x16ExtractLaneU { lane } => extract(t, I8X16, *lane, Extend::Unsigned),
        O::I16x8ExtractLaneS { lane } => extract(t, I16X8, *lane, Extend::Signed),
        O::I16x8ExtractLaneU { lane } => extract(t, I16X8, *lane, Extend::Unsigned),
        O::I32x4ExtractLane { lane } => extract(t, I32X4, *lane, Extend::None),
        O::I64x2ExtractLane { lane } => extract(t, I64X2, *lane, Extend::None),
        O::F32x4ExtractLane { lane } => extract(t, F32X4, *lane, Extend::None),
        O::F64x2ExtractLane { lane } => extract(t, F64X2, *lane, Extend::None),
        O::I8x16ReplaceLane { lane } => replace(t, I8X16, *lane),
        O::I16x8ReplaceLane { lane } => replace(t, I16X8, *lane),
        O::I32x4ReplaceLane { lane } => replace(t, I32X4, *lane),
        O::I64x2ReplaceLane { lane } => replace(t, I64X2, *lane),
        O::F32x4ReplaceLane { lane } => replace(t, F32X4, *lane),
        O::F64x2ReplaceLane { lane } => replace(t, F64X2, *lane),
        O::I8x16Shuffle { lanes } => {
            let (x, y) = pop2_as(t, I8X16);
            let mask = t.b.func.dfg.immediates.push(ConstantData::from(&lanes[..]));
            let v = t.ins().shuffle(x, y, mask);
            push(t, v);
        }
        O::I8x16Swizzle => {
            // Cranelift's `swizzle` is Wasm's: an index past 15 selects zero.
            let (x, indices) = pop2_as(t, I8X16);
            let v = t.ins().swizzle(x, indices);
            push(t, v);
        }
        O::V128Not => {
            let x = pop_as(t, I8X16);
            let v = t.ins().bnot(x);
            push(t, v);
        }
        O::V128And | O::V128AndNot | O::V128Or | O::V128Xor => {
            let (x, y) = pop2_as(t, I8X16);
            let b = t.ins();
            let v = match op {
                O::V128And => b.band(x, y),
                O::V128AndNot => b.band_not(x, y),
                O::V128Or => b.bor(x, y),
                _ => b.bxor(x, y),
            };
            push(t, v);
        }
        O::V128Bitselect => {
            // Wasm's operands are (true bits, false bits, mask); Cranelift's, (mask, true, false).
            let (if_set, if_clear, mask) = pop3_as(t, I8X16);
            let v = t.ins().bitselect(mask, if_set, if_clear);
            push(t, v);
        }
        O::V128AnyTrue => {
            let x = pop_as(t, I8X16);
            let any = t.ins().vany_true(x);
            let v = t.ins().uextend(I32, any);
            t.push(v);
        }
        _ => return false,
    }
    true
}

/// `T.splat`: the scalar on the stack in every lane of a `ty`; `i8` and `i16` lanes take the
/// low bits of an `i32`.
fn splat(t: &mut Translator<'_, '_>, ty: Type) {
    let x = pop_lane(t, ty);
    let v = t.ins().splat(ty, x);
    push(t, v);
}

/// Pops a scalar as a lane of a `ty`: `i8` and `i16` lanes take the low bits of an `i32`.
fn pop_lane(t: &mut Translator<'_, '_>, ty: Type) -> Value {
    let x = t.pop();
    if t.b.func.dfg.value_type(x) == ty.lane_type() { x } else { t.ins().ireduce(ty.lane_type(), x) }
}

#[derive(Clone, Copy)]
enum Extend {
    None,
    Signed,
    Unsigned,
}

/// `T.extract_lane`: lane `lane` of a `ty`, as a scalar; `i8` and `i16` lanes are extended to an
/// `i32`.
fn extract(t: &mut Translator<'_, '_>, ty: Type, lane: u8, extend: Extend) {
    let vector = pop_as(t, ty);
    let x = t.ins().extractlane(vector, lane);
    let v = match extend {
        Extend::None => x,
        Extend::Signed => t.ins().sextend(types::I32, x),
        Extend::Unsigned => t.ins().uextend(types::I32, x),
    };
    t.push(v);
}

/// `T.replace_lane`: the vector with lane `lane` set to the scalar on the stack.
fn replace(t: &mut Translator<'_, '_>, ty: Type, lane: u8) {
    let x = pop_lane(t, ty);
    let vector = pop_as(t, ty);
    let v = t.ins().insertlane(vector, x, lane);
    push(t, v);
}
