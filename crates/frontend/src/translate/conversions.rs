//! Conversions between value types: wrap and extend, sign extension in place, float/int
//! conversions (trapping and saturating), promote/demote, and reinterpretation of bits.

use super::Translator;
use crate::error::Result;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value, types};
use wasmparser::Operator as O;

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> Result<bool> {
    use types::{F32, F64, I32};
    let Some(conversion) = conversion(op) else {
        return Ok(false);
    };
    let x = t.pop();
    let b = t.ins();
    let v: Value = match conversion {
        Conv::Wrap => b.ireduce(I32, x),
        Conv::ExtendS(to) => b.sextend(to, x),
        Conv::ExtendU(to) => b.uextend(to, x),
        Conv::ExtendInPlace(ty, narrow) => {
            let narrowed = b.ireduce(narrow, x);
            t.ins().sextend(ty, narrowed)
        }
        Conv::TruncS(to) => b.fcvt_to_sint(to, x),
        Conv::TruncU(to) => b.fcvt_to_uint(to, x),
        Conv::TruncSatS(to) => b.fcvt_to_sint_sat(to, x),
        Conv::TruncSatU(to) => b.fcvt_to_uint_sat(to, x),
        Conv::ConvertS(to) => b.fcvt_from_sint(to, x),
        Conv::ConvertU(to) => b.fcvt_from_uint(to, x),
        Conv::Demote => b.fdemote(F32, x),
        Conv::Promote => b.fpromote(F64, x),
        Conv::Reinterpret(to) => b.bitcast(to, MemFlagsData::new(), x),
    };
    t.push(v);
    Ok(true)
}

enum Conv {
    Wrap,
    ExtendS(Type),
    ExtendU(Type),
    /// Sign-extend the low bits of a value of the first type, narrower type second.
    ExtendInPlace(Type, Type),
    TruncS(Type),
    TruncU(Type),
    TruncSatS(Type),
    TruncSatU(Type),
    ConvertS(Type),
    ConvertU(Type),
    Demote,
    Promote,
    Reinterpret(Type),
}

fn conversion(op: &O<'_>) -> Option<Conv> {
    use types::{F32, F64, I8, I16, I32, I64};
    Some(match op {
        O::I32WrapI64 => Conv::Wrap,
        O::I64ExtendI32S => Conv::ExtendS(I64),
        O::I64ExtendI32U => Conv::ExtendU(I64),
        O::I32Extend8S => Conv::ExtendInPlace(I32, I8),
        O::I32Extend16S => Conv::ExtendInPlace(I32, I16),
        O::I64Extend8S => Conv::ExtendInPlace(I64, I8),
        O::I64Extend16S => Conv::ExtendInPlace(I64, I16),
        O::I64Extend32S => Conv::ExtendInPlace(I64, I32),
        O::I32TruncF32S | O::I32TruncF64S => Conv::TruncS(I32),
        O::I32TruncF32U | O::I32TruncF64U => Conv::TruncU(I32),
        O::I64TruncF32S | O::I64TruncF64S => Conv::TruncS(I64),
        O::I64TruncF32U | O::I64TruncF64U => Conv::TruncU(I64),
        O::I32TruncSatF32S | O::I32TruncSatF64S => Conv::TruncSatS(I32),
        O::I32TruncSatF32U | O::I32TruncSatF64U => Conv::TruncSatU(I32),
        O::I64TruncSatF32S | O::I64TruncSatF64S => Conv::TruncSatS(I64),
        O::I64TruncSatF32U | O::I64TruncSatF64U => Conv::TruncSatU(I64),
        O::F32ConvertI32S | O::F32ConvertI64S => Conv::ConvertS(F32),
        O::F32ConvertI32U | O::F32ConvertI64U => Conv::ConvertU(F32),
        O::F64ConvertI32S | O::F64ConvertI64S => Conv::ConvertS(F64),
        O::F64ConvertI32U | O::F64ConvertI64U => Conv::ConvertU(F64),
        O::F32DemoteF64 => Conv::Demote,
        O::F64PromoteF32 => Conv::Promote,
        O::I32ReinterpretF32 => Conv::Reinterpret(I32),
        O::I64ReinterpretF64 => Conv::Reinterpret(I64),
        O::F32ReinterpretI32 => Conv::Reinterpret(F32),
        O::F64ReinterpretI64 => Conv::Reinterpret(F64),
        _ => return None,
    })
}
