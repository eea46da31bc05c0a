//! Integer and floating-point arithmetic, comparisons and constants.
//!
//! CLIF's operators already have Wasm's semantics where it matters: `sdiv`/`udiv`/`srem`/`urem`
//! trap on a zero divisor and `sdiv` on overflow, shifts and rotates take their count modulo the
//! width, `fmin`/`fmax` propagate NaN and order -0 below +0, `nearest` rounds to even.

use super::Translator;
use crate::error::Result;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{InstBuilder, Value, types};
use cranelift_frontend::FuncInstBuilder;
use wasmparser::Operator as O;

type Unary = for<'a, 'f> fn(FuncInstBuilder<'a, 'f>, Value) -> Value;
type Binary = for<'a, 'f> fn(FuncInstBuilder<'a, 'f>, Value, Value) -> Value;

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> Result<bool> {
    if let Some(f) = unary(op) {
        let x = t.pop();
        let v = f(t.ins(), x);
        t.push(v);
    } else if let Some(f) = binary(op) {
        let (x, y) = t.pop2();
        let v = f(t.ins(), x, y);
        t.push(v);
    } else if let Some(cc) = int_compare(op) {
        let (x, y) = t.pop2();
        let c = t.ins().icmp(cc, x, y);
        let v = t.ins().uextend(types::I32, c);
        t.push(v);
    } else if let Some(cc) = float_compare(op) {
        let (x, y) = t.pop2();
        let c = t.ins().fcmp(cc, x, y);
        let v = t.ins().uextend(types::I32, c);
        t.push(v);
    } else {
        let v = match op {
            O::I32Const { value } => t.ins().iconst(types::I32, i64::from(*value as u32)),
            O::I64Const { value } => t.ins().iconst(types::I64, *value),
            O::F32Const { value } => t.ins().f32const(f32::from_bits(value.bits())),
            O::F64Const { value } => t.ins().f64const(f64::from_bits(value.bits())),
            O::I32Eqz | O::I64Eqz => {
                let x = t.pop();
                let c = t.ins().icmp_imm_u(IntCC::Equal, x, 0);
                t.ins().uextend(types::I32, c)
            }
            _ => return Ok(false),
        };
        t.push(v);
    }
    Ok(true)
}

fn unary(op: &O<'_>) -> Option<Unary> {
    Some(match op {
        O::I32Clz | O::I64Clz => |b, x| b.clz(x),
        O::I32Ctz | O::I64Ctz => |b, x| b.ctz(x),
        O::I32Popcnt | O::I64Popcnt => |b, x| b.popcnt(x),
        O::F32Abs | O::F64Abs => |b, x| b.fabs(x),
        O::F32Neg | O::F64Neg => |b, x| b.fneg(x),
        O::F32Ceil | O::F64Ceil => |b, x| b.ceil(x),
        O::F32Floor | O::F64Floor => |b, x| b.floor(x),
        O::F32Trunc | O::F64Trunc => |b, x| b.trunc(x),
        O::F32Nearest | O::F64Nearest => |b, x| b.nearest(x),
        O::F32Sqrt | O::F64Sqrt => |b, x| b.sqrt(x),
        _ => return None,
    })
}

fn binary(op: &O<'_>) -> Option<Binary> {
    Some(match op {
        O::I32Add | O::I64Add => |b, x, y| b.iadd(x, y),
        O::I32Sub | O::I64Sub => |b, x, y| b.isub(x, y),
        O::I32Mul | O::I64Mul => |b, x, y| b.imul(x, y),
        O::I32DivS | O::I64DivS => |b, x, y| b.sdiv(x, y),
        O::I32DivU | O::I64DivU => |b, x, y| b.udiv(x, y),
        O::I32RemS | O::I64RemS => |b, x, y| b.srem(x, y),
        O::I32RemU | O::I64RemU => |b, x, y| b.urem(x, y),
        O::I32And | O::I64And => |b, x, y| b.band(x, y),
        O::I32Or | O::I64Or => |b, x, y| b.bor(x, y),
        O::I32Xor | O::I64Xor => |b, x, y| b.bxor(x, y),
        O::I32Shl | O::I64Shl => |b, x, y| b.ishl(x, y),
        O::I32ShrS | O::I64ShrS => |b, x, y| b.sshr(x, y),
        O::I32ShrU | O::I64ShrU => |b, x, y| b.ushr(x, y),
        O::I32Rotl | O::I64Rotl => |b, x, y| b.rotl(x, y),
        O::I32Rotr | O::I64Rotr => |b, x, y| b.rotr(x, y),
        O::F32Add | O::F64Add => |b, x, y| b.fadd(x, y),
        O::F32Sub | O::F64Sub => |b, x, y| b.fsub(x, y),
        O::F32Mul | O::F64Mul => |b, x, y| b.fmul(x, y),
        O::F32Div | O::F64Div => |b, x, y| b.fdiv(x, y),
        O::F32Min | O::F64Min => |b, x, y| b.fmin(x, y),
        O::F32Max | O::F64Max => |b, x, y| b.fmax(x, y),
        O::F32Copysign | O::F64Copysign => |b, x, y| b.fcopysign(x, y),
        _ => return None,
    })
}

fn int_compare(op: &O<'_>) -> Option<IntCC> {
    Some(match op {
        O::I32Eq | O::I64Eq => IntCC::Equal,
        O::I32Ne | O::I64Ne => IntCC::NotEqual,
        O::I32LtS | O::I64LtS => IntCC::SignedLessThan,
        O::I32LtU | O::I64LtU => IntCC::UnsignedLessThan,
        O::I32GtS | O::I64GtS => IntCC::SignedGreaterThan,
        O::I32GtU | O::I64GtU => IntCC::UnsignedGreaterThan,
        O::I32LeS | O::I64LeS => IntCC::SignedLessThanOrEqual,
        O::I32LeU | O::I64LeU => IntCC::UnsignedLessThanOrEqual,
        O::I32GeS | O::I64GeS => IntCC::SignedGreaterThanOrEqual,
        O::I32GeU | O::I64GeU => IntCC::UnsignedGreaterThanOrEqual,
        _ => return None,
    })
}

fn float_compare(op: &O<'_>) -> Option<FloatCC> {
    Some(match op {
        O::F32Eq | O::F64Eq => FloatCC::Equal,
        O::F32Ne | O::F64Ne => FloatCC::NotEqual,
        O::F32Lt | O::F64Lt => FloatCC::LessThan,
        O::F32Gt | O::F64Gt => FloatCC::GreaterThan,
        O::F32Le | O::F64Le => FloatCC::LessThanOrEqual,
        O::F32Ge | O::F64Ge => FloatCC::GreaterThanOrEqual,
        _ => return None,
    })
}
