//! Running one entry point of one program under each runtime: compile once per runtime, then
//! call the entry repeatedly on the same instance (every entry reinitializes what it uses), the
//! runtimes taking turns.

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
    /// kite under `fused` with tiering off: what tiering adds.
    KiteUntiered,
    /// kite's default with epoch interruption on (a deadline never reached): what epochs cost.
    KiteEpochs,
    /// kite's default counting fuel (more than any run spends): what fuel costs.
    KiteFuel,
    Wasmtime,
    Wasmi,
    Node,
}

impl Runtime {
    pub fn name(&self) -> String {
        match self {
            Runtime::Native => "native".into(),
            Runtime::Kite(cc) => format!("kite {cc}"),
            Runtime::KiteUntiered => "kite fused untiered".into(),
            Runtime::KiteEpochs => "kite fused + epochs".into(),
            Runtime::KiteFuel => "kite fused + fuel".into(),
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
    /// Why this runtime has no runs, for the cases measured with failures tolerated (see
    /// `measure_case`): it failed to compile or instantiate, trapped, or returned a wrong
    /// checksum. `runs` is then empty.
    pub error: Option<String>,
}

impl Measurement {
    /// The median run, or `None` for a runtime that failed.
    pub fn median(&self) -> Option<Duration> {
        let mut runs = self.runs.clone();
        runs.sort();
        runs.get(runs.len() / 2).copied()
    }

    fn failed(compile: Duration, error: &anyhow::Error) -> Self {
        Measurement { compile, runs: Vec::new(), error: Some(format!("{error:#}")) }
    }
}

/// Measures every runtime on one case in rounds: each round runs each runtime once, so that the
/// machine's slow phases (these machines have them, lasting minutes) fall on all runtimes alike
/// and the ratios between them hold. A runtime stops after `budget` of run time (at least one
/// run). node runs in a process of its own, all its runs at once, before the rounds.
///
/// A runtime that fails to compile or instantiate the module, traps, or returns a checksum other
/// than the expected one fails the whole measurement, unless `tolerate_failures`: then that
/// runtime's `Measurement` records the error (no runs) and the others go on. The harness tolerates
/// failures only in the programs that use a proposal a runtime may not implement yet (exception
/// handling), so that one report shows what works.
pub fn measure_case(
    runtimes: &[Runtime],
    programs: &Path,
    case: &Case,
    runs: usize,
    budget: Duration,
    tolerate_failures: bool,
) -> Result<Vec<(Runtime, Measurement)>> {
    let mut prepared = Vec::new();
    let mut failed = Vec::new();
    for runtime in runtimes {
        match prepare(*runtime, programs, case, runs)
            .with_context(|| format!("{} under {}", case.label(), runtime.name()))
        {
            Ok(p) => prepared.push((*runtime, p, Vec::new(), Duration::ZERO, None)),
            Err(e) if tolerate_failures => {
                eprintln!("{e:#}");
                failed.push((*runtime, Measurement::failed(Duration::ZERO, &e)));
            }
            Err(e) => return Err(e),
        }
    }
    for _ in 0..runs {
        for (runtime, p, times, spent, error) in prepared.iter_mut() {
            if error.is_some() || (!times.is_empty() && *spent >= budget) {
                continue;
            }
            let Some(run) = (p.run)() else { continue };
            let checked = run.and_then(|(checksum, time)| {
                if checksum != case.expected {
                    bail!("returned {checksum}, but the expected checksum is {}", case.expected);
                }
                Ok(time)
            });
            match checked.with_context(|| format!("{} under {}", case.label(), runtime.name())) {
                Ok(time) => {
                    times.push(time);
                    *spent += time;
                }
                Err(e) if tolerate_failures => {
                    eprintln!("{e:#}");
                    *error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
    }
    let mut measured: Vec<(Runtime, Measurement)> = prepared
        .into_iter()
        .map(|(runtime, p, runs, _, error)| match error {
            Some(e) => (runtime, Measurement::failed(p.compile, &e)),
            None => (runtime, Measurement { compile: p.compile, runs, error: None }),
        })
        .chain(failed)
        .collect();
    // In the order asked for, whichever failed.
    measured.sort_by_key(|(r, _)| runtimes.iter().position(|x| x == r));
    Ok(measured)
}

/// One runtime ready to run one case: `run` runs it once more and returns the checksum and the
/// time, or `None` when it has no more runs to give.
struct Prepared {
    compile: Duration,
    run: RunOnce,
}

type RunOnce = Box<dyn FnMut() -> Option<Result<(i64, Duration)>>>;

fn prepare(runtime: Runtime, programs: &Path, case: &Case, runs: usize) -> Result<Prepared> {
    match runtime {
        Runtime::Native => {
            let binary = programs.join("native").join(&case.program);
            let entry = case.entry.clone();
            Ok(Prepared { compile: Duration::ZERO, run: Box::new(move || Some(native(&binary, &entry))) })
        }
        Runtime::Node => {
            let (compile, results) = node(programs, case, runs)?;
            let mut results = results.into_iter();
            Ok(Prepared { compile, run: Box::new(move || results.next().map(Ok)) })
        }
        _ => {
            let bytes = module_bytes(programs, &case.program)?;
            let start = Instant::now();
            let mut call = compile(runtime, &bytes, &case.entry)?;
            let compile = start.elapsed();
            Ok(Prepared {
                compile,
                run: Box::new(move || {
                    let start = Instant::now();
                    Some(call().map(|checksum| (checksum, start.elapsed())))
                }),
            })
        }
    }
}

/// The module of a program: `wasm/NAME.wasm` (built by `build.sh`), or for the programs written
/// in the text format, `NAME.wat` assembled here.
pub fn module_bytes(programs: &Path, program: &str) -> Result<Vec<u8>> {
    let wasm = programs.join("wasm").join(format!("{program}.wasm"));
    if wasm.exists() {
        return std::fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()));
    }
    let wat = programs.join(format!("{program}.wat"));
    wat::parse_file(&wat).with_context(|| format!("assembling {}", wat.display()))
}

/// Compiles and instantiates, returning a closure that calls the entry once.
fn compile(runtime: Runtime, bytes: &[u8], entry: &str) -> Result<Box<dyn FnMut() -> Result<i64>>> {
    Ok(match runtime {
        Runtime::Kite(_) | Runtime::KiteUntiered | Runtime::KiteEpochs | Runtime::KiteFuel => {
            let mut config = kite_runtime::Config::new();
            match runtime {
                Runtime::Kite(cc) => {
                    config.tail_cc(cc)?;
                }
                Runtime::KiteUntiered => {
                    config.tier_up_after(None);
                }
                Runtime::KiteEpochs => {
                    config.epoch_interruption(true);
                }
                _ => {
                    config.consume_fuel(true);
                }
            }
            let (mut store, instance) = kite_instance_with(&config, bytes)?;
            if runtime == Runtime::KiteEpochs {
                store.set_epoch_deadline(u64::MAX);
            }
            if runtime == Runtime::KiteFuel {
                store.set_fuel(u64::MAX)?;
            }
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

/// An instance of a module with no imports under kite with calling convention `cc`, and tiering
/// as configured by default or off.
pub fn kite_instance(
    cc: &str,
    tiering: bool,
    bytes: &[u8],
) -> Result<(kite_runtime::Store<()>, kite_runtime::Instance)> {
    let mut config = kite_runtime::Config::new();
    config.tail_cc(cc)?;
    if !tiering {
        config.tier_up_after(None);
    }
    kite_instance_with(&config, bytes)
}

/// An instance of a module with no imports under kite configured by `config`.
pub fn kite_instance_with(
    config: &kite_runtime::Config,
    bytes: &[u8],
) -> Result<(kite_runtime::Store<()>, kite_runtime::Instance)> {
    let engine = kite_runtime::Engine::new(config)?;
    let module = kite_runtime::Module::new(&engine, bytes)?;
    let mut store = kite_runtime::Store::new(&engine, ());
    let instance = kite_runtime::Linker::new(&engine).instantiate(&mut store, &module)?;
    Ok((store, instance))
}

/// The wasmtime configuration of every measurement: tail calls, exception handling (try_table,
/// throw, throw_ref; wasmtime 48 has no legacy try/catch) and parallel compilation on.
pub fn wasmtime_config() -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config.wasm_tail_call(true).wasm_exceptions(true).parallel_compilation(true);
    config
}

/// The same under wasmtime, configured by `wasmtime_config`.
pub fn wasmtime_instance(bytes: &[u8]) -> Result<(wasmtime::Store<()>, wasmtime::Instance)> {
    let engine = wt(wasmtime::Engine::new(&wasmtime_config()))?;
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

/// One run of the native build, which times itself and prints the checksum, then
/// `ns=<elapsed>`.
fn native(binary: &Path, entry: &str) -> Result<(i64, Duration)> {
    let out =
        Command::new(binary).arg(entry).output().with_context(|| format!("running {}", binary.display()))?;
    if !out.status.success() {
        bail!("{} failed", binary.display());
    }
    let text = String::from_utf8(out.stdout)?;
    let mut lines = text.lines();
    let checksum = lines.next().context("no checksum")?.trim().parse()?;
    let ns: u64 = lines.next().and_then(|l| l.strip_prefix("ns=")).context("no ns=")?.trim().parse()?;
    Ok((checksum, Duration::from_nanos(ns)))
}

pub fn node_available() -> bool {
    Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Whether node's V8 accepts the module at `wasm` (`WebAssembly.validate`), for the programs
/// that use a proposal an older node may lack.
pub fn node_validates_file(wasm: &Path) -> bool {
    let script = "process.exit(WebAssembly.validate(require('fs').readFileSync(process.argv[1])) ? 0 : 1)";
    Command::new("node").args(["-e", script]).arg(wasm).status().is_ok_and(|s| s.success())
}

/// Whether node's V8 accepts `wasm/PROGRAM.wasm`.
pub fn node_validates(programs: &Path, program: &str) -> bool {
    node_validates_file(&programs.join("wasm").join(format!("{program}.wasm")))
}

/// The file node runs for a program: `wasm/NAME.wasm`; for a program written in the text format,
/// `NAME.wat` assembled into a temporary file, or `NAME_legacy.wat` where node cannot validate
/// `NAME.wat` but has a legacy form (node 20 implements only legacy exception handling); `None`
/// when node can read neither.
pub fn node_module(programs: &Path, program: &str) -> Result<Option<std::path::PathBuf>> {
    let wasm = programs.join("wasm").join(format!("{program}.wasm"));
    if wasm.exists() {
        return Ok(Some(wasm));
    }
    for name in [program.to_string(), format!("{program}_legacy")] {
        let wat = programs.join(format!("{name}.wat"));
        if !wat.exists() {
            continue;
        }
        let bytes = wat::parse_file(&wat).with_context(|| format!("assembling {}", wat.display()))?;
        let file = std::env::temp_dir().join(format!("kite-bench-{}-{name}.wasm", std::process::id()));
        std::fs::write(&file, bytes).with_context(|| format!("writing {}", file.display()))?;
        if node_validates_file(&file) {
            return Ok(Some(file));
        }
        let _ = std::fs::remove_file(&file);
    }
    Ok(None)
}

/// node compiles and runs in one process; the script prints `compile_ns=`, then `checksum ns`
/// per run.
fn node(programs: &Path, case: &Case, runs: usize) -> Result<(Duration, Vec<(i64, Duration)>)> {
    let script = programs.join("../node_bench.mjs");
    let wasm = node_module(programs, &case.program)?
        .with_context(|| format!("node cannot read any form of {}", case.program))?;
    let out = Command::new("node")
        .arg(&script)
        .arg(&wasm)
        .arg(&case.entry)
        .arg(runs.to_string())
        .output()
        .context("running node");
    if wasm.starts_with(std::env::temp_dir()) {
        let _ = std::fs::remove_file(&wasm);
    }
    let out = out?;
    if !out.status.success() {
        bail!("node failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8(out.stdout)?;
    let mut compile = Duration::ZERO;
    let mut results = Vec::new();
    for line in text.lines() {
        if let Some(ns) = line.strip_prefix("compile_ns=") {
            compile = Duration::from_nanos(ns.trim().parse()?);
        } else if let Some((sum, ns)) = line.split_once(' ') {
            results.push((sum.parse()?, Duration::from_nanos(ns.trim().parse()?)));
        }
    }
    if results.is_empty() {
        bail!("node printed no runs");
    }
    Ok((compile, results))
}

/// wasmtime's own error type, as an `anyhow::Error`.
pub fn wt<T>(result: std::result::Result<T, wasmtime::Error>) -> Result<T> {
    result.map_err(|e| anyhow::anyhow!("{e:?}"))
}
