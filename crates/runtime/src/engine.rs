//! The engine: configuration, the compiler for the host, the engine-wide registry of function
//! types (whose ids make `call_indirect` signature checks one compare), and the trampolines
//! shared by every module and host function of a type.

use crate::cache::{Cache, DEFAULT_CACHE_MAX_SIZE};
use crate::code_memory::CodeMemory;
use crate::pool::{MemoryPool, PoolingAllocationConfig};
use crate::profiling::{self, ProfilingStrategy};
use crate::traps::EntryTrampoline;
use crate::vm::VMStoreContext;
use anyhow::{Context, Result, anyhow};
use kite_frontend::compile::compile_function;
use kite_frontend::types::{canonical_group, is_declared_subtype};
use kite_frontend::{
    CodeSettings, CompileOptions, Convention, FuncType, Interrupts, IsaOptions, ModuleInfo, OwnedTargetIsa,
    SubType, Target, TypeIndex, ValType, trampoline,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use wasmparser::WasmFeatures;

/// Engine settings, in the spirit of `wasmtime::Config`.
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) convention: &'static dyn Convention,
    pub(crate) max_memory_pages: u64,
    pub(crate) max_table_elements: u64,
    pub(crate) max_wasm_stack: usize,
    pub(crate) verify: bool,
    pub(crate) parallel_compilation: bool,
    pub(crate) tier_up_after: Option<u32>,
    pub(crate) interrupts: Interrupts,
    pub(crate) profiler: ProfilingStrategy,
    pub(crate) cache_dir: Option<PathBuf>,
    pub(crate) cache_max_size: u64,
    pub(crate) features: WasmFeatures,
    pub(crate) allocation: InstanceAllocationStrategy,
}

/// Where instances' linear memories come from, as in Wasmtime.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InstanceAllocationStrategy {
    /// Each memory reserves 8 GiB of address space of its own, and code needs no bounds checks.
    /// A process holds about 16,000 such memories.
    #[default]
    OnDemand,
    /// Memories are slots of one pool the engine reserves up front (`pool.rs`), and code checks
    /// bounds on every access: many more instances, each memory at most the slot's size.
    Pooling(PoolingAllocationConfig),
}

/// Indirect tail calls a fused group makes before it is recompiled on their profile: a few
/// milliseconds of an interpreter's time, against the tens that recompiling its group costs.
pub const DEFAULT_TIER_UP_AFTER: u32 = 1_000_000;

/// `fused` is the default: on tail-calling code it is the fastest (several times faster than
/// `baseline`, and faster than `wide`), and elsewhere the three are within the noise of one run
/// (`docs/benchmarks.md`).
impl Default for Config {
    fn default() -> Self {
        Config {
            convention: &kite_frontend::cc::Wide::FUSED,
            max_memory_pages: 65536,
            max_table_elements: 10_000_000,
            max_wasm_stack: 1 << 20,
            verify: cfg!(debug_assertions),
            parallel_compilation: true,
            tier_up_after: Some(DEFAULT_TIER_UP_AFTER),
            interrupts: Interrupts::default(),
            profiler: ProfilingStrategy::None,
            cache_dir: None,
            cache_max_size: DEFAULT_CACHE_MAX_SIZE,
            features: kite_frontend::module::features(),
            allocation: InstanceAllocationStrategy::OnDemand,
        }
    }
}

impl Config {
    pub fn new() -> Config {
        Config::default()
    }

    /// Selects the calling convention for Wasm functions by name (`baseline`, ...).
    pub fn tail_cc(&mut self, name: &str) -> Result<&mut Self> {
        self.convention = kite_frontend::cc::by_name(name).ok_or_else(|| {
            let names: Vec<_> = kite_frontend::cc::ALL.iter().map(|c| c.name()).collect();
            anyhow!("unknown calling convention `{name}` (expected one of: {})", names.join(", "))
        })?;
        Ok(self)
    }

