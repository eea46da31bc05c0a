//! The `kite` command: run modules, run spec scripts, and show the code kite generates.
//!
//! Every failure ends in one line on stderr and a nonzero exit status; a panic (a bug in kite)
//! is reported the same way instead of as a panic message. Output goes through fallible
//! writes, so a closed pipe ends the command quietly instead of as a panic.

mod compile;
mod disasm;
mod options;
mod run;
mod v128;
mod wast;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "kite", version, about = "A WebAssembly JIT runtime on Cranelift")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a module: its `_start` export, or the export named by --invoke.
    Run(run::RunCommand),
    /// Run WebAssembly spec scripts (.wast).
    Wast(wast::WastCommand),
    /// Compile a module to a file `kite run` loads without compiling (-o), or print the code
    /// kite generates for it (--emit).
    Compile(compile::CompileCommand),
}

/// Exit status for a trap or an uncaught exception, as `wasmtime run` uses: 128 + SIGABRT.
pub const TRAP_EXIT: u8 = 134;

/// Exit status when standard output's reader has gone: 128 + SIGPIPE.
const BROKEN_PIPE_EXIT: u8 = 141;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("error: internal error in kite: {}", message.lines().next().unwrap_or(""));
    }));
    let cli = Cli::parse();
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Run(cmd) => cmd.execute(),
        Command::Wast(cmd) => cmd.execute(),
        Command::Compile(cmd) => cmd.execute(),
    });
    match result {
        Ok(Ok(code)) => code,
        // The reader went away (`kite compile ... | head`): end quietly, with the status of a
        // process that SIGPIPE ended (Rust ignores SIGPIPE, so writes fail instead).
        Ok(Err(error)) if is_broken_pipe(&error) => ExitCode::from(BROKEN_PIPE_EXIT),
        Ok(Err(error)) => {
            let is_trap = error.downcast_ref::<kite_runtime::Trap>().is_some()
                || error.downcast_ref::<kite_runtime::ThrownException>().is_some();
            eprintln!("error: {}", one_line(&error));
            ExitCode::from(if is_trap { TRAP_EXIT } else { 1 })
        }
        Err(_) => ExitCode::from(101),
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// An error and its causes on one line.
pub fn one_line(error: &anyhow::Error) -> String {
    let text = format!("{error:#}");
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}
