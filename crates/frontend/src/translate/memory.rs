//! Linear memory: loads, stores, `memory.size`/`grow` and the bulk-memory instructions.
//!
//! By default accesses carry no bounds check: every 32-bit memory sits in a reservation of 8 GiB
//! plus a guard, so base + index + offset always lands inside it, and pages past the current
//! length fault. The fault's trap code comes from the access's memory flags. Under
//! `CompileOptions::bounds_checks` (memories from the runtime's pool, packed without guard
//! regions), and always for a memory addressed with `i64` (memory64), each access compares its
//! end with the memory's length first and traps past it. Bulk operations take `i64` addresses
//! for both kinds of memory.

use super::Translator;
use crate::error::Result;
use crate::trap::TrapKind;
use crate::vmctx::{Builtin, memory_definition};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value, types};
use wasmparser::{MemArg, Operator as O};

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> Result<bool> {
    use types::{F32, F64, I32, I64};
    match op {
        O::I32Load { memarg } => load(t, memarg, I32, Ext::None),
        O::I64Load { memarg } => load(t, memarg, I64, Ext::None),
        O::F32Load { memarg } => load(t, memarg, F32, Ext::None),
        O::F64Load { memarg } => load(t, memarg, F64, Ext::None),
        O::I32Load8S { memarg } => load(t, memarg, I32, Ext::S8),
        O::I32Load8U { memarg } => load(t, memarg, I32, Ext::U8),
        O::I32Load16S { memarg } => load(t, memarg, I32, Ext::S16),
        O::I32Load16U { memarg } => load(t, memarg, I32, Ext::U16),
        O::I64Load8S { memarg } => load(t, memarg, I64, Ext::S8),
        O::I64Load8U { memarg } => load(t, memarg, I64, Ext::U8),
        O::I64Load16S { memarg } => load(t, memarg, I64, Ext::S16),
        O::I64Load16U { memarg } => load(t, memarg, I64, Ext::U16),
        O::I64Load32S { memarg } => load(t, memarg, I64, Ext::S32),
        O::I64Load32U { memarg } => load(t, memarg, I64, Ext::U32),
        O::I32Store { memarg } | O::I64Store { memarg } | O::F32Store { memarg } | O::F64Store { memarg } => {
            store(t, memarg, None)
        }
        O::I32Store8 { memarg } | O::I64Store8 { memarg } => store(t, memarg, Some(types::I8)),
        O::I32Store16 { memarg } | O::I64Store16 { memarg } => store(t, memarg, Some(types::I16)),
        O::I64Store32 { memarg } => store(t, memarg, Some(I32)),
        O::MemorySize { mem } => {
            let def = t.memory_definition(*mem);
            let len = t.ins().load(I64, super::trusted(), def, memory_definition::LENGTH as i32);
            let pages = t.ins().ushr_imm_u(len, 16);
            let v = if is_64(t, *mem) { pages } else { t.ins().ireduce(I32, pages) };
            t.push(v);
        }
        O::MemoryGrow { mem } => {
            let delta = t.pop();
            let memory64 = is_64(t, *mem);
            let delta = to_i64(t, memory64, delta);
            let index = t.ins().iconst(I32, i64::from(*mem));
            let old = t.call_builtin(Builtin::MemoryGrow, &[index, delta]).expect("returns");
            // The old size in pages, or -1: for a 32-bit memory, as an `i32`.
            let v = if memory64 { old } else { t.ins().ireduce(I32, old) };
            t.push(v);
        }
        O::MemoryFill { mem } => {
            let (dst, value, len) = t.pop3();
            let memory64 = is_64(t, *mem);
            let (dst, len) = (to_i64(t, memory64, dst), to_i64(t, memory64, len));
            let mem = t.ins().iconst(I32, i64::from(*mem));
            checked_builtin(t, Builtin::MemoryFill, &[mem, dst, value, len]);
        }
        O::MemoryCopy { dst_mem, src_mem } => {
            let (dst, src, len) = t.pop3();
            let (dst64, src64) = (is_64(t, *dst_mem), is_64(t, *src_mem));
            // The length is an `i64` only between two 64-bit memories.
            let (dst, src, len) =
                (to_i64(t, dst64, dst), to_i64(t, src64, src), to_i64(t, dst64 && src64, len));
            let dst_mem = t.ins().iconst(I32, i64::from(*dst_mem));
            let src_mem = t.ins().iconst(I32, i64::from(*src_mem));
            checked_builtin(t, Builtin::MemoryCopy, &[dst_mem, src_mem, dst, src, len]);
        }
        O::MemoryInit { data_index, mem } => {
            let (dst, src, len) = t.pop3();
            let dst = to_i64(t, is_64(t, *mem), dst);
            let (src, len) = (to_i64(t, false, src), to_i64(t, false, len));
            let mem = t.ins().iconst(I32, i64::from(*mem));
            let segment = t.ins().iconst(I32, i64::from(*data_index));
            checked_builtin(t, Builtin::MemoryInit, &[mem, segment, dst, src, len]);
        }
        O::DataDrop { data_index } => {
            let segment = t.ins().iconst(I32, i64::from(*data_index));
            t.call_builtin(Builtin::DataDrop, &[segment]);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Whether memory `mem` is addressed with `i64` (memory64).
fn is_64(t: &Translator<'_, '_>, mem: u32) -> bool {
    t.env.info.memories[mem as usize].memory64
}

/// An address or length as the `i64` the runtime's builtins take: a 32-bit memory's `i32`
/// zero-extended.
fn to_i64(t: &mut Translator<'_, '_>, is_64: bool, value: Value) -> Value {
    if is_64 { value } else { t.ins().uextend(types::I64, value) }
}

/// Calls a bulk-memory builtin and traps if it reports an out-of-bounds access.
fn checked_builtin(t: &mut Translator<'_, '_>, builtin: Builtin, args: &[Value]) {
    let status = t.call_builtin(builtin, args).expect("returns a status");
    t.trap_if(status, TrapKind::MemoryOutOfBounds);
}

#[derive(Clone, Copy)]
enum Ext {
    None,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
}

/// Flags of an access to linear memory `memory`: it may trap (out of bounds), and it is in the
/// memory's own alias region.
pub(super) fn access_flags(t: &mut Translator<'_, '_>, memory: u32) -> MemFlagsData {
    let flags = MemFlagsData::new().with_trap_code(Some(TrapKind::MemoryOutOfBounds.code()));
    super::in_region(t.b.func, flags, super::Region::Memory(memory))
}

/// The host address and constant offset of an access of `size` bytes: base + zero-extended
/// index + offset, after the bounds check if the code checks bounds.
pub(super) fn address(t: &mut Translator<'_, '_>, memarg: &MemArg, index: Value, size: u32) -> (Value, i32) {
    let base = t.memory_base(memarg.memory);
    let memory64 = is_64(t, memarg.memory);
    let index = to_i64(t, memory64, index);
    // A 64-bit index reaches past any reservation: such memories always check.
    if t.env.bounds_checks || memory64 {
        check_bounds(t, memarg, index, size, memory64);
    }
    let addr = t.ins().iadd(base, index);
    match i32::try_from(memarg.offset) {
        Ok(offset) => (addr, offset),
        Err(_) => (t.ins().iadd_imm_u(addr, memarg.offset as i64), 0),
    }
}

/// Traps unless the `size` bytes at `index` + the access's offset lie within the memory: the
/// sum, in 64 bits, against the length (loaded once between calls: see
/// `Region::MemoryLengths`). A 32-bit index, a 32-bit offset and a size cannot overflow; a
/// 64-bit sum that does is out of bounds too.
fn check_bounds(t: &mut Translator<'_, '_>, memarg: &MemArg, index: Value, size: u32, memory64: bool) {
    let def = t.memory_definition(memarg.memory);
    let flags = t.trusted_in(super::Region::MemoryLengths);
    let len = t.ins().load(types::I64, flags, def, memory_definition::LENGTH as i32);
    let end = if memory64 {
        let code = TrapKind::MemoryOutOfBounds.code();
        let offset = t.ins().iconst(types::I64, memarg.offset as i64);
        let start = t.ins().uadd_overflow_trap(index, offset, code);
        let size = t.ins().iconst(types::I64, i64::from(size));
        t.ins().uadd_overflow_trap(start, size, code)
    } else {
        t.ins().iadd_imm_u(index, (memarg.offset + u64::from(size)) as i64)
    };
    let out_of_bounds = t.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
    t.trap_if(out_of_bounds, TrapKind::MemoryOutOfBounds);
}

fn load(t: &mut Translator<'_, '_>, memarg: &MemArg, ty: Type, ext: Ext) {
    let index = t.pop();
    let size = match ext {
        Ext::None => ty.bytes(),
        Ext::S8 | Ext::U8 => 1,
        Ext::S16 | Ext::U16 => 2,
        Ext::S32 | Ext::U32 => 4,
    };
    let (addr, offset) = address(t, memarg, index, size);
    let flags = access_flags(t, memarg.memory);
    let b = t.ins();
    let v = match ext {
        Ext::None => b.load(ty, flags, addr, offset),
        Ext::S8 => b.sload8(ty, flags, addr, offset),
        Ext::U8 => b.uload8(ty, flags, addr, offset),
        Ext::S16 => b.sload16(ty, flags, addr, offset),
        Ext::U16 => b.uload16(ty, flags, addr, offset),
        Ext::S32 => b.sload32(flags, addr, offset),
        Ext::U32 => b.uload32(flags, addr, offset),
    };
    t.push(v);
}

/// Stores the value on top of the stack, narrowed to `narrow` if given.
fn store(t: &mut Translator<'_, '_>, memarg: &MemArg, narrow: Option<Type>) {
    let (index, value) = t.pop2();
    let size = narrow.unwrap_or_else(|| t.b.func.dfg.value_type(value)).bytes();
    let (addr, offset) = address(t, memarg, index, size);
    let flags = access_flags(t, memarg.memory);
    match narrow {
        None => t.ins().store(flags, value, addr, offset),
        Some(types::I8) => t.ins().istore8(flags, value, addr, offset),
        Some(types::I16) => t.ins().istore16(flags, value, addr, offset),
        Some(_) => t.ins().istore32(flags, value, addr, offset),
    };
}
