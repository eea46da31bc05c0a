//! What the test files of this directory share. Each file uses a part of it, so the rest is dead
//! code there.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `kite` binary, started through the runner `KITE_TEST_RUNNER` names if it is set (a program
/// and its arguments, split on whitespace). The AArch64 lane (`scripts/test-aarch64.sh`) sets it to
/// `qemu-aarch64`: an aarch64 binary cannot be exec'd directly where binfmt_misc does not know
/// qemu. Every test that starts `kite` must start it through this.
///
/// Its code cache is a directory of this test process's own (`XDG_CACHE_HOME`), never the
/// user's; tests of the cache pass `--cache-dir`.
pub fn kite_command() -> Command {
    let runner = std::env::var("KITE_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(env!("CARGO_BIN_EXE_kite"));
            command
        }
        None => Command::new(env!("CARGO_BIN_EXE_kite")),
    };
    command.env("XDG_CACHE_HOME", test_cache_home());
    command
}

/// The `XDG_CACHE_HOME` of the `kite` processes this test process starts.
pub fn test_cache_home() -> PathBuf {
    std::env::temp_dir().join(format!("kite-test-cache-{}", std::process::id()))
}

/// The repository's root, where tests run `kite` from.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `kite ARGS...` run from the repository's root.
pub fn kite(args: &[&str]) -> Output {
    kite_command().args(args).current_dir(repo()).output().expect("kite runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
