//! The store: owner of everything instances are made of (their contexts, memories, tables,
//! globals, host functions, externrefs) and of the embedder's data `T`. Handles such as
//! [`crate::Memory`] are indices into a store; they live exactly as long as it does.

use crate::engine::Engine;
use crate::func::{Caller, HostFn};
use crate::instance::InstanceData;
use crate::memory::LinearMemory;
use crate::table::Table;
use crate::vm::{VMHostFuncContext, VMStoreContext};
use std::any::Any;
use std::collections::HashSet;
use std::sync::Arc;

/// The untyped part of a store.
///
/// Its parts are boxed one by one because generated code and other instances hold their
/// addresses: a `Vec` may move its elements, a box's contents never move.
#[expect(clippy::vec_box, reason = "addresses must stay stable while the vector grows")]
pub struct StoreOpaque {
    pub(crate) engine: Engine,
    pub(crate) context: Box<VMStoreContext>,
    pub(crate) instances: Vec<Box<InstanceData>>,
    pub(crate) memories: Vec<Box<LinearMemory>>,
    pub(crate) tables: Vec<Box<Table>>,
    /// Globals made by the embedder (an instance's own live in its `VMContext`).
    pub(crate) globals: Vec<Box<u128>>,
    pub(crate) host_contexts: Vec<Box<VMHostFuncContext>>,
    /// Addresses of the `VMFuncRef`s inside `host_contexts`.
    pub(crate) host_funcrefs: HashSet<usize>,
    pub(crate) externrefs: Vec<Box<dyn Any + Send + Sync>>,
    /// Tags, defined by instances or the embedder: their addresses are their identities.
    pub(crate) tags: Vec<Box<crate::exceptions::VMTag>>,
    /// The exception objects made in the store and not yet found dead (see `exn_heap`).
    pub(crate) exceptions: crate::exn_heap::ExceptionHeap,
    /// The error a host function returned, on its way to the caller of the Wasm code.
    pub(crate) pending_error: Option<anyhow::Error>,
    /// Asked before any memory or table grows (`Store::limiter`).
    pub(crate) limiter: Option<Box<dyn ResourceLimiter + Send>>,
}

impl Drop for StoreOpaque {
    fn drop(&mut self) {
        if self.context.epoch_interruption {
            self.engine.unwatch_deadline(&mut *self.context);
        }
    }
}

/// Decides whether linear memories and tables may grow, in the spirit of Wasmtime's
/// `ResourceLimiter`: creating one (from 0 to its minimum) and growing one, from Wasm or through
/// the API, ask first. A refusal fails instantiation, or the growth (`memory.grow` and
/// `table.grow` return -1). The store owns it (`Store::limiter`), where Wasmtime has it
/// borrowed from the store's data.
pub trait ResourceLimiter {
    /// A memory would grow from `current` to `desired` bytes; `maximum` is its type's, if any.
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> bool;
    /// A table would grow from `current` to `desired` elements.
    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> bool;
}

impl StoreOpaque {
    /// Whether the limiter lets a memory of type `ty` be created at its minimum size.
    pub(crate) fn memory_may_start(&mut self, ty: kite_frontend::MemoryType) -> anyhow::Result<()> {
        let page = crate::WASM_PAGE_SIZE as usize;
        let desired = (ty.limits.min as usize).saturating_mul(page);
        let maximum = ty.limits.max.map(|m| (m as usize).saturating_mul(page));
        if let Some(limiter) = &mut self.limiter
            && !limiter.memory_growing(0, desired, maximum)
        {
            anyhow::bail!("the store's limiter refused a memory of {desired} bytes");
        }
        Ok(())
    }

    /// Whether the limiter lets a table of type `ty` be created at its minimum size.
    pub(crate) fn table_may_start(&mut self, ty: kite_frontend::TableType) -> anyhow::Result<()> {
        let desired = ty.limits.min as usize;
        let maximum = ty.limits.max.map(|m| m as usize);
        if let Some(limiter) = &mut self.limiter
            && !limiter.table_growing(0, desired, maximum)
        {
            anyhow::bail!("the store's limiter refused a table of {desired} elements");
        }
        Ok(())
    }

    /// Grows memory `index` by `delta` pages if its limits and the limiter allow; returns the
    /// old size in pages.
    pub(crate) fn grow_memory(&mut self, index: usize, delta: u64) -> Option<u64> {
        let memory = &self.memories[index];
        let page = crate::WASM_PAGE_SIZE as usize;
        let current = memory.data().len();
        let desired = usize::try_from(delta).ok()?.checked_mul(page)?.checked_add(current)?;
        let maximum = memory.ty.limits.max.map(|m| (m as usize).saturating_mul(page));
        if let Some(limiter) = &mut self.limiter
            && delta > 0
            && !limiter.memory_growing(current, desired, maximum)
        {
            return None;
        }
        self.memories[index].grow(delta)
    }

