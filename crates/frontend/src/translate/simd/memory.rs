//! `v128` loads and stores: whole vectors, 64 bits extended to 128, one element splatted or
//! zero-extended, and single lanes. The addressing and the trapping are linear memory's own
//! (`translate::memory`): no bounds check, the guard pages catch what is out of bounds, and
//! Wasm's alignment hints never trap.

use super::{Translator, pop_as, push};
use crate::translate::memory::{access_flags, address};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value, types};
use wasmparser::{MemArg, Operator as O};

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> bool {
    use types::{I8X16, I16X8, I32, I32X4, I64, I64X2};
    match op {
        O::V128Load { memarg } => {
            let (addr, offset, flags) = pop_address(t, memarg, 16);
            let v = t.ins().load(I8X16, flags, addr, offset);
            push(t, v);
        }
        O::V128Store { memarg } => {
            let value = t.pop();
            let (addr, offset, flags) = pop_address(t, memarg, 16);
            t.ins().store(flags, value, addr, offset);
        }
        O::V128Load8x8S { memarg } => extend(t, memarg, |b, f, a, o| b.sload8x8(f, a, o)),
        O::V128Load8x8U { memarg } => extend(t, memarg, |b, f, a, o| b.uload8x8(f, a, o)),
        O::V128Load16x4S { memarg } => extend(t, memarg, |b, f, a, o| b.sload16x4(f, a, o)),
        O::V128Load16x4U { memarg } => extend(t, memarg, |b, f, a, o| b.uload16x4(f, a, o)),
        O::V128Load32x2S { memarg } => extend(t, memarg, |b, f, a, o| b.sload32x2(f, a, o)),
        O::V128Load32x2U { memarg } => extend(t, memarg, |b, f, a, o| b.uload32x2(f, a, o)),
        O::V128Load8Splat { memarg } => splat(t, memarg, I8X16),
        O::V128Load16Splat { memarg } => splat(t, memarg, I16X8),
        O::V128Load32Splat { memarg } => splat(t, memarg, I32X4),
        O::V128Load64Splat { memarg } => splat(t, memarg, I64X2),
        O::V128Load32Zero { memarg } => load_zero(t, memarg, I32, I32X4),
        O::V128Load64Zero { memarg } => load_zero(t, memarg, I64, I64X2),
        O::V128Load8Lane { memarg, lane } => load_lane(t, memarg, I8X16, *lane),
        O::V128Load16Lane { memarg, lane } => load_lane(t, memarg, I16X8, *lane),
        O::V128Load32Lane { memarg, lane } => load_lane(t, memarg, I32X4, *lane),
        O::V128Load64Lane { memarg, lane } => load_lane(t, memarg, I64X2, *lane),
        O::V128Store8Lane { memarg, lane } => store_lane(t, memarg, I8X16, *lane),
        O::V128Store16Lane { memarg, lane } => store_lane(t, memarg, I16X8, *lane),
        O::V128Store32Lane { memarg, lane } => store_lane(t, memarg, I32X4, *lane),
        O::V128Store64Lane { memarg, lane } => store_lane(t, memarg, I64X2, *lane),
        _ => return false,
    }
    true
}

/// Pops the address operand of an access of `size` bytes: its base, constant offset and flags.
fn pop_address(t: &mut Translator<'_, '_>, memarg: &MemArg, size: u32) -> (Value, i32, MemFlagsData) {
    let index = t.pop();
    let (addr, offset) = address(t, memarg, index, size);
    (addr, offset, access_flags(t, memarg.memory))
}

type ExtendingLoad =
    for<'a, 'f> fn(cranelift_frontend::FuncInstBuilder<'a, 'f>, MemFlagsData, Value, i32) -> Value;

/// `v128.loadNxM_{s,u}`: eight bytes, each element widened to twice its width.
fn extend(t: &mut Translator<'_, '_>, memarg: &MemArg, load: ExtendingLoad) {
    let (addr, offset, flags) = pop_address(t, memarg, 8);
    let v = load(t.ins(), flags, addr, offset);
    push(t, v);
}

/// `v128.loadN_splat`: one element, copied to every lane of a `ty`.
fn splat(t: &mut Translator<'_, '_>, memarg: &MemArg, ty: Type) {
    let (addr, offset, flags) = pop_address(t, memarg, ty.lane_type().bytes());
    let x = t.ins().load(ty.lane_type(), flags, addr, offset);
    let v = t.ins().splat(ty, x);
    push(t, v);
}

/// `v128.loadN_zero`: one `scalar` into lane 0 of a `ty`, the other lanes zero.
fn load_zero(t: &mut Translator<'_, '_>, memarg: &MemArg, scalar: Type, ty: Type) {
    let (addr, offset, flags) = pop_address(t, memarg, scalar.bytes());
    let x = t.ins().load(scalar, flags, addr, offset);
    let v = t.ins().scalar_to_vector(ty, x);
    push(t, v);
}

/// `v128.loadN_lane`: one element into `lane` of the vector on the stack.
fn load_lane(t: &mut Translator<'_, '_>, memarg: &MemArg, ty: Type, lane: u8) {
    let vector = pop_as(t, ty);
    let (addr, offset, flags) = pop_address(t, memarg, ty.lane_type().bytes());
    let x = t.ins().load(ty.lane_type(), flags, addr, offset);
    let v = t.ins().insertlane(vector, x, lane);
    push(t, v);
}

/// `v128.storeN_lane`: `lane` of the vector on the stack to memory.
fn store_lane(t: &mut Translator<'_, '_>, memarg: &MemArg, ty: Type, lane: u8) {
    let vector = pop_as(t, ty);
    let (addr, offset, flags) = pop_address(t, memarg, ty.lane_type().bytes());
    let x = t.ins().extractlane(vector, lane);
    t.ins().store(flags, x, addr, offset);
}
