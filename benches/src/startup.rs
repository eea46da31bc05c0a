//! Start-up (issue 13): the time from a module's bytes to an instance, engine included, for
//! every program of the suite and a generated module of over 10 MB: kite compiling (no cache),
//! kite from a warm entry of its code cache, wasmtime compiling, wasmtime deserializing its
//! precompiled form, and wasmi (which translates lazily). Median of 3, each from a fresh
//! engine; nothing runs. wasmi skips the modules it cannot read (`crate::TYPED_REFERENCES`).

use crate::measure::wt;
use anyhow::{Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};

/// The ways of starting that are measured, in table order.
pub const WAYS: [&str; 5] =
    ["kite compile", "kite cached", "wasmtime compile", "wasmtime deserialize", "wasmi"];

pub struct Startup {
    pub module: String,
    pub bytes: usize,
    /// One median per entry of `WAYS`, `None` where that way cannot read the module.
    pub times: Vec<Option<Duration>>,
}

/// Functions in the generated module: enough for more than 10 MB of Wasm.
const GENERATED_FUNCTIONS: usize = 40_000;

pub fn measure(programs: &Path) -> Result<Vec<Startup>> {
    let mut modules = Vec::new();
    let mut paths: Vec<_> =
        std::fs::read_dir(programs.join("wasm"))?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    paths.sort();
    for path in paths {
        modules.push((
            path.file_name().unwrap_or_default().to_string_lossy().into_owned(),
            std::fs::read(&path)?,
        ));
    }
    modules.push((
        format!("generated ({GENERATED_FUNCTIONS} functions)"),
        crate::throughput::generate(GENERATED_FUNCTIONS),
    ));
    let cache = std::env::temp_dir().join(format!("kite-bench-cache-{}", std::process::id()));
    let mut out = Vec::new();
    for (module, bytes) in modules {
        let mut times = Vec::new();
        for way in WAYS {
            let program = module.strip_suffix(".wasm").unwrap_or(&module);
            if way == "wasmi" && crate::TYPED_REFERENCES.contains(&program) {
                eprintln!("start-up {module:<30} {way:<22} skipped (no typed function references)");
                times.push(None);
                continue;
            }
            let prepared = prepare(way, &bytes, &cache)?;
            let mut runs = (0..3)
                .map(|_| start(way, &bytes, &cache, prepared.as_deref()))
                .collect::<Result<Vec<_>>>()?;
            runs.sort();
            eprintln!("start-up {module:<30} {way:<22} {:>9.2} ms", crate::ms(runs[1]));
            times.push(Some(runs[1]));
        }
        out.push(Startup { module, bytes: bytes.len(), times });
    }
    std::fs::remove_dir_all(&cache).ok();
    Ok(out)
}

fn kite_config(cache: Option<&Path>) -> kite_runtime::Config {
    let mut config = kite_runtime::Config::new();
    config.cache_dir(cache.map(Path::to_path_buf));
    config
}

fn kite_start(config: &kite_runtime::Config, bytes: &[u8]) -> Result<()> {
    let engine = kite_runtime::Engine::new(config)?;
    let module = kite_runtime::Module::new(&engine, bytes)?;
    let mut store = kite_runtime::Store::new(&engine, ());
    kite_runtime::Linker::new(&engine).instantiate(&mut store, &module)?;
    Ok(())
}

/// What must exist before a start by `way` can be timed, made once per module, untimed: kite's
/// cache entry, or wasmtime's precompiled form (returned).
fn prepare(way: &str, bytes: &[u8], cache: &Path) -> Result<Option<Vec<u8>>> {
    Ok(match way {
        "kite cached" => {
            kite_start(&kite_config(Some(cache)), bytes)?;
            None
        }
        "wasmtime deserialize" => {
            Some(wt(wt(wasmtime::Engine::new(&crate::measure::wasmtime_config()))?.precompile_module(bytes))?)
        }
        _ => None,
    })
}

/// One start by `way`: engine, module, store and instance, after `prepare`.
fn start(way: &str, bytes: &[u8], cache: &Path, prepared: Option<&[u8]>) -> Result<Duration> {
    Ok(match way {
        "kite compile" => {
            let start = Instant::now();
            kite_start(&kite_config(None), bytes)?;
            start.elapsed()
        }
        "kite cached" => {
            let start = Instant::now();
            kite_start(&kite_config(Some(cache)), bytes)?;
            start.elapsed()
        }
        "wasmtime compile" => {
            let start = Instant::now();
            let engine = wt(wasmtime::Engine::new(&crate::measure::wasmtime_config()))?;
            let module = wt(wasmtime::Module::new(&engine, bytes))?;
            let mut store = wasmtime::Store::new(&engine, ());
            wt(wasmtime::Instance::new(&mut store, &module, &[]))?;
            start.elapsed()
        }
        "wasmtime deserialize" => {
            let precompiled = prepared.context("wasmtime's precompiled form, from `prepare`")?;
            let start = Instant::now();
            let engine = wt(wasmtime::Engine::new(&crate::measure::wasmtime_config()))?;
            // SAFETY: bytes wasmtime itself just produced, with the same configuration.
            let module = wt(unsafe { wasmtime::Module::deserialize(&engine, precompiled) })?;
            let mut store = wasmtime::Store::new(&engine, ());
            wt(wasmtime::Instance::new(&mut store, &module, &[]))?;
            start.elapsed()
        }
        _ => {
            let start = Instant::now();
            let engine = wasmi::Engine::default();
            let module = wasmi::Module::new(&engine, bytes)?;
            let mut store = wasmi::Store::new(&engine, ());
            wasmi::Linker::<()>::new(&engine).instantiate_and_start(&mut store, &module)?;
            start.elapsed()
        }
    })
}