    /// Grows table `index` by `delta` elements set to `init` if its limits and the limiter
    /// allow; returns the old length.
    pub(crate) fn grow_table(&mut self, index: usize, delta: u64, init: u64) -> Option<u64> {
        let table = &self.tables[index];
        let current = table.len() as usize;
        let desired = current.checked_add(usize::try_from(delta).ok()?)?;
        let maximum = table.ty.limits.max.map(|m| m as usize);
        if let Some(limiter) = &mut self.limiter
            && delta > 0
            && !limiter.table_growing(current, desired, maximum)
        {
            return None;
        }
        self.tables[index].grow(delta, init)
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(crate) fn new_memory(&mut self, ty: kite_frontend::MemoryType) -> anyhow::Result<crate::Memory> {
        self.memory_may_start(ty)?;
        let memory = LinearMemory::new(ty, self.engine.config().max_memory_pages, self.engine.memory_pool())?;
        self.memories.push(Box::new(memory));
        Ok(crate::Memory(self.memories.len() - 1))
    }
}

pub struct StoreInner<T> {
    pub(crate) opaque: StoreOpaque,
    pub(crate) data: T,
    pub(crate) host_funcs: Vec<Arc<HostFn<T>>>,
}

/// A collection of instances and the host state `T` their host functions see.
pub struct Store<T> {
    // Boxed: host function contexts hold its address.
    inner: Box<StoreInner<T>>,
}

impl<T> Store<T> {
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        let mut store = Store {
            inner: Box::new(StoreInner {
                opaque: StoreOpaque {
                    engine: engine.clone(),
                    context: Box::new(VMStoreContext {
                        stack_limit: 0,
                        fuel_consumed: 0,
                        epoch_deadline: engine.current_epoch(),
                        epoch_counter: engine.epoch_counter(),
                        pending_exception: std::ptr::null_mut(),
                        wasm_stack_limit: 0,
                        epoch_interruption: engine.config().interrupts.epochs,
                    }),
                    instances: Vec::new(),
                    memories: Vec::new(),
                    tables: Vec::new(),
                    globals: Vec::new(),
                    host_contexts: Vec::new(),
                    host_funcrefs: HashSet::new(),
                    externrefs: Vec::new(),
                    tags: Vec::new(),
                    exceptions: Default::default(),
                    pending_error: None,
                    limiter: None,
                },
                data,
                host_funcs: Vec::new(),
            }),
        };
        if engine.config().interrupts.epochs {
            engine.watch_deadline(&mut *store.inner.opaque.context);
        }
        store
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.opaque.engine
    }

    pub fn data(&self) -> &T {
        &self.inner.data
    }

    pub fn data_mut(&mut self) -> &mut T {
        &mut self.inner.data
    }

    pub fn into_data(self) -> T {
        self.inner.data
    }

    /// Sets the fuel Wasm code of this store may spend (`Config::consume_fuel`).
    pub fn set_fuel(&mut self, fuel: u64) -> anyhow::Result<()> {
        self.fuel_enabled()?;
        self.inner.opaque.context.fuel_consumed = -i64::try_from(fuel).unwrap_or(i64::MAX);
        Ok(())
    }

    /// The fuel left (`Config::consume_fuel`).
    pub fn get_fuel(&self) -> anyhow::Result<u64> {
        self.fuel_enabled()?;
        Ok(self.inner.opaque.context.fuel_consumed.min(0).unsigned_abs())
    }

    fn fuel_enabled(&self) -> anyhow::Result<()> {
        if self.engine().config().interrupts.fuel {
            Ok(())
        } else {
            anyhow::bail!("fuel is not enabled: use `Config::consume_fuel`")
        }
    }

    /// Has `limiter` decide whether this store's memories and tables may be created and grow.
    pub fn limiter(&mut self, limiter: impl ResourceLimiter + Send + 'static) {
        self.inner.opaque.limiter = Some(Box::new(limiter));
    }

    /// Interrupts Wasm code of this store once the engine's epoch has advanced `ticks` beyond
    /// its current value (`Config::epoch_interruption`).
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        let now = self.engine().current_epoch();
        let context: *mut VMStoreContext = &mut *self.inner.opaque.context;
        // SAFETY: the context is this store's; the engine's thread may read it at the same time,
        // which `set_deadline` does atomically.
        unsafe { crate::traps::interrupts::set_deadline(context, now.saturating_add(ticks)) };
    }
}

/// Read access to a store, through the store itself or a [`Caller`].
pub trait AsContext {
    type Data;
    fn inner_ref(&self) -> &StoreInner<Self::Data>;
    fn opaque_ref(&self) -> &StoreOpaque {
        &self.inner_ref().opaque
    }
}

/// Write access to a store, through the store itself or a [`Caller`].
pub trait AsContextMut: AsContext {
    fn inner_mut(&mut self) -> &mut StoreInner<Self::Data>;
    fn opaque(&mut self) -> &mut StoreOpaque {
        &mut self.inner_mut().opaque
    }
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn inner_ref(&self) -> &StoreInner<T> {
        &self.inner
    }
}

impl<T> AsContextMut for Store<T> {
    fn inner_mut(&mut self) -> &mut StoreInner<T> {
        &mut self.inner
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn inner_ref(&self) -> &StoreInner<T> {
        self.store
    }
}

impl<T> AsContextMut for Caller<'_, T> {
    fn inner_mut(&mut self) -> &mut StoreInner<T> {
        self.store
    }
}

impl<T> AsContext for StoreInner<T> {
    type Data = T;
    fn inner_ref(&self) -> &StoreInner<T> {
        self
    }
}

impl<T> AsContextMut for StoreInner<T> {
    fn inner_mut(&mut self) -> &mut StoreInner<T> {
        self
    }
}

impl<S: AsContext + ?Sized> AsContext for &S {
    type Data = S::Data;
    fn inner_ref(&self) -> &StoreInner<S::Data> {
        (**self).inner_ref()
    }
}

impl<S: AsContext + ?Sized> AsContext for &mut S {
    type Data = S::Data;
    fn inner_ref(&self) -> &StoreInner<S::Data> {
        (**self).inner_ref()
    }
}

impl<S: AsContextMut + ?Sized> AsContextMut for &mut S {
    fn inner_mut(&mut self) -> &mut StoreInner<S::Data> {
        (**self).inner_mut()
    }
}
