//! WASI preview1 (`wasi_snapshot_preview1`) for kite: what lets a program built for
//! `wasm32-wasip1` (C with wasi-libc, Rust, interpreters) run under `kite run` as it does under
//! `wasmtime run`.
//!
//! ```no_run
//! use kite_runtime::{Engine, Linker, Module, Store};
//! use kite_wasi::{WasiCtx, add_to_linker};
//!
//! let engine = Engine::default();
//! let module = Module::from_file(&engine, "hello.wasm")?;
//! let wasi = WasiCtx::builder()
//!     .args(["hello.wasm", "world"])?
//!     .env("LANG", "C")?
//!     .inherit_stdio()
//!     .preopened_dir("/tmp/sandbox", "/sandbox")?
//!     .build();
//! let mut store = Store::new(&engine, wasi);
//! let mut linker = Linker::new(&engine);
//! add_to_linker(&mut linker, |wasi: &mut WasiCtx| wasi);
//! let instance = linker.instantiate(&mut store, &module)?;
//! instance.get_typed_func::<(), ()>(&store, "_start")?.call(&mut store, ())?;
//! # anyhow::Ok(())
//! ```
//!
//! A guest's `proc_exit` ends the call with an [`I32Exit`] error.
//!
//! One module per area: [`ctx`] (the context, its builder and descriptor table), `args_env`,
//! `clocks_random`, `fd` (descriptors), `path` (the filesystem sandbox, on cap-std), `poll`,
//! `proc` (exit, raise, yield), `sock`, [`errno`] and [`types`] (the witx vocabulary) and
//! `memory` (bounds-checked access to guest memory). Setting `KITE_WASI_TRACE` in the
//! environment prints every WASI call and its errno on stderr.

mod args_env;
mod clocks_random;
pub mod ctx;
pub mod errno;
mod fd;
mod memory;
mod path;
mod poll;
mod proc;
mod sock;
pub mod types;

pub use ctx::{WasiCtx, WasiCtxBuilder};
pub use errno::Errno;
pub use proc::I32Exit;

use errno::WasiResult;
use kite_runtime::{Caller, Extern, FuncType, Linker, Val, ValType};
use memory::GuestMemory;
use std::sync::Arc;

/// The import module name of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

type Getter<T> = Arc<dyn Fn(&mut T) -> &mut WasiCtx + Send + Sync>;
type WasiFn = fn(&mut WasiCtx, &mut GuestMemory<'_>, &[Val]) -> WasiResult<()>;

/// A Wasm parameter type of a WASI function, as the Rust type its implementation takes.
trait Param {
    const TYPE: ValType;
    fn take(v: &Val) -> Self;
}

impl Param for u32 {
    const TYPE: ValType = ValType::I32;
    fn take(v: &Val) -> u32 {
        v.unwrap_i32() as u32
    }
}

impl Param for u64 {
    const TYPE: ValType = ValType::I64;
    fn take(v: &Val) -> u64 {
        v.unwrap_i64() as u64
    }
}

impl Param for i64 {
    const TYPE: ValType = ValType::I64;
    fn take(v: &Val) -> i64 {
        v.unwrap_i64()
    }
}

/// Defines `wasi_snapshot_preview1` in `linker`: every function of the snapshot, working on
/// the [`WasiCtx`] that `get` finds in the store's data.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + 'static,
) {
    let get: Getter<T> = Arc::new(get);
    let trace = std::env::var_os("KITE_WASI_TRACE").is_some();
    register(linker, &get, trace);
    linker.func_new(MODULE, "proc_exit", FuncType::new([ValType::I32], []), move |_, params, _| {
        let code = params[0].unwrap_i32();
        if trace {
            eprintln!("wasi: proc_exit({code})");
        }
        Err(I32Exit(code).into())
    });
}

