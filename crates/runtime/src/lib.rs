//! kite's runtime and embedding API.
//!
//! It owns everything that exists while Wasm runs: executable memory ([`code_memory`]), linear
//! memories on guard-page reservations, tables, globals, instances, the builtins generated code
//! calls, the recompilation of fused groups on their profile (`tiering`), traps (signal
//! handlers and `setjmp`/`longjmp`, in [`traps`]), and the API in the spirit
//! of Wasmtime's: [`Engine`], [`Module`], [`Store`], [`Linker`], [`Instance`], [`Func`].
//!
//! ```
//! use kite_runtime::{Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"
//!     (module (func (export "add") (param i32 i32) (result i32)
//!         local.get 0 local.get 1 i32.add))
//! "#)?;
//! let mut store = Store::new(&engine, ());
//! let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
//! let add = instance.get_typed_func::<(i32, i32), i32>(&store, "add")?;
//! assert_eq!(add.call(&mut store, (2, 3))?, 5);
//! # anyhow::Ok(())
//! ```
//!
//! A compiled module can be saved and loaded without compiling ([`artifact`]: `Module::serialize`,
//! `Module::deserialize`, [`precompile`]), and kept in a code cache on disk (`cache`, on when
//! `Config::cache_dir` is set).
//!
//! Platform code (mmap, signals, register access) lives in `sys` only.

pub mod artifact;
mod builtins;
mod cache;
pub mod code_memory;
mod engine;
mod exceptions;
mod exn_heap;
mod externals;
mod func;
mod instance;
mod linker;
mod memory;
mod module;
mod pool;
mod profiling;
mod store;
mod sys;
mod table;
mod tiering;
pub mod traps;
mod values;
pub mod vm;

pub use artifact::{is_precompiled, precompile};
pub use cache::{DEFAULT_CACHE_MAX_SIZE, default_cache_dir};
pub use engine::{Config, DEFAULT_TIER_UP_AFTER, Engine, InstanceAllocationStrategy};
pub use exceptions::{ExnRef, Tag, ThrownException};
pub use externals::{Extern, Global, Memory, Table};
pub use func::{Caller, Func, HostFn, TypedFunc, WasmParams, WasmResults, WasmTy};
pub use instance::{Instance, LinkError};
pub use kite_frontend::{
    FuncType, GlobalType, HeapType, Limits, MemoryType, RefType, TableType, Target, TrapKind, TypeIndex,
    ValType,
};
pub use linker::Linker;
pub use pool::PoolingAllocationConfig;
pub use profiling::ProfilingStrategy;
/// The size of a WebAssembly page, in bytes.
pub const WASM_PAGE_SIZE: u64 = memory::PAGE_SIZE as u64;
pub use module::{ExternType, Module};
pub use store::{AsContext, AsContextMut, ResourceLimiter, Store, StoreOpaque};
pub use traps::Trap;
pub use values::{ExternRef, V128, Val};

/// The names of the calling conventions kite offers, for `Config::tail_cc`.
pub fn conventions() -> Vec<&'static str> {
    kite_frontend::cc::ALL.iter().map(|c| c.name()).collect()
}
