//! Runs a WASI preview1 command module (`_start`) under wasmtime 48.0.8 with exception handling
//! on, for the reference output of `benches/programs/lua_eh` (its `build.sh` runs it):
//!
//! `cargo run --release -p kite-bench --bin wasmtime_wasi_run -- FILE.wasm [ARGS...]`
//!
//! Not `wasmtime-wasi`: the handful of preview1 functions a simple command needs are defined
//! here with `Linker::func_wrap`, on stdin, stdout and stderr only. There is no filesystem (no
//! preopened directory: `fd_prestat_get` says so, `path_open` is refused), no environment, and
//! the arguments are FILE.wasm's name and ARGS. The process exits with the module's exit code
//! (`proc_exit`, or 0 when `_start` returns); a trap or an uncaught exception is an error (exit
//! code 1 or more, as anyhow reports it).
//!
//! Exception handling is wasmtime's `Config::wasm_exceptions` (try_table, throw, throw_ref,
//! exnref), which needs its `gc` feature. wasmtime 48 does not implement the legacy instructions
//! (try, catch, rethrow, delegate): a module with them fails to compile, which this reports.

use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use wasmtime::{Caller, Config, Engine, Extern, Linker, Memory, Module, Store};

/// preview1 errno values (`wasi_snapshot_preview1`'s `errno` enum).
const SUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EFAULT: i32 = 21;
const EINVAL: i32 = 28;
const ENOTSUP: i32 = 58;
const ESPIPE: i32 = 70;
const ENOTCAPABLE: i32 = 76;

/// `proc_exit`'s code, carried out of the module as the error that ends `_start`.
#[derive(Debug)]
struct Exit(i32);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "proc_exit({})", self.0)
    }
}

impl std::error::Error for Exit {}

struct Host {
    args: Vec<Vec<u8>>,
}

fn memory(caller: &mut Caller<'_, Host>) -> Option<Memory> {
    caller.get_export("memory").and_then(Extern::into_memory)
}

/// Reads `len` bytes at `ptr` of the caller's memory, or `None` when out of bounds.
fn read_bytes(caller: &mut Caller<'_, Host>, ptr: u32, len: u32) -> Option<Vec<u8>> {
    let mem = memory(caller)?;
    let data = mem.data(&*caller);
    data.get(ptr as usize..(ptr as usize).checked_add(len as usize)?).map(<[u8]>::to_vec)
}

/// Writes `bytes` at `ptr` of the caller's memory; false when out of bounds.
fn write_bytes(caller: &mut Caller<'_, Host>, ptr: u32, bytes: &[u8]) -> bool {
    let Some(mem) = memory(caller) else { return false };
    let data = mem.data_mut(&mut *caller);
    match data.get_mut(ptr as usize..(ptr as usize).saturating_add(bytes.len())) {
        Some(dst) if dst.len() == bytes.len() => {
            dst.copy_from_slice(bytes);
            true
        }
        _ => false,
    }
}

