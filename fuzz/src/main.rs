//! kite-fuzz: differential fuzzing of kite against wasmi, and of kite's front door with damaged
//! modules.
//!
//! For each seed, wasm-smith makes a module of the features kite supports (`generate`); wasmi
//! runs a plan of calls on it and records every outcome and the exported state after each call
//! (`oracle`); every configuration of kite replays the same calls in parallel and stops at its
//! first disagreement (`kite_side`, compared in `outcome`'s terms). Then damaged copies of the
//! module go through kite's parse, compile and instantiation (`mutate`). A divergence or a
//! panic is written as a `.wast` reproducer (`reproducer`); a crash that kills the process
//! leaves the module it was on in `in-flight.wasm` beside them; a hang is reported by a
//! watchdog.
//!
//! ```sh
//! cargo run --release -p kite-fuzz -- --seconds 120 [--seed S]
//! ```
//!
//! The last line is `N modules, N calls compared, N divergences, N crashes`, where a call
//! counts once per configuration of kite it was compared under; the exit status is nonzero if
//! either of the last two is.

mod crash;
mod generate;
mod kite_side;
mod mutate;
mod oracle;
mod outcome;
mod reproducer;

use anyhow::Result;
use clap::Parser;
use kite_side::{Replay, Side};
use mutate::Verdict;
use oracle::Oracle;
use outcome::Event;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Differential fuzzing of kite against wasmi on wasm-smith modules")]
struct Options {
    /// How long to run.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// The seed of the whole run (default: the clock); the same seed makes the same modules.
    #[arg(long)]
    seed: Option<u64>,
    /// Where reproducers are written.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/reproducers"))]
    out: PathBuf,
    /// Damaged copies of each module fed to kite's parser and compiler (0 turns mutation off).
    #[arg(long, default_value_t = 4)]
    mutants: usize,
    /// Runs this module (`.wat` or `.wasm`) once instead of generated ones, the calls planned
    /// from `--seed` (default 0), printing wasmi's outcomes: for reducing a reproducer by hand.
    /// Its functions must terminate on any arguments, as wasm-smith's do by their fuel.
    #[arg(long)]
    module: Option<PathBuf>,
}

/// A module that takes longer than this on every side together is a hang.
const HANG_AFTER: Duration = Duration::from_secs(120);

/// Reproducers written at most: a bug found once is usually found again and again.
const MAX_REPRODUCERS: usize = 20;

#[derive(Default)]
struct Totals {
    modules: usize,
    /// Modules wasmi rejected: wasm-smith's output outside what both engines support.
    rejected: usize,
    compared: usize,
    /// Modules with a `v128` type or instruction.
    simd: usize,
    skipped: usize,
    divergences: usize,
    crashes: usize,
    reproducers: usize,
    mutants: [usize; 4],
}

impl Totals {
    fn summary(&self) -> String {
        format!(
            "{} modules, {} calls compared, {} divergences, {} crashes",
            self.modules, self.compared, self.divergences, self.crashes
        )
    }
}

/// The state of the run, shared with the watchdog.
struct Run {
    totals: Mutex<Totals>,
    /// The seed of the module being run, and since when.
    current: Mutex<(u64, Instant)>,
    finished: AtomicBool,
    out: PathBuf,
    verbose: bool,
}

