//! The runtime functions generated code calls (see `kite_frontend::vmctx::Builtin`): everything
//! that resizes memories and tables, or copies in bulk (and, from `exceptions`, making and
//! throwing exceptions). Out-of-bounds accesses are reported by
//! status, so the generated caller traps with the right kind and no Rust frame is ever unwound.

use crate::instance::InstanceData;
use crate::memory::LinearMemory;
use crate::table::Table;

/// The table `VMCTX_BUILTINS` points to, in the order of `Builtin::ALL`.
#[repr(C)]
pub struct Builtins {
    memory_grow: unsafe extern "C" fn(*mut u8, u32, u64) -> u64,
    memory_fill: unsafe extern "C" fn(*mut u8, u32, u64, u32, u64) -> u32,
    memory_copy: unsafe extern "C" fn(*mut u8, u32, u32, u64, u64, u64) -> u32,
    memory_init: unsafe extern "C" fn(*mut u8, u32, u32, u64, u64, u64) -> u32,
    data_drop: unsafe extern "C" fn(*mut u8, u32),
    table_grow: unsafe extern "C" fn(*mut u8, u32, u64, u32) -> u32,
    table_fill: unsafe extern "C" fn(*mut u8, u32, u32, u64, u32) -> u32,
    table_copy: unsafe extern "C" fn(*mut u8, u32, u32, u32, u32, u32) -> u32,
    table_init: unsafe extern "C" fn(*mut u8, u32, u32, u32, u32, u32) -> u32,
    elem_drop: unsafe extern "C" fn(*mut u8, u32),
    tier_up: unsafe extern "C" fn(*mut u8, u32),
    is_subtype: unsafe extern "C" fn(*mut u8, u32, u32) -> u32,
    new_exception: unsafe extern "C" fn(*mut u8, u32) -> *mut u8,
    throw: unsafe extern "C" fn(*mut u8, *mut u8, usize),
}

pub static BUILTINS: Builtins = Builtins {
    memory_grow,
    memory_fill,
    memory_copy,
    memory_init,
    data_drop,
    table_grow,
    table_fill,
    table_copy,
    table_init,
    elem_drop,
    tier_up: crate::tiering::tier_up_builtin,
    is_subtype,
    new_exception: crate::exceptions::new_exception_builtin,
    throw: crate::exceptions::throw_builtin,
};

const OK: u32 = 0;
const OUT_OF_BOUNDS: u32 = 1;

/// The instance behind a `VMContext` and its memory `index`.
///
/// # Safety
/// `vmctx` must be a live instance's context, called from its code.
unsafe fn memory<'a>(vmctx: *mut u8, index: u32) -> &'a mut LinearMemory {
    // SAFETY: the caller's guarantee; Wasm code holds no Rust references into the store.
    unsafe {
        let instance = InstanceData::from_vmctx(vmctx);
        &mut instance.store().memories[instance.memories[index as usize].0]
    }
}

/// # Safety
/// As for [`memory`].
unsafe fn table<'a>(vmctx: *mut u8, index: u32) -> &'a mut Table {
    // SAFETY: as for `memory`.
    unsafe {
        let instance = InstanceData::from_vmctx(vmctx);
        &mut instance.store().tables[instance.tables[index as usize].0]
    }
}

/// `start..start + len` if it lies within `0..limit`.
fn range(start: u32, len: u32, limit: usize) -> Option<std::ops::Range<usize>> {
    memory_range(start.into(), len.into(), limit)
}

/// As `range`, for a memory's `i64` addresses (zero-extended for a 32-bit memory).
fn memory_range(start: u64, len: u64, limit: usize) -> Option<std::ops::Range<usize>> {
    let end = start.checked_add(len)?;
    (end <= limit as u64).then_some(start as usize..end as usize)
}

unsafe extern "C" fn memory_grow(vmctx: *mut u8, mem: u32, delta: u64) -> u64 {
    // SAFETY: called from the code of `vmctx`'s instance; Wasm code holds no Rust references
    // into the store.
    let (store, index) = unsafe {
        let instance = InstanceData::from_vmctx(vmctx);
        let index = instance.memories[mem as usize].0;
        (instance.store(), index)
    };
    store.grow_memory(index, delta).unwrap_or(u64::MAX)
}

unsafe extern "C" fn memory_fill(vmctx: *mut u8, mem: u32, dst: u64, value: u32, len: u64) -> u32 {
    // SAFETY: as above.
    let data = unsafe { memory(vmctx, mem) }.data_mut();
    let Some(dst) = memory_range(dst, len, data.len()) else {
        return OUT_OF_BOUNDS;
    };
    data[dst].fill(value as u8);
    OK
}

unsafe extern "C" fn memory_copy(
    vmctx: *mut u8,
    dst_mem: u32,
    src_mem: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: as above; the two memories may be the same, so only raw pointers are kept.
    let (dst_def, src_def) = unsafe {
        (&memory(vmctx, dst_mem).definition as *const _, &memory(vmctx, src_mem).definition as *const _)
    };
    // SAFETY: definitions of live memories.
    let (dst_def, src_def): (&crate::vm::VMMemoryDefinition, &crate::vm::VMMemoryDefinition) =
        unsafe { (&*dst_def, &*src_def) };
    let (Some(d), Some(s)) = (memory_range(dst, len, dst_def.length), memory_range(src, len, src_def.length))
    else {
        return OUT_OF_BOUNDS;
    };
    // SAFETY: both ranges were checked; `copy` allows overlap.
    unsafe { std::ptr::copy(src_def.base.add(s.start), dst_def.base.add(d.start), len as usize) };
    OK
}

