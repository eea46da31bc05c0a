//! Tables: growable vectors of raw references (a `VMFuncRef` pointer, an externref handle, or 0
//! for null). Generated code reads `definition`, which is updated whenever the vector moves.

use crate::vm::VMTableDefinition;
use anyhow::{Result, bail};
use kite_frontend::TableType;

#[derive(Debug)]
pub struct Table {
    pub definition: VMTableDefinition,
    pub ty: TableType,
    elements: Vec<u64>,
    max: u64,
}

impl Table {
    pub fn new(ty: TableType, init: u64, engine_max: u64) -> Result<Table> {
        let max = ty.limits.max.unwrap_or(u64::from(u32::MAX)).min(engine_max);
        if ty.limits.min > max {
            bail!("table minimum of {} elements exceeds the limit of {max}", ty.limits.min);
        }
        let elements = vec![init; ty.limits.min as usize];
        let mut table = Table {
            definition: VMTableDefinition { base: std::ptr::null_mut(), length: 0 },
            ty,
            elements,
            max,
        };
        table.sync();
        Ok(table)
    }

    fn sync(&mut self) {
        self.definition.base = self.elements.as_mut_ptr();
        self.definition.length = self.elements.len() as u64;
        self.ty.limits.min = self.elements.len() as u64;
    }

    pub fn len(&self) -> u64 {
        self.elements.len() as u64
    }

    /// Grows by `delta` elements set to `init`, returning the old length, or `None`.
    pub fn grow(&mut self, delta: u64, init: u64) -> Option<u64> {
        let old = self.len();
        let new = old.checked_add(delta).filter(|n| *n <= self.max)?;
        self.elements.try_reserve(delta as usize).ok()?;
        self.elements.resize(new as usize, init);
        self.sync();
        Some(old)
    }

    pub fn get(&self, index: u64) -> Option<u64> {
        self.elements.get(index as usize).copied()
    }

    pub fn set(&mut self, index: u64, value: u64) -> Option<()> {
        *self.elements.get_mut(index as usize)? = value;
        Some(())
    }

    pub fn elements(&self) -> &[u64] {
        &self.elements
    }

    pub fn elements_mut(&mut self) -> &mut [u64] {
        &mut self.elements
    }
}