    /// Where linear memories come from: a reservation each (the default), or a pool.
    pub fn allocation_strategy(&mut self, strategy: InstanceAllocationStrategy) -> &mut Self {
        self.allocation = strategy;
        self
    }

    /// The most 64 KiB pages any linear memory may have.
    pub fn max_memory_pages(&mut self, pages: u64) -> &mut Self {
        self.max_memory_pages = pages;
        self
    }

    pub fn max_table_elements(&mut self, elements: u64) -> &mut Self {
        self.max_table_elements = elements;
        self
    }

    /// The most bytes of native stack Wasm code may use before it traps with stack overflow.
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Self {
        self.max_wasm_stack = bytes;
        self
    }

    /// Runs Cranelift's verifier on all generated code.
    pub fn verify(&mut self, on: bool) -> &mut Self {
        self.verify = on;
        self
    }

    pub fn parallel_compilation(&mut self, on: bool) -> &mut Self {
        self.parallel_compilation = on;
        self
    }

    /// Under `fused`: recompile a group of functions that tail-call each other after it has
    /// made this many indirect tail calls, each call site testing first where it went most
    /// often (`kite_frontend::tiering`). `None` compiles groups once, without profiling.
    pub fn tier_up_after(&mut self, calls: Option<u32>) -> &mut Self {
        self.tier_up_after = calls;
        self
    }

    /// Counts the operators Wasm code runs against its store's fuel (`Store::set_fuel`), and
    /// traps with "all fuel consumed" when it is spent. Every operator costs one unit but
    /// `nop`, `drop`, `block`, `loop`, `else`, `end` and `unreachable`, as in Wasmtime; the
    /// check is at function entries and loop headers. A store starts with no fuel.
    pub fn consume_fuel(&mut self, on: bool) -> &mut Self {
        self.interrupts.fuel = on;
        self
    }

    /// Has Wasm code compare the engine's epoch (`Engine::increment_epoch`) with its store's
    /// deadline (`Store::set_epoch_deadline`) at function entries and loop headers, and trap
    /// with "interrupted" once the deadline has come. A store's deadline starts at the
    /// current epoch: set one before calling in.
    pub fn epoch_interruption(&mut self, on: bool) -> &mut Self {
        self.interrupts.epochs = on;
        self
    }

    /// Tells a profiler where the JIT code is and what it is called (`/tmp/perf-PID.map` or
    /// `jit-PID.dump`), for every piece of code published from the engine's creation on.
    pub fn profiler(&mut self, strategy: ProfilingStrategy) -> &mut Self {
        self.profiler = strategy;
        self
    }

    /// Keeps compiled modules in this directory and takes them from it instead of compiling
    /// again (see `cache`; `default_cache_dir()` is where `kite run` keeps them). Off (`None`)
    /// by default, as in Wasmtime: an embedding writes to disk only when asked to.
    pub fn cache_dir(&mut self, dir: Option<PathBuf>) -> &mut Self {
        self.cache_dir = dir;
        self
    }

    /// The most bytes the cache directory may hold; past it the least recently used entries go.
    pub fn cache_max_size(&mut self, bytes: u64) -> &mut Self {
        self.cache_max_size = bytes;
        self
    }

    /// Whether modules may use 128-bit SIMD (on by default, as in WebAssembly 2.0).
    pub fn wasm_simd(&mut self, enable: bool) -> &mut Self {
        self.features.set(WasmFeatures::SIMD, enable);
        self
    }

    /// Whether modules may use relaxed SIMD (on by default).
    pub fn wasm_relaxed_simd(&mut self, enable: bool) -> &mut Self {
        self.features.set(WasmFeatures::RELAXED_SIMD, enable);
        self
    }

    /// Whether modules may declare and import several memories (on by default).
    pub fn wasm_multi_memory(&mut self, enable: bool) -> &mut Self {
        self.features.set(WasmFeatures::MULTI_MEMORY, enable);
        self
    }

