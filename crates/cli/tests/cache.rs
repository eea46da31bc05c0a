//! `kite compile -o` and `kite run`'s code cache, as a user meets them: a precompiled module runs
//! as its source does, whatever its file's name; one for another target or damaged is one line
//! of error; the cache fills once, survives damage and concurrent runs, and a cache that cannot
//! be written is a warning, not a failure.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use support::{kite, kite_command, repo, stderr, stdout, test_cache_home};

/// A fresh, empty directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kite-cache-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A failure as users must see it: exit status 1, one line naming `needle`, no panic.
fn assert_clean_failure(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line expected: {err}");
    assert!(err.contains(needle), "`{needle}` not in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// fib(25) of `examples/fib.wat`, as the recursion defines it.
const FIB_25: &str = "75025\n";

/// The benchmark's tail-calling interpreter: fused groups that tier up at run time.
const TAILVM: &str = "benches/programs/wasm/tailvm.wasm";

/// Its `run_ops` checksum, as its native build prints it (benches/programs/expected.txt).
const TAILVM_CHECKSUM: &str = "7427308886016022094\n";

#[test]
fn a_precompiled_module_runs_as_its_source_whatever_its_name() {
    let dir = temp_dir("precompiled");
    let fib = dir.join("fib.data");
    let o = kite(&["compile", "examples/fib.wat", "-o", fib.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = kite(&["run", "--no-cache", fib.to_str().unwrap(), "--invoke", "fib", "25"]);
    assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), (FIB_25, ""));
    // Compiled for this architecture by name, for its baseline CPU, as on another machine: the
    // features it leaves unused are no obstacle.
    let this_arch = if cfg!(target_arch = "x86_64") { "x86_64" } else { "aarch64" };
    let baseline = dir.join("fib.baseline");
    let o = kite(&["compile", "--target", this_arch, "examples/fib.wat", "-o", baseline.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = kite(&["run", baseline.to_str().unwrap(), "--invoke", "fib", "25"]);
    assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), (FIB_25, ""));
    // A module whose groups tier up, recompiling from the bytes saved with the code.
    let vm = dir.join("tailvm");
    assert!(kite(&["compile", TAILVM, "-o", vm.to_str().unwrap()]).status.success());
    let o = kite(&["run", "--tier-up-after", "1", vm.to_str().unwrap(), "--invoke", "run_ops"]);
    assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), (TAILVM_CHECKSUM, ""));
    let o = kite(&["compile", "examples/fib.wat"]);
    assert_eq!(o.status.code(), Some(2), "a usage error, as clap reports them");
    assert!(stderr(&o).contains("--emit"), "{}", stderr(&o));
}