/// Defines one WASI function returning an errno: it finds the caller's `memory` export and
/// hands `f` the memory and the context.
fn define<T: 'static>(
    linker: &mut Linker<T>,
    get: &Getter<T>,
    trace: bool,
    name: &'static str,
    params: Vec<ValType>,
    f: WasiFn,
) {
    let get = get.clone();
    let ty = FuncType::new(params, [ValType::I32]);
    linker.func_new(MODULE, name, ty, move |mut caller: Caller<'_, T>, args, results| {
        let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
            anyhow::bail!("WASI function `{name}` needs the module to export its memory as `memory`");
        };
        let (bytes, data) = memory.data_and_store_mut(&mut caller);
        let errno = match f(get(data), &mut GuestMemory::new(bytes), args) {
            Ok(()) => Errno::Success,
            Err(e) => e,
        };
        if trace {
            eprintln!("wasi: {name}{:?} -> {errno:?}", args_for_trace(args));
        }
        results[0] = Val::I32(errno as i32);
        Ok(())
    });
}

fn args_for_trace(args: &[Val]) -> Vec<i64> {
    args.iter()
        .map(|v| match v {
            Val::I32(x) => i64::from(*x),
            Val::I64(x) => *x,
            _ => 0,
        })
        .collect()
}

/// The table of WASI functions: `area::name(parameter types)`.
macro_rules! functions {
    ($( $area:ident :: $name:ident ( $($ty:ty),* ); )*) => {
        fn register<T: 'static>(linker: &mut Linker<T>, get: &Getter<T>, trace: bool) {
            $(
                define(linker, get, trace, stringify!($name), vec![$(<$ty as Param>::TYPE),*], |ctx, mem, params| {
                    #[allow(unused_mut, unused_variables)]
                    let mut it = params.iter();
                    $area::$name(ctx, mem, $(<$ty as Param>::take(it.next().expect("typed by the linker"))),*)
                });
            )*
        }
    };
}

functions! {
    args_env::args_get(u32, u32);
    args_env::args_sizes_get(u32, u32);
    args_env::environ_get(u32, u32);
    args_env::environ_sizes_get(u32, u32);
    clocks_random::clock_res_get(u32, u32);
    clocks_random::clock_time_get(u32, u64, u32);
    clocks_random::random_get(u32, u32);
    fd::fd_advise(u32, u64, u64, u32);
    fd::fd_allocate(u32, u64, u64);
    fd::fd_close(u32);
    fd::fd_datasync(u32);
    fd::fd_fdstat_get(u32, u32);
    fd::fd_fdstat_set_flags(u32, u32);
    fd::fd_fdstat_set_rights(u32, u64, u64);
    fd::fd_filestat_get(u32, u32);
    fd::fd_filestat_set_size(u32, u64);
    fd::fd_filestat_set_times(u32, u64, u64, u32);
    fd::fd_pread(u32, u32, u32, u64, u32);
    fd::fd_prestat_get(u32, u32);
    fd::fd_prestat_dir_name(u32, u32, u32);
    fd::fd_pwrite(u32, u32, u32, u64, u32);
    fd::fd_read(u32, u32, u32, u32);
    fd::fd_readdir(u32, u32, u32, u64, u32);
    fd::fd_renumber(u32, u32);
    fd::fd_seek(u32, i64, u32, u32);
    fd::fd_sync(u32);
    fd::fd_tell(u32, u32);
    fd::fd_write(u32, u32, u32, u32);
    path::path_create_directory(u32, u32, u32);
    path::path_filestat_get(u32, u32, u32, u32, u32);
    path::path_filestat_set_times(u32, u32, u32, u32, u64, u64, u32);
    path::path_link(u32, u32, u32, u32, u32, u32, u32);
    path::path_open(u32, u32, u32, u32, u32, u64, u64, u32, u32);
    path::path_readlink(u32, u32, u32, u32, u32, u32);
    path::path_remove_directory(u32, u32, u32);
    path::path_rename(u32, u32, u32, u32, u32, u32);
    path::path_symlink(u32, u32, u32, u32, u32);
    path::path_unlink_file(u32, u32, u32);
    poll::poll_oneoff(u32, u32, u32, u32);
    proc::proc_raise(u32);
    proc::sched_yield();
    sock::sock_accept(u32, u32, u32);
    sock::sock_recv(u32, u32, u32, u32, u32, u32);
    sock::sock_send(u32, u32, u32, u32, u32);
    sock::sock_shutdown(u32, u32);
}
