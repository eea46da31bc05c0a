//! kite's benchmark harness: every program of `benches/programs` under its native build, kite
//! (each calling convention), wasmtime 48.0.8 (same Cranelift), wasmi, and node if installed,
//! measured side by side in one run. Every run's checksum is checked against the native build's,
//! so a fast wrong answer fails loudly; then the cost of one dispatch, compile throughput and
//! start-up (`startup.rs`). Writes `docs/benchmarks.md` and `docs/benchmarks.svg`.
//!
//! Usage: `cargo run --release -p kite-bench -- [--runs N] [--only NAME] [--out DIR]`
//!
//! Only the exception-handling benchmark, quickly, without touching `docs/`:
//! `cargo run --release -p kite-bench -- --only throw_depth --runs 3 --no-wasmi --no-throughput
//! --no-startup --no-dispatch --out /tmp/kite-bench`

mod dispatch;
mod measure;
mod report;
mod startup;
mod throughput;

use anyhow::{Context, Result, bail};
use clap::Parser;
use measure::{Measurement, Runtime};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Parser)]
#[command(about = "Benchmarks kite against native builds and other runtimes")]
pub struct Options {
    /// Measured runs per program and runtime (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Stop repeating a program under one runtime after this many seconds (at least one run).
    #[arg(long, default_value_t = 20)]
    budget_secs: u64,
    /// Only programs whose name (NAME or NAME/ENTRY) contains this.
    #[arg(long)]
    only: Option<String>,
    /// Skip wasmi (an interpreter: slow on these programs).
    #[arg(long)]
    no_wasmi: bool,
    /// Skip the compile-throughput benchmark.
    #[arg(long)]
    no_throughput: bool,
    /// Skip the start-up benchmark.
    #[arg(long)]
    no_startup: bool,
    /// Skip the cost-of-one-dispatch benchmark (its table in docs/calling-conventions.md is then
    /// left as it is).
    #[arg(long)]
    no_dispatch: bool,
    /// Where to write benchmarks.md and benchmarks.svg.
    #[arg(long, default_value = "docs")]
    out: PathBuf,
}

/// One entry point of one program, with the checksum its native build returns.
#[derive(Clone, Debug)]
pub struct Case {
    pub program: String,
    pub entry: String,
    pub expected: i64,
}

impl Case {
    pub fn label(&self) -> String {
        format!("{}/{}", self.program, self.entry)
    }
}

/// The entries measured: the VMs' programs one by one, and the other programs whole. A
/// `NAME_simd` (the same source built with 128-bit SIMD) follows its scalar `NAME`, so the two sit
/// side by side in the tables.
const MEASURED: &[(&str, &str)] = &[
    ("tailvm", "run_fib"),
    ("tailvm", "run_sieve"),
    ("tailvm_ref", "run_fib"),
    ("tailvm_ref", "run_sieve"),
    ("switchvm", "run_fib"),
    ("switchvm", "run_sieve"),
    ("fib", "run"),
    ("hash", "run"),
    ("hash_simd", "run"),
    ("matmul", "run"),
    ("matmul_simd", "run"),
    ("sort", "run"),
    ("nbody", "run"),
    ("nbody_simd", "run"),
    ("utf8", "run"),
    ("utf8_simd", "run"),
    ("wasm3", "run_fib"),
    ("wasm3", "run_sieve"),
    ("largevm", "run_fib"),
    ("largevm", "run_sieve"),
    ("largeswitchvm", "run_fib"),
    ("largeswitchvm", "run_sieve"),
];

/// The programs that need typed function references (`return_call_ref` through a table typed
/// `(ref null $t)`). wasmi 2 does not implement the proposal, and node 20's V8 reads typed
/// references in their pre-standard encoding (it takes `(ref null $t)` for a stringref type): such
/// a runtime is left out of these programs' rows, which the report shows as a dash.
pub const TYPED_REFERENCES: &[&str] = &["tailvm_ref"];

/// The programs that use exception handling (tags, `throw`, `try_table`), written in the text
/// format (`benches/programs/NAME.wat`, assembled by the harness) with no native build, so with
/// the checksum here: (program, entry, checksum). `NAME_legacy.wat` is the same program with
/// legacy `try`/`catch`, which node runs where it cannot validate `NAME.wat` (node 20 implements
/// only legacy exception handling; wasmtime 48 only the new form). wasmi 2 implements neither and
/// is left out. A runtime that fails on these programs (kite until it implements exception
/// handling) gets an error in its cell instead of stopping the run.
pub const EXCEPTIONS: &[(&str, &str, i64)] = &[
    // sum of 3 * (i + 9) for i < 1,000,000: see throw_depth.wat.
    ("throw_depth", "run", 1_500_025_500_000),
];

fn uses_exceptions(program: &str) -> bool {
    EXCEPTIONS.iter().any(|(p, _, _)| *p == program)
}

/// The programs measured with fuel and epochs on too (issue 14's cost table): a tail-calling
/// interpreter small and large, and plain recursion.
const INTERRUPT_COSTED: &[&str] = &["tailvm", "largevm", "fib"];