    /// Whether memories may be addressed with `i64` (memory64; on by default). Such memories
    /// check bounds on every access, and grow to at most 4 GiB here.
    pub fn wasm_memory64(&mut self, enable: bool) -> &mut Self {
        self.features.set(WasmFeatures::MEMORY64, enable);
        self
    }

    /// Whether constant expressions may add, subtract and multiply (on by default).
    pub fn wasm_extended_const(&mut self, enable: bool) -> &mut Self {
        self.features.set(WasmFeatures::EXTENDED_CONST, enable);
        self
    }

    /// Whether modules may use typed function references (`call_ref`, `(ref $t)`, ...; on by
    /// default).
    pub fn wasm_function_references(&mut self, enable: bool) -> &mut Self {
        self.features.set(WasmFeatures::FUNCTION_REFERENCES, enable);
        self
    }

    /// Whether modules may use exception handling: tags, `throw`, `throw_ref`, `try_table`,
    /// `exnref`, and the legacy `try`, `catch`, `rethrow` and `delegate` (on by default).
    pub fn wasm_exceptions(&mut self, enable: bool) -> &mut Self {
        self.features.set(WasmFeatures::EXCEPTIONS, enable);
        self.features.set(WasmFeatures::LEGACY_EXCEPTIONS, enable);
        self
    }

    /// Whether modules may make tail calls (on by default).
    pub fn wasm_tail_call(&mut self, enable: bool) -> &mut Self {
        self.features.set(WasmFeatures::TAIL_CALL, enable);
        self
    }

    /// The frontend's options for compiling under this config for `target`.
    pub fn compile_options_for(&self, target: Target) -> CompileOptions {
        self.compile_options(target, false)
    }

    pub(crate) fn compile_options(&self, target: Target, keep_text: bool) -> CompileOptions {
        CompileOptions {
            target,
            isa: IsaOptions { verify: self.verify, pinned_reg: self.convention.pinned_context() },
            convention: self.convention,
            keep_text,
            parallel: self.parallel_compilation,
            tier_up: self.tier_up_after.is_some() && self.convention.fuses(),
            interrupts: self.interrupts,
            features: self.features,
            bounds_checks: matches!(self.allocation, InstanceAllocationStrategy::Pooling(_)),
        }
    }
}

/// The trampolines of one function type.
pub(crate) struct Trampolines {
    _code: CodeMemory,
    pub entry: EntryTrampoline,
    pub host: *const u8,
}

// SAFETY: immutable published code.
unsafe impl Send for Trampolines {}
// SAFETY: as above.
unsafe impl Sync for Trampolines {}

/// Engine-wide type ids. Types are registered a recursion group at a time: groups with equal
/// `canonical_group` keys (types outside the group named by their engine ids) are the same
/// types, iso-recursively, and share ids. So equal types have equal ids across modules, and a
/// signature check is one compare.
#[derive(Default)]
struct TypeRegistry {
    /// Each group's key, and the id of its first type.
    groups: HashMap<Vec<SubType>, u32>,
    /// Per id, its definition with every index an engine id.
    types: Vec<SubType>,
}

impl TypeRegistry {
    /// The id of the first type of the group with this key, registered if it is new.
    fn register_group(&mut self, key: Vec<SubType>) -> u32 {
        if let Some(first) = self.groups.get(&key) {
            return *first;
        }
        let first = self.types.len() as u32;
        for ty in &key {
            self.types.push(ty.map_index(&mut |index| match index {
                TypeIndex::RecGroup(i) => TypeIndex::Engine(first + i),
                other => other,
            }));
        }
        self.groups.insert(key, first);
        first
    }
}

/// The key of a module's recursion group `group` (module indices `start..`), naming earlier
/// types by their ids in `ids`.
fn group_key(group: &[SubType], start: u32, ids: &[u32]) -> Vec<SubType> {
    canonical_group(group, start, |i| TypeIndex::Engine(ids[i as usize]))
}

