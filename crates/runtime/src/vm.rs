//! The runtime's side of the contract in `kite_frontend::vmctx`: `#[repr(C)]` structs that
//! generated code reads and writes, checked against the frontend's offsets by the tests below.

/// Per-store state shared by all its instances.
#[repr(C)]
#[derive(Debug)]
pub struct VMStoreContext {
    pub stack_limit: usize,
    /// Minus the fuel left (generated code counts it up; out of fuel above zero).
    pub fuel_consumed: i64,
    pub epoch_deadline: u64,
    /// The engine's epoch, which outlives every store of the engine.
    pub epoch_counter: *const std::sync::atomic::AtomicU64,
    /// The exception a handler is resumed with (`exceptions::throw`).
    pub pending_exception: *mut u8,
    // The runtime's own fields; generated code reads none of them.
    /// The limit `stack_limit` holds while Wasm runs and no interrupt is due (it holds
    /// `usize::MAX` when one is: see `traps::interrupts`).
    pub wasm_stack_limit: usize,
    /// Whether the engine interrupts this store at its epoch deadline.
    pub epoch_interruption: bool,
}

/// A callable function: what a `funcref` points to.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VMFuncRef {
    pub code: *const u8,
    pub vmctx: *mut u8,
    pub type_id: u32,
}

#[repr(C)]
#[derive(Debug)]
pub struct VMMemoryDefinition {
    pub base: *mut u8,
    pub length: usize,
}

#[repr(C)]
#[derive(Debug)]
pub struct VMTableDefinition {
    pub base: *mut u64,
    pub length: u64,
}

/// The context a host function's trampoline receives: the dispatcher first, then what the
/// dispatcher needs to find the closure and the caller.
#[repr(C)]
#[derive(Debug)]
pub struct VMHostFuncContext {
    /// Takes the context, the values and the trampoline's frame pointer (from which a host
    /// function's exception is thrown on).
    pub dispatch: unsafe extern "C" fn(*mut VMHostFuncContext, *mut u128, usize) -> u32,
    /// The `StoreInner<T>` the function belongs to.
    pub store: *mut u8,
    /// Index of the closure in the store's host functions.
    pub func: usize,
    /// The instance that imported the function, if any.
    pub caller: Option<usize>,
    pub funcref: VMFuncRef,
}

#[cfg(test)]
mod tests {
    use super::*;
    use kite_frontend::vmctx;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_the_frontend_contract() {
        assert_eq!(offset_of!(VMStoreContext, stack_limit) as u32, vmctx::store_context::STACK_LIMIT);
        assert_eq!(offset_of!(VMStoreContext, fuel_consumed) as u32, vmctx::store_context::FUEL_CONSUMED);
        assert_eq!(offset_of!(VMStoreContext, epoch_deadline) as u32, vmctx::store_context::EPOCH_DEADLINE);
        assert_eq!(offset_of!(VMStoreContext, epoch_counter) as u32, vmctx::store_context::EPOCH_COUNTER);
        assert_eq!(
            offset_of!(VMStoreContext, pending_exception) as u32,
            vmctx::store_context::PENDING_EXCEPTION
        );
        assert_eq!(offset_of!(VMStoreContext, wasm_stack_limit) as u32, vmctx::store_context::SIZE);
        assert_eq!(offset_of!(VMFuncRef, code) as u32, vmctx::funcref::CODE);
        assert_eq!(offset_of!(VMFuncRef, vmctx) as u32, vmctx::funcref::VMCTX);
        assert_eq!(offset_of!(VMFuncRef, type_id) as u32, vmctx::funcref::TYPE_ID);
        assert_eq!(size_of::<VMFuncRef>() as u32, vmctx::funcref::SIZE);
        assert_eq!(offset_of!(VMMemoryDefinition, base) as u32, vmctx::memory_definition::BASE);
        assert_eq!(offset_of!(VMMemoryDefinition, length) as u32, vmctx::memory_definition::LENGTH);
        assert_eq!(size_of::<VMMemoryDefinition>() as u32, vmctx::memory_definition::SIZE);
        assert_eq!(offset_of!(VMTableDefinition, base) as u32, vmctx::table_definition::BASE);
        assert_eq!(offset_of!(VMTableDefinition, length) as u32, vmctx::table_definition::LENGTH);
        assert_eq!(size_of::<VMTableDefinition>() as u32, vmctx::table_definition::SIZE);
        // The host trampoline calls the function pointer at offset 0 of its context.
        assert_eq!(offset_of!(VMHostFuncContext, dispatch), 0);
    }
}
