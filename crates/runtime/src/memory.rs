//! Linear memories: a reservation of address space big enough that no 32-bit access can leave
//! it (4 GiB of index + 4 GiB of offset + a guard), of which the first `length` bytes are
//! read-write and the rest inaccessible. Growing flips more pages to read-write in place, so the
//! base never moves and generated code can keep it in a register. Under the pooling allocator a
//! memory is a slot of the engine's pool instead (`pool.rs`), and code checks bounds.

use crate::pool::{MemoryPool, Slot};
use crate::sys;
use crate::vm::VMMemoryDefinition;
use anyhow::{Context, Result};
use kite_frontend::MemoryType;
use std::sync::Arc;

pub const PAGE_SIZE: usize = 65536;
/// Index (< 4 GiB) plus static offset (< 4 GiB) plus the widest access.
const RESERVATION: usize = (8 << 30) + PAGE_SIZE;

#[derive(Debug)]
pub struct LinearMemory {
    /// Read by generated code through the pointer in each importer's `VMContext`.
    pub definition: VMMemoryDefinition,
    pub ty: MemoryType,
    /// The most pages it may grow to: the type's maximum, capped by the engine's limit.
    max_pages: u64,
    /// Read-write bytes reserved just below the base, for the owning instance's `VMContext`.
    prefix: usize,
    /// Where the bytes live: `None` for a reservation of its own, or the pool's slot.
    slot: Option<Slot>,
}

impl LinearMemory {
    pub fn new(
        ty: MemoryType,
        engine_max_pages: u64,
        pool: Option<&Arc<MemoryPool>>,
    ) -> Result<LinearMemory> {
        LinearMemory::with_prefix(ty, engine_max_pages, 0, pool)
    }

    /// A memory with `prefix` read-write bytes below its base (a multiple of the page size), in
    /// a reservation of its own or in a slot of `pool`.
    pub fn with_prefix(
        ty: MemoryType,
        engine_max_pages: u64,
        prefix: usize,
        pool: Option<&Arc<MemoryPool>>,
    ) -> Result<LinearMemory> {
        let mut max_pages = ty.limits.max.unwrap_or(65536).min(engine_max_pages).min(65536);
        // A slot refused below goes back to the pool as it is dropped.
        let slot = pool.map(|pool| pool.take()).transpose()?;
        if let Some(slot) = &slot {
            let capacity = (slot.size().saturating_sub(prefix) / PAGE_SIZE) as u64;
            if ty.limits.min > capacity {
                anyhow::bail!(
                    "memory minimum of {} pages does not fit a pooled memory of {} bytes \
                     (PoolingAllocationConfig::max_memory_size)",
                    ty.limits.min,
                    slot.size()
                );
            }
            max_pages = max_pages.min(capacity);
        }
        // Before reserving: a refusal must not leave a reservation behind.
        if ty.limits.min > max_pages {
            anyhow::bail!("memory minimum of {} pages exceeds the limit of {max_pages}", ty.limits.min);
        }
        let start = match &slot {
            Some(slot) => slot.start(),
            None => {
                let start = sys::reserve(prefix + RESERVATION).context("reserving linear memory")?;
                if prefix > 0 {
                    // SAFETY: the prefix is the start of the reservation we just made.
                    unsafe { sys::protect(start, prefix, true, true, false)? };
                }
                start
            }
        };
        // SAFETY: within the reservation or slot.
        let base = unsafe { start.add(prefix) };
        let definition = VMMemoryDefinition { base, length: 0 };
        let mut memory = LinearMemory { definition, ty, max_pages, prefix, slot };
        memory.grow(ty.limits.min).context("committing linear memory")?;
        Ok(memory)
    }

    pub fn pages(&self) -> u64 {
        (self.definition.length / PAGE_SIZE) as u64
    }

    /// Grows by `delta` pages, returning the old size in pages, or `None` if it may not.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta).filter(|n| *n <= self.max_pages)?;
        if let Some(slot) = &mut self.slot {
            // A pool is read-write throughout: the code checks bounds.
            slot.used = self.prefix + new as usize * PAGE_SIZE;
        } else if delta > 0 {
            let start = self.definition.length;
            let len = delta as usize * PAGE_SIZE;
            // SAFETY: the range lies inside our reservation, past everything accessible so far.
            unsafe { sys::protect(self.definition.base.add(start), len, true, true, false).ok()? };
        }
        self.definition.length = new as usize * PAGE_SIZE;
        self.ty.limits.min = new;
        Some(old)
    }

    /// The start of the prefix below the base.
    pub fn prefix_start(&self) -> *mut u8 {
        // SAFETY: the prefix lies within the reservation.
        unsafe { self.definition.base.sub(self.prefix) }
    }

    pub fn data(&self) -> &[u8] {
        // SAFETY: the first `length` bytes are mapped read-write and ours.
        unsafe { std::slice::from_raw_parts(self.definition.base, self.definition.length) }
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above, and we hold the only Rust reference.
        unsafe { std::slice::from_raw_parts_mut(self.definition.base, self.definition.length) }
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        // A slot goes back to its pool when dropped with the memory.
        if self.slot.is_none() {
            // SAFETY: the reservation is ours and no code can reach it once its store is gone.
            unsafe { sys::release(self.prefix_start(), self.prefix + RESERVATION) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kite_frontend::Limits;

    #[test]
    fn grows_in_place_up_to_its_maximum() {
        let ty = MemoryType::new(Limits { min: 1, max: Some(3) });
        let mut memory = LinearMemory::new(ty, 65536, None).unwrap();
        let base = memory.definition.base;
        assert_eq!(memory.grow(2), Some(1));
        assert_eq!(memory.grow(1), None);
        assert_eq!(memory.pages(), 3);
        assert_eq!(memory.definition.base, base);
        memory.data_mut()[3 * PAGE_SIZE - 1] = 7;
        assert_eq!(memory.data()[3 * PAGE_SIZE - 1], 7);
    }
}