/// `kite compile --epochs` (or `--fuel`) compiles the checks `kite run --timeout` (`--fuel`)
/// needs; a module saved without them is refused there with a line that says so.
#[test]
fn a_precompiled_module_carries_the_interrupt_checks_it_was_compiled_with() {
    let dir = temp_dir("interrupts");
    let plain = dir.join("fib.plain");
    let epochs = dir.join("fib.epochs");
    assert!(kite(&["compile", "examples/fib.wat", "-o", plain.to_str().unwrap()]).status.success());
    let o = kite(&["compile", "--epochs", "examples/fib.wat", "-o", epochs.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = kite(&["run", "--timeout", "10s", epochs.to_str().unwrap(), "--invoke", "fib", "25"]);
    assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), (FIB_25, ""));
    let o = kite(&["run", "--timeout", "10s", plain.to_str().unwrap(), "--invoke", "fib", "25"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("the engine wants epoch checks"), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
}

#[test]
fn a_precompiled_module_for_another_target_or_damaged_is_one_line_of_error() {
    let dir = temp_dir("refused");
    let (other, other_triple) =
        if cfg!(target_arch = "x86_64") { ("aarch64", "aarch64-") } else { ("x86_64", "x86_64-") };
    let cross = dir.join("cross");
    let o = kite(&["compile", "--target", other, "examples/fib.wat", "-o", cross.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_clean_failure(
        &kite(&["run", cross.to_str().unwrap(), "--invoke", "fib", "1"]),
        &format!("module compiled for {other_triple}"),
    );
    let fib = dir.join("fib");
    assert!(kite(&["compile", "examples/fib.wat", "-o", fib.to_str().unwrap()]).status.success());
    let good = std::fs::read(&fib).unwrap();
    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 1;
    std::fs::write(&fib, flipped).unwrap();
    assert_clean_failure(&kite(&["run", fib.to_str().unwrap(), "--invoke", "fib", "1"]), "checksum mismatch");
    std::fs::write(&fib, &good[..good.len() / 2]).unwrap();
    assert_clean_failure(&kite(&["run", fib.to_str().unwrap(), "--invoke", "fib", "1"]), "truncated");
    // Compiled without fuel checks, it must not run unmetered under --fuel or --timeout.
    std::fs::write(&fib, &good).unwrap();
    for limit in [["--fuel", "1000"], ["--timeout", "1s"]] {
        let o = kite(&["run", limit[0], limit[1], fib.to_str().unwrap(), "--invoke", "fib", "1"]);
        assert_clean_failure(&o, "compiled with no fuel or epoch checks");
    }
}

#[test]
fn the_cache_fills_once_in_xdg_cache_home_and_a_damaged_entry_is_compiled_again() {
    let dir = test_cache_home().join("kite");
    let fib = temp_dir("xdg").join("fib.wat");
    // A module of its own, so that no other test touches its entry.
    let source = std::fs::read_to_string(repo().join("examples/fib.wat")).unwrap();
    std::fs::write(&fib, format!("{source}\n;; {}\n", fib.display())).unwrap();
    let run = || kite(&["run", fib.to_str().unwrap(), "--invoke", "fib", "25"]);
    std::fs::create_dir_all(&dir).unwrap();
    let before = names(&dir);
    assert_eq!(stdout(&run()), FIB_25);
    let added: Vec<String> = names(&dir).into_iter().filter(|n| !before.contains(n)).collect();
    assert_eq!(added.len(), 1, "one entry: {added:?}");
    let entry = dir.join(&added[0]);
    let written = std::fs::read(&entry).unwrap();
    assert_eq!(stdout(&run()), FIB_25);
    let mut damaged = written.clone();
    *damaged.last_mut().unwrap() ^= 1;
    std::fs::write(&entry, &damaged).unwrap();
    let o = run();
    assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), (FIB_25, ""));
    assert_ne!(std::fs::read(&entry).unwrap(), damaged, "replaced by a sound entry");
    let o = kite(&["run", "--no-cache", fib.to_str().unwrap(), "--invoke", "fib", "25"]);
    assert_eq!(stdout(&o), FIB_25);
}

#[test]
fn concurrent_runs_fill_one_entry_whole() {
    let dir = temp_dir("concurrent");
    let children: Vec<_> = (0..4)
        .map(|_| {
            kite_command()
                .args(["run", "--cache-dir", dir.to_str().unwrap(), TAILVM, "--invoke", "run_ops"])
                .current_dir(repo())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("kite runs")
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), (TAILVM_CHECKSUM, ""));
    }
    // An entry, and its recompiled groups if the program tiered up; no temporary file left.
    let entries = names(&dir);
    assert_eq!(entries.iter().filter(|n| n.ends_with(".kite")).count(), 1, "{entries:?}");
    assert!(entries.iter().all(|n| n.ends_with(".kite") || n.ends_with(".groups")), "{entries:?}");
    let o = kite(&["run", "--cache-dir", dir.to_str().unwrap(), TAILVM, "--invoke", "run_ops"]);
    assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), (TAILVM_CHECKSUM, ""));
    assert_eq!(names(&dir), entries);
}

#[test]
fn an_unwritable_cache_is_a_warning_and_the_run_goes_on() {
    // Beneath a file: no directory can be made there, whoever runs the test (root included).
    let file = temp_dir("unwritable").join("file");
    std::fs::write(&file, b"").unwrap();
    let cache = file.join("cache");
    let o =
        kite(&["run", "--cache-dir", cache.to_str().unwrap(), "examples/fib.wat", "--invoke", "fib", "25"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), FIB_25);
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("warning: code cache not written: cannot create"), "{err}");
}

#[test]
fn run_help_lists_the_cache_options() {
    let help = stdout(&kite(&["run", "--help"]));
    for option in ["--cache-dir <DIR>", "--no-cache", "--cache-max-size <SIZE>"] {
        assert!(help.contains(option), "{option} missing: {help}");
    }
}
