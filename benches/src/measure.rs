//! Running one entry point of one program under one runtime: compile once, then call the entry
//! repeatedly on the same instance (every entry reinitializes what it uses).

use crate::Case;
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    Native,
    /// kite with the named calling convention.
    Kite(&'static str),
    Wasmtime,
    Wasmi,
    Node,
}

impl Runtime {
    pub fn name(&self) -> String {
        match self {
            Runtime::Native => "native".into(),
            Runtime::Kite(cc) => format!("kite {cc}"),
            Runtime::Wasmtime => "wasmtime 48.0.8".into(),
            Runtime::Wasmi => "wasmi 2".into(),
            Runtime::Node => "node".into(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Measurement {
    pub compile: Duration,
    pub runs: Vec<Duration>,
    pub checksum: i64,
}

impl Measurement {
    pub fn median(&self) -> Duration {
        let mut runs = self.runs.clone();
        runs.sort();
        runs[runs.len() / 2]
    }
}

pub fn measure(
    runtime: Runtime,
    programs: &Path,
    case: &Case,
    runs: usize,
    budget: Duration,
) -> Result<Measurement> {
    let wasm = programs.join("wasm").join(format!("{}.wasm", case.program));
    match runtime {
        Runtime::Native => native(programs, case, runs, budget),
        Runtime::Node => node(programs, case, runs),
        _ => {
            let bytes = std::fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?;
            let start = Instant::now();
            let mut call = compile(runtime, &bytes, &case.entry)?;
            let compile = start.elapsed();
            repeat(runs, budget, compile, &mut *call)
        }
    }
}

fn repeat(
    runs: usize,
    budget: Duration,
    compile: Duration,
    call: &mut dyn FnMut() -> Result<i64>,
) -> Result<Measurement> {
    let started = Instant::now();
    let mut times = Vec::new();
    let mut checksum = 0;
    while times.len() < runs && (times.is_empty() || started.elapsed() < budget) {
        let start = Instant::now();
        checksum = call()?;
        times.push(start.elapsed());
    }
    Ok(Measurement { compile, runs: times, checksum })
}

/// Compiles and instantiates, returning a closure that calls the entry once.
fn compile(runtime: Runtime, bytes: &[u8], entry: &str) -> Result<Box<dyn FnMut() -> Result<i64>>> {
    Ok(match runtime {
        Runtime::Kite(cc) => {
            let (mut store, instance) = kite_instance(cc, bytes)?;
            let func = instance.get_typed_func::<(), i64>(&store, entry)?;
            Box::new(move || func.call(&mut store, ()))
        }
        Runtime::Wasmtime => {
            let (mut store, instance) = wasmtime_instance(bytes)?;
            let func = wt(instance.get_typed_func::<(), i64>(&mut store, entry))?;
            Box::new(move || wt(func.call(&mut store, ())))
        }
        Runtime::Wasmi => {
            let (mut store, instance) = wasmi_instance(bytes)?;
            let func = instance.get_typed_func::<(), i64>(&store, entry)?;
            Box::new(move || Ok(func.call(&mut store, ())?))
        }
        Runtime::Native | Runtime::Node => unreachable!("not in-process"),
    })
}

/// An instance of a module with no imports under kite with calling convention `cc`.
pub fn kite_instance(cc: &str, bytes: &[u8]) -> Result<(kite_runtime::Store<()>, kite_runtime::Instance)> {
    let mut config = kite_runtime::Config::new();
    config.tail_cc(cc)?;
    let engine = kite_runtime::Engine::new(&config)?;
    let module = kite_runtime::Module::new(&engine, bytes)?;
    let mut store = kite_runtime::Store::new(&engine, ());
    let instance = kite_runtime::Linker::new(&engine).instantiate(&mut store, &module)?;
    Ok((store, instance))
}

/// The same under wasmtime, with tail calls and parallel compilation on.
pub fn wasmtime_instance(bytes: &[u8]) -> Result<(wasmtime::Store<()>, wasmtime::Instance)> {
    let mut config = wasmtime::Config::new();
    config.wasm_tail_call(true).parallel_compilation(true);
    let engine = wt(wasmtime::Engine::new(&config))?;
    let module = wt(wasmtime::Module::new(&engine, bytes))?;
    let mut store = wasmtime::Store::new(&engine, ());
    let instance = wt(wasmtime::Instance::new(&mut store, &module, &[]))?;
    Ok((store, instance))
}

/// The same under wasmi.
pub fn wasmi_instance(bytes: &[u8]) -> Result<(wasmi::Store<()>, wasmi::Instance)> {
    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, bytes)?;
    let mut store = wasmi::Store::new(&engine, ());
    let instance = wasmi::Linker::<()>::new(&engine).instantiate_and_start(&mut store, &module)?;
    Ok((store, instance))
}

/// The native build times itself and prints the checksum, then `ns=<elapsed>`.
fn native(programs: &Path, case: &Case, runs: usize, budget: Duration) -> Result<Measurement> {
    let binary = programs.join("native").join(&case.program);
    let started = Instant::now();
    let mut times = Vec::new();
    let mut checksum = 0;
    while times.len() < runs && (times.is_empty() || started.elapsed() < budget) {
        let out = Command::new(&binary)
            .arg(&case.entry)
            .output()
            .with_context(|| format!("running {}", binary.display()))?;
        if !out.status.success() {
            bail!("{} failed", binary.display());
        }
        let text = String::from_utf8(out.stdout)?;
        let mut lines = text.lines();
        checksum = lines.next().context("no checksum")?.trim().parse()?;
        let ns: u64 = lines.next().and_then(|l| l.strip_prefix("ns=")).context("no ns=")?.trim().parse()?;
        times.push(Duration::from_nanos(ns));
    }
    Ok(Measurement { compile: Duration::ZERO, runs: times, checksum })
}

pub fn node_available() -> bool {
    Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// node compiles and runs in one process; the script prints `compile_ns=`, then `checksum ns`
/// per run.
fn node(programs: &Path, case: &Case, runs: usize) -> Result<Measurement> {
    let script = programs.join("../node_bench.mjs");
    let wasm = programs.join("wasm").join(format!("{}.wasm", case.program));
    let out = Command::new("node")
        .arg(&script)
        .arg(&wasm)
        .arg(&case.entry)
        .arg(runs.to_string())
        .output()
        .context("running node")?;
    if !out.status.success() {
        bail!("node failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8(out.stdout)?;
    let mut compile = Duration::ZERO;
    let mut times = Vec::new();
    let mut checksum = 0;
    for line in text.lines() {
        if let Some(ns) = line.strip_prefix("compile_ns=") {
            compile = Duration::from_nanos(ns.trim().parse()?);
        } else if let Some((sum, ns)) = line.split_once(' ') {
            checksum = sum.parse()?;
            times.push(Duration::from_nanos(ns.trim().parse()?));
        }
    }
    if times.is_empty() {
        bail!("node printed no runs");
    }
    Ok(Measurement { compile, runs: times, checksum })
}

/// wasmtime's own error type, as an `anyhow::Error`.
pub fn wt<T>(result: std::result::Result<T, wasmtime::Error>) -> Result<T> {
    result.map_err(|e| anyhow::anyhow!("{e:?}"))
}