fn read_u32(caller: &mut Caller<'_, Host>, ptr: u32) -> Option<u32> {
    read_bytes(caller, ptr, 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The (pointer, length) pairs of an iovec array.
fn iovecs(caller: &mut Caller<'_, Host>, iovs: u32, n: u32) -> Option<Vec<(u32, u32)>> {
    (0..n)
        .map(|i| {
            let at = iovs.checked_add(i.checked_mul(8)?)?;
            Some((read_u32(caller, at)?, read_u32(caller, at.checked_add(4)?)?))
        })
        .collect()
}

/// A list of strings as preview1 passes arguments: NUL-terminated strings at `buf`, their
/// addresses at `ptrs`.
fn write_strings(caller: &mut Caller<'_, Host>, strings: &[Vec<u8>], ptrs: u32, buf: u32) -> i32 {
    let mut at = buf;
    for (i, s) in strings.iter().enumerate() {
        let mut z = s.clone();
        z.push(0);
        if !write_bytes(caller, ptrs + 4 * i as u32, &at.to_le_bytes()) || !write_bytes(caller, at, &z) {
            return EFAULT;
        }
        at += z.len() as u32;
    }
    SUCCESS
}

fn sizes(strings: &[Vec<u8>]) -> (u32, u32) {
    (strings.len() as u32, strings.iter().map(|s| s.len() as u32 + 1).sum())
}

fn define_wasi(linker: &mut Linker<Host>) -> Result<()> {
    let m = "wasi_snapshot_preview1";
    let wt = |r: wasmtime::Result<&mut Linker<Host>>| r.map(|_| ()).map_err(|e| anyhow::anyhow!("{e:?}"));
    wt(linker.func_wrap(
        m,
        "fd_write",
        |mut c: Caller<'_, Host>, fd: i32, iovs: u32, n: u32, nwritten: u32| {
            if fd != 1 && fd != 2 {
                return EBADF;
            }
            let Some(iovs) = iovecs(&mut c, iovs, n) else { return EFAULT };
            let mut out = Vec::new();
            for (ptr, len) in iovs {
                let Some(b) = read_bytes(&mut c, ptr, len) else { return EFAULT };
                out.extend_from_slice(&b);
            }
            let ok = if fd == 1 {
                let mut o = std::io::stdout().lock();
                o.write_all(&out).and_then(|()| o.flush()).is_ok()
            } else {
                std::io::stderr().write_all(&out).is_ok()
            };
            if !ok {
                return EBADF;
            }
            if write_bytes(&mut c, nwritten, &(out.len() as u32).to_le_bytes()) { SUCCESS } else { EFAULT }
        },
    ))?;
    wt(linker.func_wrap(m, "fd_read", |mut c: Caller<'_, Host>, fd: i32, iovs: u32, n: u32, nread: u32| {
        if fd != 0 {
            return EBADF;
        }
        let Some(iovs) = iovecs(&mut c, iovs, n) else { return EFAULT };
        // One read into the first non-empty buffer: a short read is allowed.
        let mut total = 0u32;
        if let Some(&(ptr, len)) = iovs.iter().find(|(_, len)| *len > 0) {
            let mut buf = vec![0; len as usize];
            let Ok(got) = std::io::stdin().read(&mut buf) else { return EBADF };
            if !write_bytes(&mut c, ptr, &buf[..got]) {
                return EFAULT;
            }
            total = got as u32;
        }
        if write_bytes(&mut c, nread, &total.to_le_bytes()) { SUCCESS } else { EFAULT }
    }))?;
    wt(linker.func_wrap(m, "fd_close", |fd: i32| if (0..=2).contains(&fd) { SUCCESS } else { EBADF }))?;
    wt(linker.func_wrap(
        m,
        "fd_seek",
        |fd: i32, _offset: i64, _whence: i32, _newoffset: u32| {
            if (0..=2).contains(&fd) { ESPIPE } else { EBADF }
        },
    ))?;
    wt(linker.func_wrap(m, "fd_fdstat_get", |mut c: Caller<'_, Host>, fd: i32, buf: u32| {
        if !(0..=2).contains(&fd) {
            return EBADF;
        }
        // fdstat: filetype u8 (2 = character device), flags u16 at 2 (none), rights_base
        // u64 at 8 (fd_read 1<<1 for stdin, fd_write 1<<6 for the others; no seek: a
        // terminal), rights_inheriting u64 at 16.
        let mut st = [0u8; 24];
        st[0] = 2;
        let rights: u64 = if fd == 0 { 1 << 1 } else { 1 << 6 };
        st[8..16].copy_from_slice(&rights.to_le_bytes());
        if write_bytes(&mut c, buf, &st) { SUCCESS } else { EFAULT }
    }))?;
    wt(linker.func_wrap(
        m,
        "fd_fdstat_set_flags",
        |fd: i32, _flags: i32| {
            if (0..=2).contains(&fd) { ENOTSUP } else { EBADF }
        },
    ))?;
    // No preopened directories: the scan for them stops at the first EBADF.
    wt(linker.func_wrap(m, "fd_prestat_get", |_fd: i32, _buf: u32| EBADF))?;
    wt(linker.func_wrap(m, "fd_prestat_dir_name", |_fd: i32, _buf: u32, _len: u32| EBADF))?;
    wt(linker.func_wrap(m, "fd_renumber", |_from: i32, _to: i32| EBADF))?;
    wt(linker.func_wrap(
        m,
        "path_open",
        |_fd: i32,
         _dirflags: i32,
         _path: u32,
         _len: u32,
         _oflags: i32,
         _base: i64,
         _inh: i64,
         _fdflags: i32,
         _out: u32| { ENOTCAPABLE },
    ))?;
    wt(linker.func_wrap(m, "proc_exit", |code: i32| -> wasmtime::Result<()> {
        Err(wasmtime::Error::new(Exit(code)))
    }))?;
    wt(linker.func_wrap(
        m,
        "clock_time_get",
        |mut c: Caller<'_, Host>, id: i32, _precision: i64, out: u32| {
            let ns: u64 = match id {
                0 => std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64),
                1..=3 => {
                    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
                    START.get_or_init(std::time::Instant::now).elapsed().as_nanos() as u64
                }
                _ => return EINVAL,
            };
            if write_bytes(&mut c, out, &ns.to_le_bytes()) { SUCCESS } else { EFAULT }
        },
    ))?;
    wt(linker.func_wrap(m, "args_sizes_get", |mut c: Caller<'_, Host>, count: u32, size: u32| {
        let (n, len) = sizes(&c.data().args);
        if write_bytes(&mut c, count, &n.to_le_bytes()) && write_bytes(&mut c, size, &len.to_le_bytes()) {
            SUCCESS
        } else {
            EFAULT
        }
    }))?;
    wt(linker.func_wrap(m, "args_get", |mut c: Caller<'_, Host>, ptrs: u32, buf: u32| {
        let args = c.data().args.clone();
        write_strings(&mut c, &args, ptrs, buf)
    }))?;
    wt(linker.func_wrap(m, "environ_sizes_get", |mut c: Caller<'_, Host>, count: u32, size: u32| {
        if write_bytes(&mut c, count, &0u32.to_le_bytes()) && write_bytes(&mut c, size, &0u32.to_le_bytes()) {
            SUCCESS
        } else {
            EFAULT
        }
    }))?;
    wt(linker.func_wrap(m, "environ_get", |_ptrs: u32, _buf: u32| SUCCESS))?;
    Ok(())
}

fn main() -> Result<()> {
    let mut argv = std::env::args().skip(1);
    let Some(file) = argv.next() else { bail!("usage: wasmtime_wasi_run FILE.wasm [ARGS...]") };
    let bytes = std::fs::read(&file).with_context(|| format!("reading {file}"))?;
    let mut config = Config::new();
    config.wasm_exceptions(true).wasm_tail_call(true);
    let wt = |e: wasmtime::Error| anyhow::anyhow!("{e:?}");
    let engine = Engine::new(&config).map_err(wt)?;
    let module = Module::new(&engine, &bytes).map_err(wt).with_context(|| format!("compiling {file}"))?;
    let mut linker = Linker::new(&engine);
    define_wasi(&mut linker)?;
    let args = std::iter::once(file.clone()).chain(argv).map(String::into_bytes).collect();
    let mut store = Store::new(&engine, Host { args });
    let instance = linker.instantiate(&mut store, &module).map_err(wt)?;
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start").map_err(wt)?;
    let code = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<Exit>() {
            Some(Exit(code)) => *code,
            None => return Err(wt(e)).with_context(|| format!("running {file}")),
        },
    };
    std::io::stdout().flush()?;
    std::process::exit(code)
}