struct EngineInner {
    config: Config,
    isa: OwnedTargetIsa,
    /// What this engine's code depends on: what a saved module must have been compiled under.
    settings: CodeSettings,
    cache: Option<Cache>,
    /// Cache failures not yet reported (see `take_warnings`).
    warnings: Mutex<Vec<String>>,
    types: RwLock<TypeRegistry>,
    trampolines: Mutex<HashMap<FuncType, Arc<Trampolines>>>,
    /// The epoch, read by generated code through each store's context (boxed: its address is
    /// handed out and must not move).
    epoch: Box<AtomicU64>,
    /// Under the pooling allocator, the pool of linear memories.
    memory_pool: Option<Arc<MemoryPool>>,
    /// The contexts of the stores with epoch deadlines (their addresses: each is boxed and
    /// outlives its entry here), which `increment_epoch` interrupts when their deadline comes.
    deadlines: Mutex<Vec<usize>>,
}

/// Compiles modules and owns what their instances share. Cheap to clone.
#[derive(Clone)]
pub struct Engine(Arc<EngineInner>);

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("config", &self.0.config).finish()
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(&Config::default()).expect("the host is a supported target")
    }
}

impl Engine {
    pub fn new(config: &Config) -> Result<Engine> {
        profiling::start(config.profiler)?;
        let options = config.compile_options(Target::Host, false);
        let isa = options.build_isa()?;
        let settings = options.code_settings()?;
        let cache = config.cache_dir.clone().map(|dir| Cache::new(dir, config.cache_max_size));
        let memory_pool = match &config.allocation {
            InstanceAllocationStrategy::OnDemand => None,
            InstanceAllocationStrategy::Pooling(pool) => Some(Arc::new(MemoryPool::new(pool)?)),
        };
        Ok(Engine(Arc::new(EngineInner {
            config: config.clone(),
            isa,
            settings,
            cache,
            warnings: Mutex::default(),
            types: RwLock::default(),
            trampolines: Mutex::default(),
            epoch: Box::default(),
            memory_pool,
            deadlines: Mutex::default(),
        })))
    }

    /// The pool linear memories come from, if the engine pools them.
    pub(crate) fn memory_pool(&self) -> Option<&Arc<MemoryPool>> {
        self.0.memory_pool.as_ref()
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// Advances the epoch by one: Wasm code of every store whose deadline this reaches traps
    /// with "interrupted" at its next check. Safe to call from any thread (a timer's, say).
    pub fn increment_epoch(&self) {
        let now = self.0.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        for context in self.0.deadlines.lock().expect("deadlines").iter() {
            // SAFETY: a watched context is alive (its store unwatches it before it goes).
            unsafe { crate::traps::interrupts::interrupt_if_due(*context as *mut VMStoreContext, now) };
        }
    }

    /// Has `increment_epoch` interrupt the store of `context` at its deadline.
    pub(crate) fn watch_deadline(&self, context: *mut VMStoreContext) {
        self.0.deadlines.lock().expect("deadlines").push(context as usize);
    }

    pub(crate) fn unwatch_deadline(&self, context: *mut VMStoreContext) {
        self.0.deadlines.lock().expect("deadlines").retain(|c| *c != context as usize);
    }

    pub(crate) fn current_epoch(&self) -> u64 {
        self.0.epoch.load(Ordering::SeqCst)
    }

    pub(crate) fn epoch_counter(&self) -> *const AtomicU64 {
        &*self.0.epoch
    }

    pub fn convention(&self) -> &'static str {
        self.0.config.convention.name()
    }

    pub(crate) fn code_settings(&self) -> &CodeSettings {
        &self.0.settings
    }

    pub(crate) fn cache(&self) -> Option<&Cache> {
        self.0.cache.as_ref()
    }

    /// Records a failure that cost something (a cache entry) but not the operation.
    pub(crate) fn warn(&self, warning: String) {
        self.0.warnings.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(warning);
    }