unsafe extern "C" fn memory_init(
    vmctx: *mut u8,
    mem: u32,
    segment: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: as above.
    let (instance, memory) = unsafe { (InstanceData::from_vmctx(vmctx), memory(vmctx, mem)) };
    let bytes: &[u8] = if instance.dropped_data[segment as usize] {
        &[]
    } else {
        &instance.module.info().data[segment as usize].bytes
    };
    let data = memory.data_mut();
    let (Some(d), Some(s)) = (memory_range(dst, len, data.len()), memory_range(src, len, bytes.len())) else {
        return OUT_OF_BOUNDS;
    };
    data[d].copy_from_slice(&bytes[s]);
    OK
}

unsafe extern "C" fn data_drop(vmctx: *mut u8, segment: u32) {
    // SAFETY: as above.
    unsafe { InstanceData::from_vmctx(vmctx) }.dropped_data[segment as usize] = true;
}

unsafe extern "C" fn table_grow(vmctx: *mut u8, index: u32, init: u64, delta: u32) -> u32 {
    // SAFETY: as above.
    let (store, index) = unsafe {
        let instance = InstanceData::from_vmctx(vmctx);
        let index = instance.tables[index as usize].0;
        (instance.store(), index)
    };
    store.grow_table(index, u64::from(delta), init).map_or(u32::MAX, |old| old as u32)
}

unsafe extern "C" fn table_fill(vmctx: *mut u8, index: u32, dst: u32, value: u64, len: u32) -> u32 {
    // SAFETY: as above.
    let elements = unsafe { table(vmctx, index) }.elements_mut();
    let Some(dst) = range(dst, len, elements.len()) else {
        return OUT_OF_BOUNDS;
    };
    elements[dst].fill(value);
    OK
}

unsafe extern "C" fn table_copy(
    vmctx: *mut u8,
    dst_table: u32,
    src_table: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: as above; copy through a temporary since the tables may be one.
    let source = unsafe { table(vmctx, src_table) }.elements();
    let Some(s) = range(src, len, source.len()) else {
        return OUT_OF_BOUNDS;
    };
    let items = source[s].to_vec();
    // SAFETY: as above.
    let target = unsafe { table(vmctx, dst_table) }.elements_mut();
    let Some(d) = range(dst, len, target.len()) else {
        return OUT_OF_BOUNDS;
    };
    target[d].copy_from_slice(&items);
    OK
}

unsafe extern "C" fn table_init(
    vmctx: *mut u8,
    index: u32,
    segment: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: as above.
    let (instance, table) = unsafe { (InstanceData::from_vmctx(vmctx), table(vmctx, index)) };
    let items = &instance.elements[segment as usize];
    let elements = table.elements_mut();
    let (Some(d), Some(s)) = (range(dst, len, elements.len()), range(src, len, items.len())) else {
        return OUT_OF_BOUNDS;
    };
    elements[d].copy_from_slice(&items[s]);
    OK
}

unsafe extern "C" fn elem_drop(vmctx: *mut u8, segment: u32) {
    // SAFETY: as above.
    unsafe { InstanceData::from_vmctx(vmctx) }.elements[segment as usize] = Vec::new();
}

/// The slow path of `call_indirect`'s signature check, for expected types open to subtypes.
unsafe extern "C" fn is_subtype(vmctx: *mut u8, actual: u32, expected: u32) -> u32 {
    // SAFETY: as above.
    let store = unsafe { InstanceData::from_vmctx(vmctx).store() };
    u32::from(store.engine.is_subtype(actual, expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kite_frontend::vmctx::Builtin;
    use std::mem::offset_of;

    #[test]
    fn table_order_matches_the_frontend() {
        let offsets = [
            (Builtin::MemoryGrow, offset_of!(Builtins, memory_grow)),
            (Builtin::MemoryFill, offset_of!(Builtins, memory_fill)),
            (Builtin::MemoryCopy, offset_of!(Builtins, memory_copy)),
            (Builtin::MemoryInit, offset_of!(Builtins, memory_init)),
            (Builtin::DataDrop, offset_of!(Builtins, data_drop)),
            (Builtin::TableGrow, offset_of!(Builtins, table_grow)),
            (Builtin::TableFill, offset_of!(Builtins, table_fill)),
            (Builtin::TableCopy, offset_of!(Builtins, table_copy)),
            (Builtin::TableInit, offset_of!(Builtins, table_init)),
            (Builtin::ElemDrop, offset_of!(Builtins, elem_drop)),
            (Builtin::TierUp, offset_of!(Builtins, tier_up)),
            (Builtin::IsSubtype, offset_of!(Builtins, is_subtype)),
            (Builtin::NewException, offset_of!(Builtins, new_exception)),
            (Builtin::Throw, offset_of!(Builtins, throw)),
        ];
        assert_eq!(offsets.len(), Builtin::COUNT);
        for (builtin, offset) in offsets {
            assert_eq!(offset, builtin.index() * 8, "{builtin:?}");
        }
    }
}
