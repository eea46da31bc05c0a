//! Instantiation: resolving imports, laying out the `VMContext`, creating memories, tables and
//! globals, applying segments and running the start function, in the order the spec gives.

use crate::externals::{Extern, Global, Memory, Table};
use crate::func::Func;
use crate::memory::LinearMemory;
use crate::module::{ExternType, Module};
use crate::store::{AsContext, AsContextMut, StoreOpaque};
use crate::table::Table as TableData;
use crate::traps::Trap;
use crate::vm::VMFuncRef;
use anyhow::{Result, bail};
use kite_frontend::vmctx::{VMCTX_BUILTINS, VMCTX_INSTANCE, VMCTX_STORE_CONTEXT};
use kite_frontend::{ConstExpr, ConstOp, EntityIndex, SegmentMode, TrapKind};
use std::alloc::Layout;
use std::ptr::NonNull;

/// Why imports did not fit a module.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("unknown import: `{0}::{1}` has not been defined")]
    Unknown(String, String),
    #[error("incompatible import type for `{0}::{1}`: expected {2:?}, found {3:?}")]
    Incompatible(String, String, ExternType, ExternType),
    /// A function whose type has the declared shape but is another type: of another recursion
    /// group, or not declared a subtype of it.
    #[error(
        "incompatible import type for `{0}::{1}`: the function's type {2:?} has the expected shape but is \
         neither the declared type nor a declared subtype of it"
    )]
    NotSubtype(String, String, ExternType),
    #[error("expected {0} imports, found {1}")]
    Count(usize, usize),
}

/// An instance of a module in a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance(pub(crate) usize);

pub(crate) struct InstanceData {
    pub module: Module,
    pub vmctx: *mut u8,
    /// How the context was allocated: `None` when it lives in its memory's prefix.
    layout: Option<Layout>,
    pub memories: Vec<Memory>,
    pub tables: Vec<Table>,
    pub globals: Vec<Global>,
    pub funcs: Vec<Func>,
    pub tags: Vec<crate::Tag>,
    /// Evaluated passive element segments; emptied by `elem.drop`.
    pub elements: Vec<Vec<u64>>,
    pub dropped_data: Vec<bool>,
    /// Per fused group, its profile (empty unless profiling).
    pub group_counters: Vec<crate::tiering::Counters>,
    pub store: *mut StoreOpaque,
}

impl Drop for InstanceData {
    fn drop(&mut self) {
        if let Some(layout) = self.layout {
            // SAFETY: allocated in `Instance::new` with this layout.
            unsafe { std::alloc::dealloc(self.vmctx, layout) };
        }
    }
}

impl InstanceData {
    /// # Safety
    /// `vmctx` must be the context of a live instance.
    pub unsafe fn from_vmctx<'a>(vmctx: *mut u8) -> &'a mut InstanceData {
        // SAFETY: the instance slot was written at instantiation and the instance outlives its code.
        unsafe { &mut *vmctx.add(VMCTX_INSTANCE as usize).cast::<*mut InstanceData>().read() }
    }

    /// # Safety
    /// The instance's store must be live and not otherwise borrowed.
    pub unsafe fn store<'a>(&self) -> &'a mut StoreOpaque {
        // SAFETY: the caller's guarantee.
        unsafe { &mut *self.store }
    }

    pub(crate) fn write<T>(&mut self, offset: u32, value: T) {
        // SAFETY: offsets come from the module's VMOffsets, within the allocation.
        unsafe { self.vmctx.add(offset as usize).cast::<T>().write(value) }
    }

