//! `kite run [OPTIONS] MODULE [ARGS...]`.
//!
//! A module that imports `wasi_snapshot_preview1` runs as a WASI program, as under `wasmtime
//! run`: ARGS are its arguments (its `argv[0]` is MODULE as given), stdin, stdout and stderr are
//! this process's, `--env` and `--dir` give it variables and directories, and its `proc_exit`
//! code is kite's exit status. With `--invoke NAME`, ARGS are the function's arguments instead.
//!
//! MODULE may be compiled already (`kite compile -o`), which its first bytes tell. Otherwise the
//! module is taken from the code cache if it was compiled before, and saved there if not
//! (`--cache-dir`, `--no-cache`, `--cache-max-size`); a cache that cannot be written is a
//! warning on stderr, and the run goes on.
//!
//! kite's own options may also follow MODULE, before the first program argument (`kite run
//! fib.wat --invoke fib 30`); everything from the first other argument on, or after `--`, is the
//! program's.

use crate::options::{CacheOptions, CommonOptions, LimitOptions, WasiOptions, parse_duration};
use anyhow::{Context, Result, bail};
use clap::Args;
use kite_runtime::{Engine, Linker, Module, ProfilingStrategy, Store, Val, ValType};
use kite_wasi::{I32Exit, WasiCtx};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The values of `--profile`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Profile {
    Perfmap,
    Jitdump,
}