fn main() -> Result<()> {
    let options = Options::parse();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let programs = root.join("benches/programs");
    ensure_native_builds(&programs)?;
    let cases = read_cases(&programs)?;
    let mut runtimes = vec![Runtime::Native];
    runtimes.extend(kite_runtime::conventions().into_iter().map(Runtime::Kite));
    runtimes.push(Runtime::KiteUntiered);
    runtimes.push(Runtime::Wasmtime);
    if !options.no_wasmi {
        runtimes.push(Runtime::Wasmi);
    }
    if measure::node_available() {
        runtimes.push(Runtime::Node);
    }
    let budget = Duration::from_secs(options.budget_secs);
    let mut results: Vec<(Case, Vec<(Runtime, Measurement)>)> = Vec::new();
    for case in &cases {
        if options.only.as_ref().is_some_and(|o| !case.label().contains(o.as_str())) {
            continue;
        }
        let mut case_runtimes = runtimes.clone();
        let exceptions = uses_exceptions(&case.program);
        if exceptions {
            case_runtimes.retain(|r| match r {
                Runtime::Native | Runtime::Wasmi => false,
                Runtime::Node => match measure::node_module(&programs, &case.program) {
                    Ok(module) => module.is_some(),
                    Err(e) => {
                        eprintln!("{}: {e:#}", case.label());
                        false
                    }
                },
                _ => true,
            });
            for r in runtimes.iter().filter(|r| !case_runtimes.contains(r)) {
                eprintln!(
                    "{}: no exception handling (or no native build) under {}, skipped",
                    case.label(),
                    r.name()
                );
            }
        }
        if TYPED_REFERENCES.contains(&case.program.as_str()) {
            case_runtimes.retain(|r| match r {
                Runtime::Wasmi => false,
                Runtime::Node => measure::node_validates(&programs, &case.program),
                _ => true,
            });
            for r in runtimes.iter().filter(|r| !case_runtimes.contains(r)) {
                eprintln!("{}: {} cannot read typed function references, skipped", case.label(), r.name());
            }
        }
        eprintln!("{}: {} runtimes taking turns, {} rounds", case.label(), case_runtimes.len(), options.runs);
        if INTERRUPT_COSTED.contains(&case.program.as_str()) {
            case_runtimes.extend([Runtime::KiteEpochs, Runtime::KiteFuel]);
        }
        let row = measure::measure_case(&case_runtimes, &programs, case, options.runs, budget, exceptions)?;
        for (runtime, m) in &row {
            match m.median() {
                Some(median) => eprintln!(
                    "{:<20} {:<16} run {:>9.1} ms  compile {:>7.2} ms",
                    case.label(),
                    runtime.name(),
                    ms(median),
                    ms(m.compile)
                ),
                None => eprintln!("{:<20} {:<16} failed", case.label(), runtime.name()),
            }
        }
        results.push((case.clone(), row));
    }
    let dispatch = if options.no_dispatch {
        vec![]
    } else {
        dispatch::measure(&root, options.runs.min(3), !options.no_wasmi)?
    };
    let throughput = if options.no_throughput { vec![] } else { throughput::measure(&programs)? };
    let startup = if options.no_startup { vec![] } else { startup::measure(&programs)? };
    let args = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    let command = if args.is_empty() { String::new() } else { format!(" -- {args}") };
    report::write(&options.out, &results, &dispatch, &throughput, &startup, &command, options.runs)?;
    eprintln!("wrote {}/benchmarks.md and {}/benchmarks.svg", options.out.display(), options.out.display());
    Ok(())
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn read_cases(programs: &Path) -> Result<Vec<Case>> {
    let text = std::fs::read_to_string(programs.join("expected.txt")).context("reading expected.txt")?;
    let mut cases = Vec::new();
    for (program, entry) in MEASURED {
        let line = text
            .lines()
            .find(|l| {
                let mut f = l.split_whitespace();
                f.next() == Some(program) && f.next() == Some(entry)
            })
            .with_context(|| format!("{program} {entry} missing from expected.txt"))?;
        let expected = line.split_whitespace().nth(2).context("checksum")?.parse()?;
        cases.push(Case { program: program.to_string(), entry: entry.to_string(), expected });
    }
    for (program, entry, expected) in EXCEPTIONS {
        cases.push(Case { program: program.to_string(), entry: entry.to_string(), expected: *expected });
    }
    Ok(cases)
}

/// The native builds are not committed: build them (with the same script that built the
/// committed `.wasm` files) when any is missing.
fn ensure_native_builds(programs: &Path) -> Result<()> {
    let missing = MEASURED.iter().any(|(p, _)| !programs.join("native").join(p).exists());
    if missing {
        eprintln!("building the native programs with benches/programs/build.sh");
        let status = std::process::Command::new("bash")
            .arg(programs.join("build.sh"))
            .env("KITE_SKIP_NODE", "1")
            .status()
            .context("running build.sh")?;
        if !status.success() {
            bail!("build.sh failed");
        }
    }
    Ok(())
}
