//! The pooling allocator's linear memories, after Wasmtime's pooling allocator: one reservation
//! cut into equal slots, each holding one memory (and its instance's `VMContext` in front, when
//! the convention puts it there), handed out at instantiation and taken back, zeroed, when the
//! memory is dropped.
//!
//! Why: a memory of its own reserves 8 GiB plus a guard, so that generated code needs no bounds
//! checks (`memory.rs`), and a 47-bit address space holds 16,383 of those. Slots are as small as
//! `PoolingAllocationConfig::max_memory_size`, with no guard regions, so an engine with a pool
//! compiles every access with a bounds check (`CompileOptions::bounds_checks`). The pool is
//! mapped read-write once, as one mapping: protecting each slot's unused part would split it
//! into two mappings per slot, and Linux allows a process 65,530 (`vm.max_map_count`), which
//! would cap the pool near 32,000 memories. Pages are committed when first touched.

use crate::sys;
use anyhow::{Result, bail};
use std::sync::{Arc, Mutex};

/// How large the pool is: how many memories, and how large each may grow (its slot's size,
/// the `VMContext` in front included). Set with `Config::allocation_strategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolingAllocationConfig {
    total_memories: u32,
    max_memory_size: usize,
}

impl Default for PoolingAllocationConfig {
    /// Wasmtime's defaults: 1,000 memories of up to 4 GiB (4 TiB of address space, none of it
    /// committed until used).
    fn default() -> Self {
        PoolingAllocationConfig { total_memories: 1000, max_memory_size: 4 << 30 }
    }
}

impl PoolingAllocationConfig {
    /// The most linear memories alive at once, across every store of the engine.
    pub fn total_memories(&mut self, count: u32) -> &mut Self {
        self.total_memories = count;
        self
    }

    /// The size of each memory's slot, in bytes (rounded up to 64 KiB pages), which bounds its
    /// length and, under conventions that place it there, its instance's `VMContext` in front.
    pub fn max_memory_size(&mut self, bytes: usize) -> &mut Self {
        self.max_memory_size = bytes;
        self
    }
}

/// The most address space a pool may reserve: most of a 47-bit address space, leaving room for
/// everything else.
const MAX_POOL_BYTES: usize = 96 << 40;

/// The slots and which of them are free.
pub(crate) struct MemoryPool {
    start: *mut u8,
    slot_size: usize,
    total: u32,
    free: Mutex<Vec<u32>>,
}

// SAFETY: the pool's memory is only reached through slots, each owned by one `Slot`.
unsafe impl Send for MemoryPool {}
// SAFETY: as above; the free list is behind a mutex.
unsafe impl Sync for MemoryPool {}

impl MemoryPool {
    pub fn new(config: &PoolingAllocationConfig) -> Result<MemoryPool> {
        let slot_size =
            config.max_memory_size.next_multiple_of(crate::memory::PAGE_SIZE).max(crate::memory::PAGE_SIZE);
        let total = config.total_memories;
        let bytes = slot_size.checked_mul(total as usize).filter(|b| *b <= MAX_POOL_BYTES);
        let Some(bytes) = bytes else {
            bail!(
                "a pool of {total} memories of {slot_size} bytes needs more than the {} TiB of address space a pool may reserve",
                MAX_POOL_BYTES >> 40
            );
        };
        let start = if bytes == 0 {
            std::ptr::NonNull::dangling().as_ptr()
        } else {
            let start = sys::reserve(bytes).map_err(|e| anyhow::anyhow!("reserving the memory pool: {e}"))?;
            // SAFETY: the whole reservation we just made.
            unsafe { sys::protect(start, bytes, true, true, false)? };
            start
        };
        // Handed out lowest first, so that a few instances touch a few neighbouring slots.
        let free = (0..total).rev().collect();
        Ok(MemoryPool { start, slot_size, total, free: Mutex::new(free) })
    }

    /// A free slot, or an error once all are in use.
    pub fn take(self: &Arc<Self>) -> Result<Slot> {
        let Some(index) = self.free.lock().expect("pool").pop() else {
            bail!(
                "all {} pooled memories are in use (raise PoolingAllocationConfig::total_memories)",
                self.total
            );
        };
        Ok(Slot { pool: self.clone(), index, used: 0 })
    }
}

impl Drop for MemoryPool {
    fn drop(&mut self) {
        let bytes = self.slot_size * self.total as usize;
        if bytes > 0 {
            // SAFETY: every slot has been given back (each holds an `Arc` of the pool).
            unsafe { sys::release(self.start, bytes) };
        }
    }
}

/// One slot of the pool, given back on drop with the bytes it used zeroed, so that the next
/// memory in it starts as zeroes, as a new memory must.
pub(crate) struct Slot {
    pool: Arc<MemoryPool>,
    index: u32,
    /// How many bytes from the start may have been written (its owner says so as it grows).
    pub used: usize,
}

impl Slot {
    pub fn start(&self) -> *mut u8 {
        // SAFETY: within the pool's reservation.
        unsafe { self.pool.start.add(self.index as usize * self.pool.slot_size) }
    }

    pub fn size(&self) -> usize {
        self.pool.slot_size
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // SAFETY: the slot is ours and nothing can reach it once its memory is dropped.
        unsafe { sys::discard(self.start(), self.used.min(self.pool.slot_size)) };
        self.pool.free.lock().expect("pool").push(self.index);
    }
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot").field("index", &self.index).finish()
    }
}
