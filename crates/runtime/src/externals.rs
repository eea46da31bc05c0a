//! Handles on the things instances import and export: memories, tables, globals, and the
//! [`Extern`] that is any of them or a function.

use crate::func::Func;
use crate::module::ExternType;
use crate::store::{AsContext, AsContextMut};
use crate::table::Table as TableData;
use crate::values::Val;
use anyhow::{Result, anyhow, bail};
use kite_frontend::{GlobalType, MemoryType, TableType};
use std::ptr::NonNull;

#[derive(Clone, Copy, Debug)]
pub enum Extern {
    Func(Func),
    Memory(Memory),
    Table(Table),
    Global(Global),
    Tag(crate::Tag),
}

impl Extern {
    pub fn ty(&self, store: impl AsContext) -> ExternType {
        let store = store.opaque_ref();
        match self {
            Extern::Func(f) => ExternType::Func(store.engine.func_type(f.funcref().type_id)),
            Extern::Memory(m) => ExternType::Memory(store.memories[m.0].ty),
            Extern::Table(t) => ExternType::Table(store.tables[t.0].ty),
            Extern::Global(g) => ExternType::Global(g.ty),
            Extern::Tag(t) => ExternType::Tag(store.engine.func_type(store.tags[t.0].type_id)),
        }
    }

    pub fn into_func(self) -> Option<Func> {
        if let Extern::Func(f) = self { Some(f) } else { None }
    }

    pub fn into_memory(self) -> Option<Memory> {
        if let Extern::Memory(m) = self { Some(m) } else { None }
    }

    pub fn into_table(self) -> Option<Table> {
        if let Extern::Table(t) = self { Some(t) } else { None }
    }

    pub fn into_global(self) -> Option<Global> {
        if let Extern::Global(g) = self { Some(g) } else { None }
    }

    pub fn into_tag(self) -> Option<crate::Tag> {
        if let Extern::Tag(t) = self { Some(t) } else { None }
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}

impl From<Memory> for Extern {
    fn from(m: Memory) -> Extern {
        Extern::Memory(m)
    }
}

impl From<Table> for Extern {
    fn from(t: Table) -> Extern {
        Extern::Table(t)
    }
}

impl From<crate::Tag> for Extern {
    fn from(t: crate::Tag) -> Extern {
        Extern::Tag(t)
    }
}

impl From<Global> for Extern {
    fn from(g: Global) -> Extern {
        Extern::Global(g)
    }
}

/// A linear memory of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory(pub(crate) usize);

impl Memory {
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        store.opaque().new_memory(ty)
    }

    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        store.opaque_ref().memories[self.0].ty
    }

    /// Current size in 64 KiB pages.
    pub fn size(&self, store: impl AsContext) -> u64 {
        store.opaque_ref().memories[self.0].pages()
    }

    /// Grows by `delta` pages, returning the old size.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        store
            .opaque()
            .grow_memory(self.0, delta)
            .ok_or_else(|| anyhow!("failed to grow memory by {delta} pages"))
    }

    pub fn data<'a, S: AsContext + ?Sized>(&self, store: &'a S) -> &'a [u8] {
        store.opaque_ref().memories[self.0].data()
    }

    pub fn data_mut<'a, S: AsContextMut + ?Sized>(&self, store: &'a mut S) -> &'a mut [u8] {
        store.opaque().memories[self.0].data_mut()
    }

    /// The memory's bytes and the store's data at once, as a host function needs them to work on
    /// guest buffers with its own state (WASI reads iovecs while holding its file table).
    pub fn data_and_store_mut<'a, S: AsContextMut + ?Sized>(
        &self,
        store: &'a mut S,
    ) -> (&'a mut [u8], &'a mut S::Data) {
        let inner = store.inner_mut();
        (inner.opaque.memories[self.0].data_mut(), &mut inner.data)
    }

    pub fn read(&self, store: impl AsContext, offset: usize, buf: &mut [u8]) -> Result<()> {
        let data = store.opaque_ref().memories[self.0].data();
        let src = offset.checked_add(buf.len()).and_then(|end| data.get(offset..end));
        buf.copy_from_slice(src.ok_or_else(|| anyhow!("out of bounds memory access"))?);
        Ok(())
    }

    pub fn write(&self, mut store: impl AsContextMut, offset: usize, buf: &[u8]) -> Result<()> {
        let data = store.opaque().memories[self.0].data_mut();
        let dst = offset.checked_add(buf.len()).and_then(|end| data.get_mut(offset..end));
        dst.ok_or_else(|| anyhow!("out of bounds memory access"))?.copy_from_slice(buf);
        Ok(())
    }
}