fn main() -> Result<()> {
    let options = Options::parse();
    let seed = options.seed.unwrap_or_else(|| match options.module {
        Some(_) => 0,
        None => {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_nanos()
                as u64
        }
    });
    eprintln!("kite-fuzz: seed {seed}, {} s", options.seconds);
    crash::install_hook();
    let run = Run {
        totals: Mutex::default(),
        current: Mutex::new((0, Instant::now())),
        finished: AtomicBool::new(false),
        out: options.out.clone(),
        verbose: options.module.is_some(),
    };
    let oracle = Oracle::new();
    let sides = kite_side::sides();
    let mut seeds = fastrand::Rng::with_seed(seed);
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    std::thread::scope(|scope| -> Result<()> {
        scope.spawn(|| watchdog(&run));
        let result = (|| {
            if let Some(path) = &options.module {
                let wasm = wat::parse_file(path)?;
                return fuzz_module(&run, &oracle, &sides, seed, &wasm, 0);
            }
            while Instant::now() < deadline {
                let module_seed = seeds.u64(..);
                *run.current.lock().expect("current") = (module_seed, Instant::now());
                let wasm = generate::module(module_seed)?;
                fuzz_module(&run, &oracle, &sides, module_seed, &wasm, options.mutants)?;
            }
            Ok(())
        })();
        run.finished.store(true, Ordering::Relaxed);
        result
    })?;
    let totals = run.totals.lock().expect("totals");
    let [rejected, compiled, instantiated, failed] = totals.mutants;
    eprintln!(
        "{} modules with SIMD, {} calls skipped (stack exhausted), {} modules rejected by wasmi; mutants: \
         {rejected} rejected, {compiled} compiled, {instantiated} instantiated, {failed} failed to instantiate",
        totals.simd, totals.skipped, totals.rejected
    );
    println!("{}", totals.summary());
    let _ = std::fs::remove_file(run.out.join("in-flight.wasm"));
    if totals.divergences + totals.crashes > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// One module: run by the oracle, replayed by every side, then damaged. `verbose` prints the
/// oracle's events.
fn fuzz_module(
    run: &Run,
    oracle: &Oracle,
    sides: &[Side],
    seed: u64,
    wasm: &[u8],
    mutants: usize,
) -> Result<()> {
    let verbose = mutants == 0 && run.verbose;
    {
        let mut totals = run.totals.lock().expect("totals");
        totals.modules += 1;
        totals.simd += usize::from(generate::uses_simd(wasm));
    }
    let module = match oracle.compile(wasm) {
        Ok(module) => module,
        Err(error) => {
            if verbose {
                eprintln!("wasmi rejects the module: {error}");
            }
            run.totals.lock().expect("totals").rejected += 1;
            return Ok(());
        }
    };
    in_flight(&run.out, wasm)?;
    let plan = generate::plan(seed, &Oracle::exported_funcs(&module));
    let expected = oracle.run(&module, &plan);
    if verbose {
        for event in &expected {
            match event {
                Event::Instantiate(outcome) => eprintln!("wasmi: instantiate: {outcome:?}"),
                Event::Call { call, outcome, .. } => eprintln!("wasmi: {:?}: {outcome:?}", plan[*call]),
            }
        }
    }
    let replays: Vec<Result<Replay, String>> = std::thread::scope(|scope| {
        let threads: Vec<_> = sides
            .iter()
            .map(|side| {
                std::thread::Builder::new()
                    .stack_size(8 << 20)
                    .spawn_scoped(scope, || crash::catching(|| side.replay(wasm, &plan, &expected)))
                    .expect("a thread")
            })
            .collect();
        threads.into_iter().map(|thread| thread.join().expect("panics are caught")).collect()
    });
    for (side, replay) in sides.iter().zip(replays) {
        let mut totals = run.totals.lock().expect("totals");
        match replay {
            Ok(replay) => {
                totals.compared += replay.compared;
                totals.skipped += replay.skipped;
                if let Some(divergence) = &replay.divergence {
                    totals.divergences += 1;
                    let title =
                        format!("{} diverges from wasmi: {}\nseed {seed}", side.name, divergence.what);
                    let script =
                        reproducer::script(&title, wasm, &plan, &divergent_segment(&expected, &replay));
                    report(run, &mut totals, &format!("{seed}-{}", side.name), &title, &script, wasm)?;
                }
            }
            Err(panic) => {
                totals.crashes += 1;
                let title = format!("{} panics: {panic}\nseed {seed}", side.name);
                let script = reproducer::script(&title, wasm, &plan, &expected);
                report(run, &mut totals, &format!("{seed}-{}-panic", side.name), &title, &script, wasm)?;
            }
        }
    }
    let mut rng = fastrand::Rng::with_seed(seed ^ 0xda4a_6ed0);
    for index in 0..mutants {
        let damaged = mutate::mutant(&mut rng, wasm);
        let side = &sides[index % sides.len()];
        in_flight(&run.out, &damaged)?;
        let verdict = crash::catching(|| mutate::check(side.engine(), &damaged));
        let mut totals = run.totals.lock().expect("totals");
        match verdict {
            Ok(verdict) => {
                let slot =
                    [Verdict::Rejected, Verdict::Compiled, Verdict::Instantiated, Verdict::NotInstantiated];
                totals.mutants[slot.iter().position(|v| *v == verdict).expect("every verdict")] += 1;
            }
            Err(panic) => {
                totals.crashes += 1;
                let title =
                    format!("{} panics on a damaged module: {panic}\nseed {seed}, mutant {index}", side.name);
                let script = reproducer::script(&title, &damaged, &[], &[]);
                report(
                    run,
                    &mut totals,
                    &format!("{seed}-mutant{index}-{}", side.name),
                    &title,
                    &script,
                    &damaged,
                )?;
            }
        }
    }
    Ok(())
}

/// The oracle's events from the fresh instance the divergence happened in up to the divergence,
/// with kite's outcomes where they agreed (their trap messages are kite's) and wasmi's at the
/// divergence. Empty when kite did not compile the module: the script is the module alone.
fn divergent_segment(expected: &[Event], replay: &Replay) -> Vec<Event> {
    let Some(step) = replay.divergence.as_ref().and_then(|d| d.step) else { return vec![] };
    let start = expected[..=step].iter().rposition(|e| matches!(e, Event::Instantiate(_))).unwrap_or(0);
    let mut segment: Vec<Event> = (start..step)
        .map(|index| {
            replay
                .events
                .iter()
                .find(|(at, _)| *at == index)
                .map_or_else(|| expected[index].clone(), |(_, e)| e.clone())
        })
        .collect();
    segment.push(expected[step].clone());
    segment
}

/// Writes the reproducer `stem.wast`, and the module as `stem.wasm` for `--module` (with
/// `--seed` the module's seed, the same calls run again).
fn report(run: &Run, totals: &mut Totals, stem: &str, title: &str, script: &str, wasm: &[u8]) -> Result<()> {
    let first_line = title.lines().next().unwrap_or_default();
    if totals.reproducers >= MAX_REPRODUCERS {
        eprintln!("{first_line} (no more reproducers written)");
        return Ok(());
    }
    totals.reproducers += 1;
    let path = reproducer::write(&run.out, stem, script)?;
    std::fs::write(path.with_extension("wasm"), wasm)?;
    eprintln!("{first_line}\n  reproducer: {}", path.display());
    Ok(())
}

/// Keeps the module kite is working on where a crash that kills the process leaves it.
fn in_flight(out: &Path, wasm: &[u8]) -> Result<()> {
    std::fs::create_dir_all(out)?;
    Ok(std::fs::write(out.join("in-flight.wasm"), wasm)?)
}

/// Ends the process when one module takes longer than [`HANG_AFTER`], as a crash.
fn watchdog(run: &Run) {
    while !run.finished.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_secs(1));
        let (seed, since) = *run.current.lock().expect("current");
        if since.elapsed() > HANG_AFTER {
            let mut totals = run.totals.lock().expect("totals");
            totals.crashes += 1;
            eprintln!(
                "hang: module of seed {seed} has run for {} s; it is in {}",
                since.elapsed().as_secs(),
                run.out.join("in-flight.wasm").display()
            );
            println!("{}", totals.summary());
            std::process::exit(1);
        }
    }
}