#[derive(Args)]
pub struct RunCommand {
    #[command(flatten)]
    common: CommonOptions,
    #[command(flatten)]
    wasi: WasiOptions,
    #[command(flatten)]
    limits: LimitOptions,
    /// Give the guest this much fuel: every operator it runs costs one unit (but nop, drop,
    /// block, loop, else, end), and it traps with "all fuel consumed" when none is left.
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Interrupt the guest with a trap ("interrupted") once it has run this long (`1.5s`,
    /// `200ms`); checked at function entries, loop headers and tail calls.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<std::time::Duration>,
    /// Tell a profiler about the JIT code: `perfmap` writes /tmp/perf-PID.map (for `perf
    /// report`), `jitdump` writes jit-PID.dump here (for `perf record -k mono` and `perf inject
    /// --jit`).
    #[arg(long, value_name = "perfmap|jitdump")]
    profile: Option<Profile>,
    #[command(flatten)]
    cache: CacheOptions,
    /// Call this export instead of `_start`, with ARGS parsed by its parameter types.
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,
    /// The module: binary (.wasm), text (.wat), or compiled by `kite compile -o`.
    module: PathBuf,
    /// The program's arguments, or with --invoke the function's.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

impl RunCommand {
    pub fn execute(self) -> Result<ExitCode> {
        let mut config = self.common.config()?;
        self.limits.apply(&mut config);
        config.consume_fuel(self.fuel.is_some());
        config.epoch_interruption(self.timeout.is_some());
        config.profiler(match self.profile {
            None => ProfilingStrategy::None,
            Some(Profile::Perfmap) => ProfilingStrategy::PerfMap,
            Some(Profile::Jitdump) => ProfilingStrategy::JitDump,
        });
        self.cache.apply(&mut config);
        let engine = Engine::new(&config)?;
        let module = if starts_precompiled(&self.module) {
            // SAFETY: the user asks to run this file, which is code whatever its form; a
            // damaged one fails its checksum.
            unsafe { Module::deserialize_file(&engine, &self.module)? }
        } else {
            Module::from_file(&engine, &self.module)?
        };
        print_warnings(&engine);
        let result = self.run_module(&engine, &module);
        // Tiering up saves its profile to the cache, which may fail as well.
        print_warnings(&engine);
        result
    }

    fn run_module(&self, engine: &Engine, module: &Module) -> Result<ExitCode> {
        let uses_wasi = module.imports().any(|(m, _, _)| m == kite_wasi::MODULE);
        let wasi = self.wasi_ctx(uses_wasi)?;
        let mut store = Store::new(engine, wasi);
        if let Some(fuel) = self.fuel {
            store.set_fuel(fuel)?;
        }
        if let Some(timeout) = self.timeout {
            // The deadline is the next epoch, which a timer thread starts when the time is up
            // (it dies with the process if the guest finishes first). It covers
            // instantiation too: a start function may loop forever.
            store.set_epoch_deadline(1);
            let engine = engine.clone();
            std::thread::spawn(move || {
                std::thread::sleep(timeout);
                engine.increment_epoch();
            });
        }
        let mut linker = Linker::new(engine);
        if uses_wasi {
            kite_wasi::add_to_linker(&mut linker, |wasi: &mut WasiCtx| wasi);
        }
        let instance = match linker.instantiate(&mut store, module) {
            Ok(instance) => instance,
            Err(e) => return exit_status(e),
        };
        let name = match &self.invoke {
            Some(name) => name.as_str(),
            None if instance.get_func(&store, "_start").is_some() => "_start",
            None => return Ok(ExitCode::SUCCESS),
        };
        let func =
            instance.get_func(&store, name).with_context(|| format!("no exported function `{name}`"))?;
        let ty = func.ty(&store);
        if self.invoke.is_none() && !self.args.is_empty() && !uses_wasi {
            bail!("arguments given without --invoke");
        }
        let args = if self.invoke.is_some() { &self.args[..] } else { &[] };
        if args.len() != ty.params.len() {
            bail!("`{name}` takes {} arguments, {} given", ty.params.len(), args.len());
        }
        let args = ty.params.iter().zip(args).map(|(t, a)| parse_arg(*t, a)).collect::<Result<Vec<_>>>()?;
        match func.call(&mut store, &args) {
            Ok(results) => {
                let mut out = std::io::stdout().lock();
                for value in results {
                    writeln!(out, "{}", format_val(&value))?;
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => exit_status(e),
        }
    }

    /// The WASI context of the program: its arguments, environment, directories and our stdio.
    fn wasi_ctx(&self, uses_wasi: bool) -> Result<WasiCtx> {
        let mut builder = WasiCtx::builder();
        if !uses_wasi {
            return Ok(builder.build());
        }
        builder.inherit_stdio();
        builder.arg(&self.module)?;
        if self.invoke.is_none() {
            builder.args(&self.args)?;
        }
        for (name, value) in self.wasi.env_pairs()? {
            builder.env(name, value)?;
        }
        for (host, guest) in self.wasi.dir_pairs() {
            builder.preopened_dir(host, guest)?;
        }
        Ok(builder.build())
    }
}

/// Warnings from the engine (the code cache could not be written), one line each on stderr.
fn print_warnings(engine: &Engine) {
    for warning in engine.take_warnings() {
        eprintln!("warning: {warning}");
    }
}

/// Whether the file at `path` is a compiled module (by its first bytes, whatever its name).
/// One that cannot be read is left to the loader to report.
fn starts_precompiled(path: &Path) -> bool {
    let mut head = [0; kite_runtime::artifact::MAGIC.len()];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok()
        && kite_runtime::is_precompiled(&head)
}

/// How a run that ended in `error` ends: the guest's `proc_exit` code, or the error itself
/// (a trap, which `main` reports with status 134).
fn exit_status(error: anyhow::Error) -> Result<ExitCode> {
    match error.downcast_ref::<I32Exit>() {
        Some(I32Exit(code)) => Ok(ExitCode::from(*code as u8)),
        None => Err(error),
    }
}

fn parse_arg(ty: ValType, text: &str) -> Result<Val> {
    let bad = || format!("invalid {ty} argument `{text}`");
    Ok(match ty {
        ValType::I32 => Val::I32(
            parse_int(text)
                .and_then(|v| i32::try_from(v).ok().or_else(|| u32::try_from(v).ok().map(|u| u as i32)))
                .with_context(bad)?,
        ),
        ValType::I64 => Val::I64(
            parse_int(text)
                .and_then(|v| i64::try_from(v).ok().or_else(|| u64::try_from(v).ok().map(|u| u as i64)))
                .with_context(bad)?,
        ),
        ValType::F32 => Val::from(text.parse::<f32>().ok().with_context(bad)?),
        ValType::F64 => Val::from(text.parse::<f64>().ok().with_context(bad)?),
        ValType::V128 => Val::V128(
            crate::v128::parse(text)
                .with_context(|| format!("invalid v128 argument `{text}` (expected e.g. `i32x4 1 2 3 4`)"))?
                .into(),
        ),
        ValType::Ref(_) => bail!("cannot pass a {ty} from the command line"),
    })
}

/// An integer argument: decimal or `0x` hex, with an optional `-`.
pub(crate) fn parse_int(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let value = match digits.strip_prefix("0x") {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i128>().ok()?,
    };
    Some(if negative { -value } else { value })
}

fn format_val(value: &Val) -> String {
    match value {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(bits) => f32::from_bits(*bits).to_string(),
        Val::F64(bits) => f64::from_bits(*bits).to_string(),
        Val::V128(x) => crate::v128::format(x.as_u128()),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) => "null".into(),
        Val::FuncRef(Some(_)) => "funcref".into(),
        Val::ExternRef(Some(_)) => "externref".into(),
        Val::ExnRef(Some(_)) => "exnref".into(),
    }
}
