//! A compiled module: its description, its published code, and its types' engine-wide ids;
//! compiling it, or loading it saved (`artifact`) or from the code cache (`cache`).

use crate::artifact;
use crate::cache::Cache;
use crate::code_memory::{CodeMemory, FunctionNames};
use crate::engine::Engine;
use crate::tiering::{GroupTiers, profiles, start_from_saved_groups};
use anyhow::{Context, Result};
use kite_frontend::{
    CompiledModule, EntityIndex, FuncType, GlobalType, MemoryType, ModuleInfo, TableType, TypeIndex, ValType,
};
use std::path::Path;
use std::sync::{Arc, OnceLock, Weak};

/// The type of an import or export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternType {
    Func(FuncType),
    Table(TableType),
    Memory(MemoryType),
    Global(GlobalType),
    /// A tag: the parameters are its exceptions' values.
    Tag(FuncType),
}

struct ModuleInner {
    engine: Engine,
    compiled: CompiledModule,
    code: CodeMemory,
    type_ids: Vec<u32>,
    tiers: GroupTiers,
    /// Its entry in the engine's code cache, where its profile is saved too.
    cache_key: Option<String>,
}

/// A WebAssembly module compiled for the engine's host. Cheap to clone.
#[derive(Clone)]
pub struct Module(Arc<ModuleInner>);

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module").field("name", &self.info().module_name).finish()
    }
}