    /// The failures that cost the engine something but failed nothing (the code cache could
    /// not be written, ...), one sentence each, since the last call: for the embedder to show
    /// or log.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.warnings.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// The engine-wide id of a function type given by the embedder (a final type with no
    /// supertype, alone in its group); equal types get equal ids.
    pub(crate) fn intern(&self, ty: &FuncType) -> u32 {
        let key = vec![SubType::plain(ty.clone())];
        if let Some(id) = self.0.types.read().expect("types").groups.get(&key) {
            return *id;
        }
        self.0.types.write().expect("types").register_group(key)
    }

    /// The engine-wide id of each of a module's types.
    pub(crate) fn register_types(&self, info: &ModuleInfo) -> Vec<u32> {
        let mut ids: Vec<u32> = Vec::with_capacity(info.types.len());
        let mut registry = self.0.types.write().expect("types");
        for std::ops::Range { start, end } in info.rec_group_ranges() {
            let key = group_key(&info.types[start as usize..end as usize], start, &ids);
            let first = registry.register_group(key);
            ids.extend(first..first + (end - start));
        }
        ids
    }

    /// The function type with id `id`, its references naming engine ids.
    pub(crate) fn func_type(&self, id: u32) -> FuncType {
        self.0.types.read().expect("types").types[id as usize].func().clone()
    }

    /// Whether type `sub` is type `sup` or one of its declared subtypes.
    pub(crate) fn is_subtype(&self, sub: u32, sup: u32) -> bool {
        let registry = self.0.types.read().expect("types");
        is_declared_subtype(
            sub,
            sup,
            |a, b| a == b,
            |id| match registry.types[id as usize].supertype {
                Some(TypeIndex::Engine(parent)) => Some(parent),
                _ => None,
            },
        )
    }

    /// Whether a value of type `sub` is a value of type `sup` (both naming engine ids).
    pub(crate) fn val_is_subtype(&self, sub: ValType, sup: ValType) -> bool {
        sub.is_subtype_of(sup, &|a, b| match (a, b) {
            (TypeIndex::Engine(a), TypeIndex::Engine(b)) => self.is_subtype(a, b),
            _ => false,
        })
    }

    pub(crate) fn trampolines(&self, ty: &FuncType) -> Result<Arc<Trampolines>> {
        let mut cache = self.0.trampolines.lock().expect("trampolines");
        if let Some(t) = cache.get(ty) {
            return Ok(t.clone());
        }
        let isa = &*self.0.isa;
        let cc = self.0.config.convention;
        let mut blob = kite_frontend::CodeBlob::default();
        let (entry, ..) = compile_function(isa, trampoline::entry(ty, cc, isa), false, "entry trampoline")?;
        let (host, ..) = compile_function(isa, trampoline::host(ty, cc, isa), false, "host trampoline")?;
        let align = isa.function_alignment().preferred;
        let (entry_len, host_len) = (entry.code.len(), host.code.len());
        let entry_offset = blob.append(entry, align);
        let host_offset = blob.append(host, align);
        blob.traps.sort_by_key(|t| t.offset);
        blob.handlers.sort_by_key(|h| h.return_offset);
        let code = CodeMemory::publish(&blob, |_, _| None, vec![], Arc::new(|func| format!("func[{func}]")))
            .context("publishing trampolines")?;
        // SAFETY: the entry trampoline was compiled with exactly this C signature.
        let entry = unsafe {
            std::mem::transmute::<*const u8, EntryTrampoline>(code.base().add(entry_offset as usize))
        };
        // SAFETY: within the published region.
        let host = unsafe { code.base().add(host_offset as usize) };
        let base = code.base() as usize;
        let (entry_name, host_name) = (format!("entry trampoline {ty}"), format!("host trampoline {ty}"));
        profiling::announce([
            (base + entry_offset as usize, entry_len, entry_name.as_str()),
            (base + host_offset as usize, host_len, host_name.as_str()),
        ]);
        let t = Arc::new(Trampolines { _code: code, entry, host });
        cache.insert(ty.clone(), t.clone());
        Ok(t)
    }

    pub(crate) fn compile_options(&self) -> CompileOptions {
        self.0.config.compile_options(Target::Host, false)
    }
}