    /// Evaluates a constant expression to its raw value (see `Val::to_raw`).
    fn eval(&self, expr: &ConstExpr) -> u128 {
        let offsets = &self.module.compiled().offsets;
        let mut stack: Vec<u128> = Vec::new();
        for op in &expr.0 {
            let v = match *op {
                ConstOp::I32(x) => u128::from(x as u32),
                ConstOp::I64(x) => u128::from(x as u64),
                ConstOp::F32(x) => u128::from(x),
                ConstOp::F64(x) => u128::from(x),
                ConstOp::V128(x) => x,
                ConstOp::RefNull => 0,
                ConstOp::RefFunc(f) => u128::from(self.vmctx as u64 + u64::from(offsets.funcref(f))),
                // SAFETY: global cells live as long as the store.
                ConstOp::GlobalGet(g) => unsafe { *self.globals[g as usize].ptr.as_ptr() },
                ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => {
                    let (b, a) = (stack.pop().unwrap_or(0) as u32, stack.pop().unwrap_or(0) as u32);
                    u128::from(match op {
                        ConstOp::I32Add => a.wrapping_add(b),
                        ConstOp::I32Sub => a.wrapping_sub(b),
                        _ => a.wrapping_mul(b),
                    })
                }
                ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => {
                    let (b, a) = (stack.pop().unwrap_or(0) as u64, stack.pop().unwrap_or(0) as u64);
                    u128::from(match op {
                        ConstOp::I64Add => a.wrapping_add(b),
                        ConstOp::I64Sub => a.wrapping_sub(b),
                        _ => a.wrapping_mul(b),
                    })
                }
            };
            stack.push(v);
        }
        stack.pop().unwrap_or(0)
    }
}

impl Instance {
    /// Instantiates `module` with `imports` given in the module's import order.
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        let info = module.info();
        if imports.len() != info.imports.len() {
            bail!(LinkError::Count(info.imports.len(), imports.len()));
        }
        for (import, value) in info.imports.iter().zip(imports) {
            let want = module.entity_type(import.index);
            let have = value.ty(&store);
            let accepted = import_accepts(store.opaque_ref(), module, import.index, value, &want, &have);
            if !accepted && want == have {
                bail!(LinkError::NotSubtype(import.module.clone(), import.name.clone(), have));
            }
            if !accepted {
                bail!(LinkError::Incompatible(import.module.clone(), import.name.clone(), want, have));
            }
        }
        let inner = store.inner_mut();
        let offsets = &module.compiled().offsets;
        // The context lives in the prefix of memory 0 when the convention passes that memory's
        // base as the context; otherwise on the heap.
        let (vmctx, layout, own_memory) = match module.compiled().context_prefix {
            Some(prefix) => {
                inner.opaque.memory_may_start(info.memories[0])?;
                let engine = &inner.opaque.engine;
                let max = engine.config().max_memory_pages;
                let pool = engine.memory_pool();
                let memory = LinearMemory::with_prefix(info.memories[0], max, prefix as usize, pool)?;
                let vmctx = memory.prefix_start();
                inner.opaque.memories.push(Box::new(memory));
                (vmctx, None, Some(Memory(inner.opaque.memories.len() - 1)))
            }
            None => {
                let layout = Layout::from_size_align(offsets.size() as usize, 16)?;
                // SAFETY: nonzero size (the header alone is 24 bytes).
                let vmctx = unsafe { std::alloc::alloc_zeroed(layout) };
                if vmctx.is_null() {
                    std::alloc::handle_alloc_error(layout);
                }
                (vmctx, Some(layout), None)
            }
        };
        // What functions of this instance expect as their context value.
        let context = match own_memory {
            Some(memory) => inner.opaque.memories[memory.0].definition.base,
            None => vmctx,
        };
        let index = inner.opaque.instances.len();
        let mut data = Box::new(InstanceData {
            module: module.clone(),
            vmctx,
            layout,
            memories: vec![],
            tables: vec![],
            globals: vec![],
            funcs: vec![],
            tags: vec![],
            elements: vec![],
            dropped_data: vec![true; info.data.len()],
            group_counters: vec![],
            store: &mut inner.opaque,
        });
        let data_ptr: *mut InstanceData = &mut *data;
        data.write(VMCTX_STORE_CONTEXT, &mut *inner.opaque.context as *mut _);
        data.write(VMCTX_BUILTINS, &crate::builtins::BUILTINS as *const _);
        data.write(VMCTX_INSTANCE, data_ptr);
        for (i, id) in module.type_ids().iter().enumerate() {
            data.write(offsets.type_id(i as u32), *id);
        }
        let budget = inner.opaque.engine.config().tier_up_after;
        data.group_counters = crate::tiering::init_groups(&mut data, budget);
        inner.opaque.instances.push(data);