impl Module {
    /// Compiles a module from its binary or text form.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let bytes = wat::parse_bytes(bytes.as_ref())?;
        Module::from_binary(engine, &bytes)
    }

    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        let bytes = wat::parse_bytes(&bytes).map_err(|mut e| {
            e.set_path(path);
            e
        })?;
        Module::from_binary(engine, &bytes)
    }

    /// Compiles a module from its binary form, or takes it from the engine's code cache (see
    /// `Config::cache_dir`). A cache entry found damaged is dropped and the module compiled
    /// again; a cache that cannot be written costs a warning (`Engine::take_warnings`).
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        let Some(cache) = engine.cache() else { return Module::compile(engine, bytes, None) };
        let key = Cache::key(bytes, engine.code_settings());
        let cached = cache.load(&key).and_then(|data| {
            // The entry was saved from these bytes by an engine compiling as this one does (the
            // key says so); `read` checks its checksum and settings. The cache directory is
            // trusted as the program's own files are (as in Wasmtime). An entry that fails to
            // load, for any reason, is a miss.
            let saved = artifact::read(&data, engine.code_settings()).ok();
            let module = saved.and_then(|saved| {
                let bytes = saved.bytes.map(Vec::into_boxed_slice);
                Module::from_compiled(engine, saved.compiled, bytes, Some(key.clone())).ok()
            });
            if module.is_none() {
                cache.remove(&key);
            }
            module
        });
        let module = match cached {
            Some(module) => module,
            None => {
                let module = Module::compile(engine, bytes, Some(key.clone()))?;
                if let Err(e) = module.serialize().and_then(|data| cache.store(&key, &data)) {
                    engine.warn(format!("code cache not written: {e:#}"));
                }
                module
            }
        };
        start_from_saved_groups(&module);
        Ok(module)
    }

    fn compile(engine: &Engine, bytes: &[u8], cache_key: Option<String>) -> Result<Module> {
        let options = engine.compile_options();
        let compiled = kite_frontend::compile_module(bytes, &options)?;
        let kept = profiles(&options, &compiled).then(|| bytes.into());
        Module::from_compiled(engine, compiled, kept, cache_key)
    }

    /// Publishes a compiled module's code; `bytes` are kept to recompile its groups from, and
    /// `cache_key` names its entry in the engine's cache.
    fn from_compiled(
        engine: &Engine,
        compiled: CompiledModule,
        bytes: Option<Box<[u8]>>,
        cache_key: Option<String>,
    ) -> Result<Module> {
        // The code names its functions through the module, which exists only once the code
        // does: the names look the module up when first asked for.
        let module: Arc<OnceLock<Weak<ModuleInner>>> = Arc::default();
        let num_imported = compiled.info.num_imported_funcs;
        let code = CodeMemory::publish(
            &compiled.blob,
            |base, func| {
                let f = compiled.functions.get(func.checked_sub(num_imported)? as usize)?;
                Some(base as usize + f.offset as usize)
            },
            compiled.code_ranges(),
            names_through(module.clone()),
        )?;
        let type_ids = engine.register_types(&compiled.info);
        let tiers = GroupTiers::new(bytes, compiled.group_code.len());
        let engine = engine.clone();
        let inner = Arc::new(ModuleInner { engine, compiled, code, type_ids, tiers, cache_key });
        module.set(Arc::downgrade(&inner)).expect("set once");
        inner.code.announce();
        Ok(Module(inner))
    }

    /// Names of this module's functions as backtraces show them (`module!function`), for code
    /// published later (recompiled groups).
    pub(crate) fn function_names(&self) -> FunctionNames {
        names_through(Arc::new(OnceLock::from(Arc::downgrade(&self.0))))
    }

    /// The engine's cache and this module's entry in it, if it came through the cache.
    pub(crate) fn cache_entry(&self) -> Option<(&Cache, &str)> {
        Some((self.0.engine.cache()?, self.0.cache_key.as_deref()?))
    }

    /// The module in its saved form (see `artifact`), for `Module::deserialize`.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        artifact::write(&self.0.compiled, self.0.tiers.bytes(), self.0.engine.code_settings())
    }

    /// Loads a module saved by `Module::serialize`, `precompile` or `kite compile -o`, without
    /// compiling it. It must have been compiled for this host and under the engine's settings
    /// (convention, tier-up, CPU features), by this version of kite; a file that is not, or is
    /// damaged, is an error saying so.
    ///
    /// # Safety
    /// `data` is machine code that will run: it must come from kite (as Wasmtime's
    /// `Module::deserialize` requires). The checksum catches damage, not forgery.
    pub unsafe fn deserialize(engine: &Engine, data: &[u8]) -> Result<Module> {
        let saved = artifact::read(data, engine.code_settings())?;
        Module::from_compiled(engine, saved.compiled, saved.bytes.map(Vec::into_boxed_slice), None)
    }

    /// `Module::deserialize` of a file's contents.
    ///
    /// # Safety
    /// As for `Module::deserialize`.
    pub unsafe fn deserialize_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let data = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        // SAFETY: the caller vouches for the file.
        unsafe { Module::deserialize(engine, &data) }.with_context(|| format!("`{}`", path.display()))
    }

    pub fn engine(&self) -> &Engine {
        &self.0.engine
    }

    pub fn info(&self) -> &ModuleInfo {
        &self.0.compiled.info
    }

    pub(crate) fn compiled(&self) -> &CompiledModule {
        &self.0.compiled
    }

    pub(crate) fn type_ids(&self) -> &[u32] {
        &self.0.type_ids
    }

    /// The code address of a defined function.
    pub(crate) fn func_code(&self, func_index: u32) -> *const u8 {
        self.defined_func_code(func_index).expect("a defined function") as *const u8
    }

    /// The code address of function `func_index`, if the module defines it.
    pub(crate) fn defined_func_code(&self, func_index: u32) -> Option<usize> {
        let defined = func_index.checked_sub(self.info().num_imported_funcs)?;
        let f = self.0.compiled.functions.get(defined as usize)?;
        Some(self.0.code.base() as usize + f.offset as usize)
    }

    /// The address of fused group `index`'s first code.
    pub(crate) fn group_code(&self, index: u32) -> *const u8 {
        let g = &self.0.compiled.group_code[index as usize];
        // SAFETY: the offset lies within the published code.
        unsafe { self.0.code.base().add(g.offset as usize) }
    }

    pub(crate) fn tiers(&self) -> &GroupTiers {
        &self.0.tiers
    }

    /// The fused groups recompiled on a profile so far, by group index, with what each of
    /// their indirect tail calls tests first (a table element, or nothing).
    pub fn recompiled_groups(&self) -> Vec<(u32, Vec<Option<u32>>)> {
        self.0.tiers.report()
    }

    /// The addresses of the trap stubs for dispatch-array entries a call may not reach: null
    /// elements (of `call_indirect`'s tables, then of `call_ref`'s) and mistyped ones.
    pub(crate) fn trap_stubs(&self) -> Option<TrapStubAddresses> {
        let stubs = self.0.compiled.trap_stubs?;
        let base = self.0.code.base() as usize;
        Some(TrapStubAddresses {
            null: base + stubs.null as usize,
            bad_signature: base + stubs.bad_signature as usize,
            null_reference: base + stubs.null_reference as usize,
        })
    }

    /// The type of one of the module's entities, its references naming engine ids.
    pub(crate) fn entity_type(&self, index: EntityIndex) -> ExternType {
        let info = self.info();
        match index {
            EntityIndex::Func(f) => {
                ExternType::Func(self.0.engine.func_type(self.0.type_ids[info.funcs[f as usize] as usize]))
            }
            EntityIndex::Table(t) => {
                let ty = info.tables[t as usize];
                ExternType::Table(TableType { element: self.engine_type(ty.element), ..ty })
            }
            EntityIndex::Memory(m) => ExternType::Memory(info.memories[m as usize]),
            EntityIndex::Tag(t) => {
                ExternType::Tag(self.0.engine.func_type(self.0.type_ids[info.tags[t as usize] as usize]))
            }
            EntityIndex::Global(g) => {
                let ty = info.globals[g as usize];
                ExternType::Global(GlobalType { content: self.engine_type(ty.content), ..ty })
            }
        }
    }

    /// A value type of the module's, with its type indices renamed to engine ids.
    pub(crate) fn engine_type(&self, ty: ValType) -> ValType {
        ty.map_index(&mut |index| match index {
            TypeIndex::Module(i) => TypeIndex::Engine(self.0.type_ids[i as usize]),
            other => other,
        })
    }

    /// `(module, name, type)` of each import, in order.
    pub fn imports(&self) -> impl Iterator<Item = (&str, &str, ExternType)> + '_ {
        self.info().imports.iter().map(|i| (i.module.as_str(), i.name.as_str(), self.entity_type(i.index)))
    }

    /// `(name, type)` of each export, in order.
    pub fn exports(&self) -> impl Iterator<Item = (&str, ExternType)> + '_ {
        self.info().exports.iter().map(|(name, index)| (name.as_str(), self.entity_type(*index)))
    }
}

/// Names functions as backtraces show them, `module!function`, through the module in `slot`
/// (`func[N]` while it is not there, or gone).
fn names_through(slot: Arc<OnceLock<Weak<ModuleInner>>>) -> FunctionNames {
    Arc::new(move |func| match slot.get().and_then(Weak::upgrade) {
        Some(module) => display_name(&module.compiled.info, func),
        None => format!("func[{func}]"),
    })
}

fn display_name(info: &ModuleInfo, func: u32) -> String {
    match &info.module_name {
        Some(module) => format!("{module}!{}", info.func_display_name(func)),
        None => info.func_display_name(func),
    }
}

/// Where a module's trap stubs were published (`Module::trap_stubs`).
pub(crate) struct TrapStubAddresses {
    pub null: usize,
    pub bad_signature: usize,
    pub null_reference: usize,
}
