//! What the test files of this directory share.

use std::process::Command;

/// The `kite` binary, started through the runner `KITE_TEST_RUNNER` names if it is set (a program
/// and its arguments, split on whitespace). The AArch64 lane (`scripts/test-aarch64.sh`) sets it to
/// `qemu-aarch64`: an aarch64 binary cannot be exec'd directly where binfmt_misc does not know
/// qemu. Every test that starts `kite` must start it through this.
pub fn kite_command() -> Command {
    let runner = std::env::var("KITE_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(env!("CARGO_BIN_EXE_kite"));
            command
        }
        None => Command::new(env!("CARGO_BIN_EXE_kite")),
    }
}