        // Imports come in module order, kinds interleaved; sort them into their index spaces.
        let mut funcs: Vec<Option<Func>> = vec![None; info.funcs.len()];
        let mut tables: Vec<Option<Table>> = vec![None; info.tables.len()];
        let mut memories: Vec<Option<Memory>> = vec![None; info.memories.len()];
        let mut globals: Vec<Option<Global>> = vec![None; info.globals.len()];
        let mut tags: Vec<Option<crate::Tag>> = vec![None; info.tags.len()];
        for (import, value) in info.imports.iter().zip(imports) {
            match (import.index, *value) {
                (EntityIndex::Func(i), Extern::Func(f)) => funcs[i as usize] = Some(f),
                (EntityIndex::Table(i), Extern::Table(t)) => tables[i as usize] = Some(t),
                (EntityIndex::Memory(i), Extern::Memory(m)) => memories[i as usize] = Some(m),
                (EntityIndex::Global(i), Extern::Global(g)) => globals[i as usize] = Some(g),
                (EntityIndex::Tag(i), Extern::Tag(t)) => tags[i as usize] = Some(t),
                _ => unreachable!("import types were checked"),
            }
        }

        // Functions.
        for (f, import) in funcs.iter().enumerate() {
            let f = f as u32;
            let funcref = match import {
                Some(func) => match func.rebind_host(inner, index) {
                    Some(rebound) => rebound?.funcref(),
                    None => func.funcref(),
                },
                None => VMFuncRef {
                    code: module.func_code(f),
                    vmctx: context,
                    type_id: module.type_ids()[info.funcs[f as usize] as usize],
                },
            };
            let data = &mut inner.opaque.instances[index];
            data.write(offsets.funcref(f), funcref);
            // SAFETY: within the context allocation.
            let ptr = unsafe { vmctx.add(offsets.funcref(f) as usize).cast::<VMFuncRef>() };
            data.funcs.push(Func::from_nonnull(NonNull::new(ptr).expect("non-null")));
        }
        // Tags: a defined tag is a new identity, an imported one its exporter's.
        for (t, import) in tags.iter().enumerate() {
            let tag = match import {
                Some(tag) => *tag,
                None => {
                    let type_id = module.type_ids()[info.tags[t] as usize];
                    let name = tag_name(info, t as u32);
                    inner.opaque.new_tag(type_id, name)
                }
            };
            let address = tag.address(&inner.opaque);
            let data = &mut inner.opaque.instances[index];
            data.write(offsets.tag(t as u32), address);
            data.tags.push(tag);
        }
        // Memories.
        for (m, import) in memories.iter().enumerate() {
            let memory = match (import, own_memory) {
                (Some(memory), _) => *memory,
                (None, Some(own)) if m == 0 => own,
                (None, _) => inner.opaque.new_memory(info.memories[m])?,
            };
            let def: *mut _ = &mut inner.opaque.memories[memory.0].definition;
            // SAFETY: the definition was just borrowed from a live memory.
            let base = unsafe { (*def).base };
            let data = &mut inner.opaque.instances[index];
            data.write(offsets.memory(m as u32), def);
            data.write(offsets.memory_base(m as u32), base);
            data.memories.push(memory);
        }
        // Globals.
        for (g, import) in globals.iter().enumerate() {
            let g = g as u32;
            let data = &mut inner.opaque.instances[index];
            let global = match (import, offsets.global(g)) {
                (Some(global), Err(slot)) => {
                    data.write(slot, global.ptr.as_ptr());
                    *global
                }
                (None, Ok(offset)) => {
                    let init = &info.global_inits[(g - info.num_imported_globals) as usize];
                    let value = data.eval(init);
                    data.write(offset, value);
                    // SAFETY: within the context allocation.
                    let ptr = unsafe { vmctx.add(offset as usize).cast::<u128>() };
                    let ExternType::Global(ty) = module.entity_type(EntityIndex::Global(g)) else {
                        unreachable!("a global's type")
                    };
                    Global { ptr: NonNull::new(ptr).expect("non-null"), ty }
                }
                _ => unreachable!("imports come first"),
            };
            data.globals.push(global);
        }
        // Tables.
        for (t, import) in tables.iter().enumerate() {
            let table = match import {
                Some(table) => *table,
                None => {
                    let init = &info.table_inits[t - info.num_imported_tables as usize];
                    let init = inner.opaque.instances[index].eval(init) as u64;
                    inner.opaque.table_may_start(info.tables[t])?;
                    let max = inner.opaque.engine.config().max_table_elements;
                    let ExternType::Table(ty) = module.entity_type(EntityIndex::Table(t as u32)) else {
                        unreachable!("a table's type")
                    };
                    inner.opaque.tables.push(Box::new(TableData::new(ty, init, max)?));
                    Table(inner.opaque.tables.len() - 1)
                }
            };
            let def: *mut _ = &mut inner.opaque.tables[table.0].definition;
            let data = &mut inner.opaque.instances[index];
            data.write(offsets.table(t as u32), def);
            data.tables.push(table);
        }
        // Element segments, then data segments, each trapping at the first one out of bounds.
        for segment in &info.elements {
            let data = &inner.opaque.instances[index];
            let items: Vec<u64> = segment.items.iter().map(|e| data.eval(e) as u64).collect();
            let items = match &segment.mode {
                SegmentMode::Active { target, offset } => {
                    let offset = data.eval(offset) as u32 as usize;
                    let table = &mut inner.opaque.tables[data.tables[*target as usize].0];
                    let dst = offset
                        .checked_add(items.len())
                        .and_then(|end| table.elements_mut().get_mut(offset..end));
                    let Some(dst) = dst else { bail!(Trap::new(TrapKind::TableOutOfBounds)) };
                    dst.copy_from_slice(&items);
                    vec![]
                }
                SegmentMode::Passive => items,
                SegmentMode::Declared => vec![],
            };
            inner.opaque.instances[index].elements.push(items);
        }
        for (d, segment) in info.data.iter().enumerate() {
            match &segment.mode {
                SegmentMode::Active { target, offset } => {
                    let data = &inner.opaque.instances[index];
                    let memory = &mut inner.opaque.memories[data.memories[*target as usize].0];
                    // An `i64` offset for a 64-bit memory, else an `i32` one.
                    let offset = data.eval(offset);
                    let offset = if memory.ty.memory64 { offset as u64 } else { u64::from(offset as u32) };
                    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
                    let bytes = &segment.bytes;
                    let dst = offset
                        .checked_add(bytes.len())
                        .and_then(|end| memory.data_mut().get_mut(offset..end));
                    let Some(dst) = dst else { bail!(Trap::new(TrapKind::MemoryOutOfBounds)) };
                    dst.copy_from_slice(bytes);
                }
                _ => inner.opaque.instances[index].dropped_data[d] = false,
            }
        }
        fill_dispatch_arrays(&mut inner.opaque, index);
        let instance = Instance(index);
        if let Some(start) = info.start {
            let func = inner.opaque.instances[index].funcs[start as usize];
            func.call(&mut *inner, &[])?;
        }
        Ok(instance)
    }

    pub fn module(&self, store: impl AsContext) -> Module {
        store.opaque_ref().instances[self.0].module.clone()
    }

    pub fn get_export(&self, store: impl AsContext, name: &str) -> Option<Extern> {
        let data = &store.opaque_ref().instances[self.0];
        Some(match data.module.info().export(name)? {
            EntityIndex::Func(i) => Extern::Func(data.funcs[i as usize]),
            EntityIndex::Memory(i) => Extern::Memory(data.memories[i as usize]),
            EntityIndex::Table(i) => Extern::Table(data.tables[i as usize]),
            EntityIndex::Global(i) => Extern::Global(data.globals[i as usize]),
            EntityIndex::Tag(i) => Extern::Tag(data.tags[i as usize]),
        })
    }

    /// All exports, in order.
    pub fn exports(&self, store: impl AsContext) -> Vec<(String, Extern)> {
        let names: Vec<String> = store.opaque_ref().instances[self.0]
            .module
            .info()
            .exports
            .iter()
            .map(|(n, _)| n.clone())
            .collect();
        names.into_iter().filter_map(|n| Some((n.clone(), self.get_export(&store, &n)?))).collect()
    }

    pub fn get_func(&self, store: impl AsContext, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    pub fn get_typed_func<P: crate::WasmParams, R: crate::WasmResults>(
        &self,
        store: impl AsContext,
        name: &str,
    ) -> Result<crate::TypedFunc<P, R>> {
        let Some(func) = self.get_func(&store, name) else { bail!("no exported function `{name}`") };
        func.typed(&store)
    }

    pub fn get_memory(&self, store: impl AsContext, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    pub fn get_global(&self, store: impl AsContext, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    pub fn get_table(&self, store: impl AsContext, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }
}

/// How errors name a module's defined tag `tag`: its export name, or its index and module.
fn tag_name(info: &kite_frontend::ModuleInfo, tag: u32) -> String {
    let exported = info.exports.iter().find(|(_, index)| *index == EntityIndex::Tag(tag));
    match (exported, &info.module_name) {
        (Some((name, _)), _) => format!("`{name}`"),
        (None, Some(module)) => format!("{tag} of module `{module}`"),
        (None, None) => format!("{tag}"),
    }
}

/// Whether the module's import at `index`, declared as `want`, accepts `value`, of type `have`
/// (both naming engine ids). A function is compared by its type id, so that one of a declared
/// subtype will do; for the rest, what can be written must match exactly and what is only read
/// may be of a subtype.
fn import_accepts(
    store: &StoreOpaque,
    module: &Module,
    index: EntityIndex,
    value: &Extern,
    want: &ExternType,
    have: &ExternType,
) -> bool {
    let engine = &store.engine;
    match (want, have) {
        (ExternType::Func(_), ExternType::Func(_)) => {
            let (EntityIndex::Func(i), Extern::Func(f)) = (index, value) else { return false };
            engine
                .is_subtype(f.funcref().type_id, module.type_ids()[module.info().funcs[i as usize] as usize])
        }
        (ExternType::Global(a), ExternType::Global(b)) => {
            a.mutable == b.mutable
                && if a.mutable {
                    a.content == b.content
                } else {
                    engine.val_is_subtype(b.content, a.content)
                }
        }
        (ExternType::Memory(a), ExternType::Memory(b)) => {
            a.memory64 == b.memory64 && a.limits.accepts(&b.limits)
        }
        (ExternType::Table(a), ExternType::Table(b)) => a.element == b.element && a.limits.accepts(&b.limits),
        // A tag's type must be the same (the same engine id: the same recursion group and
        // place in it), not a subtype: values travel both ways.
        (ExternType::Tag(_), ExternType::Tag(_)) => {
            let (EntityIndex::Tag(i), Extern::Tag(t)) = (index, value) else { return false };
            store.tags[t.0].type_id == module.type_ids()[module.info().tags[i as usize] as usize]
        }
        _ => false,
    }
}

/// Fills the dispatch arrays of an instance's static tables, now that its element segments are
/// in. The tables never change again, so neither do the arrays.
fn fill_dispatch_arrays(store: &mut StoreOpaque, index: usize) {
    let data = &store.instances[index];
    let module = data.module.clone();
    let compiled = module.compiled();
    let Some(stubs) = module.trap_stubs() else {
        return;
    };
    let mut arrays = Vec::with_capacity(compiled.facts.dispatch_arrays.len());
    for array in &compiled.facts.dispatch_arrays {
        let want = module.type_ids()[array.type_index as usize];
        let elements = store.tables[data.tables[array.table as usize].0].elements();
        let null = if array.by_reference { stubs.null_reference } else { stubs.null };
        let array: Vec<usize> = elements
            .iter()
            .map(|raw| match *raw as usize as *const VMFuncRef {
                p if p.is_null() => null,
                // SAFETY: non-null table entries point to live funcrefs of this store.
                p => match unsafe { *p } {
                    f if f.type_id == want => f.code as usize,
                    _ => stubs.bad_signature,
                },
            })
            .collect();
        arrays.push(array);
    }
    let data = &mut store.instances[index];
    for (i, array) in arrays.iter().enumerate() {
        let first = compiled.offsets.dispatch_array(i as u32);
        // The table has exactly as many elements as the array has room for: its size is fixed.
        for (j, code) in array.iter().enumerate() {
            data.write(first + 8 * j as u32, *code);
        }
    }
}