/// A table of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table(pub(crate) usize);

impl Table {
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        let store = store.opaque();
        check_ref(store, ty.element, &init)?;
        store.table_may_start(ty)?;
        let table = TableData::new(ty, init.to_raw_ref(), store.engine.config().max_table_elements)?;
        store.tables.push(Box::new(table));
        Ok(Table(store.tables.len() - 1))
    }

    pub fn ty(&self, store: impl AsContext) -> TableType {
        store.opaque_ref().tables[self.0].ty
    }

    pub fn size(&self, store: impl AsContext) -> u64 {
        store.opaque_ref().tables[self.0].len()
    }

    pub fn get(&self, store: impl AsContext, index: u64) -> Option<Val> {
        let store = store.opaque_ref();
        let table = &store.tables[self.0];
        // SAFETY: table elements are valid references of the table's type.
        let value = table.get(index).map(|raw| unsafe { Val::from_raw(u128::from(raw), table.ty.element) });
        value.inspect(|v| store.escape(v))
    }

    pub fn set(&self, mut store: impl AsContextMut, index: u64, value: Val) -> Result<()> {
        let store = store.opaque();
        check_ref(store, store.tables[self.0].ty.element, &value)?;
        store.tables[self.0]
            .set(index, value.to_raw_ref())
            .ok_or_else(|| anyhow!("out of bounds table access"))
    }

    pub fn grow(&self, mut store: impl AsContextMut, delta: u64, init: Val) -> Result<u64> {
        let opaque = store.opaque();
        check_ref(opaque, opaque.tables[self.0].ty.element, &init)?;
        store
            .opaque()
            .grow_table(self.0, delta, init.to_raw_ref())
            .ok_or_else(|| anyhow!("failed to grow table by {delta}"))
    }
}

fn check_ref(store: &crate::store::StoreOpaque, want: kite_frontend::ValType, value: &Val) -> Result<()> {
    if !value.matches(store, want) {
        bail!("expected a {want}, got a {}", value.ty());
    }
    Ok(())
}

/// A global of a store: a typed 128-bit cell, in an instance's context or made by the embedder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Global {
    pub(crate) ptr: NonNull<u128>,
    pub(crate) ty: GlobalType,
}

impl Global {
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, value: Val) -> Result<Global> {
        let store = store.opaque();
        if !value.matches(store, ty.content) {
            bail!("global of type {} initialized with a {}", ty.content, value.ty());
        }
        let mut cell = Box::new(value.to_raw());
        let ptr = NonNull::from(&mut *cell);
        store.globals.push(cell);
        Ok(Global { ptr, ty })
    }

    pub fn ty(&self) -> GlobalType {
        self.ty
    }

    pub fn get(&self, store: impl AsContext) -> Val {
        // SAFETY: the cell lives as long as its store, which the caller holds.
        let value = unsafe { Val::from_raw(*self.ptr.as_ptr(), self.ty.content) };
        store.opaque_ref().escape(&value);
        value
    }

    pub fn set(&self, mut store: impl AsContextMut, value: Val) -> Result<()> {
        if !self.ty.mutable {
            bail!("global is immutable");
        }
        if !value.matches(store.opaque(), self.ty.content) {
            bail!("global of type {} set to a {}", self.ty.content, value.ty());
        }
        // SAFETY: as in `get`, with the store borrowed mutably.
        unsafe { *self.ptr.as_ptr() = value.to_raw() };
        Ok(())
    }
}
