//! The cost of one dispatch: `benches/micro/dispatch.wat`, 8 handlers with 11 `i32` parameters
//! tail-calling each other through a table that never changes, over a predictable bytecode.
//! There is no native build of it: every runtime must return the same checksum as wasmtime's.

use crate::measure::{Runtime, wt};
use anyhow::{Result, bail};
use std::path::Path;
use std::time::{Duration, Instant};

pub const DISPATCHES: i32 = 100_000_000;

pub struct DispatchCost {
    pub runtime: Runtime,
    /// Nanoseconds.
    pub per_dispatch: f64,
}

pub fn measure(root: &Path, runs: usize) -> Result<Vec<DispatchCost>> {
    let wat = std::fs::read_to_string(root.join("benches/micro/dispatch.wat"))?;
    let bytes = wat::parse_str(&wat)?;
    let mut runtimes: Vec<Runtime> = kite_runtime::conventions().into_iter().map(Runtime::Kite).collect();
    runtimes.extend([Runtime::Wasmtime, Runtime::Wasmi]);
    // Checked on a short run: the checksum depends on n.
    let reference = call(Runtime::Wasmtime, &bytes, 1000)?.0;
    let mut out = Vec::new();
    for runtime in runtimes {
        let n = if runtime == Runtime::Wasmi { DISPATCHES / 10 } else { DISPATCHES };
        let mut times = Vec::new();
        if call(runtime, &bytes, 1000)?.0 != reference {
            bail!("dispatch under {} disagrees with wasmtime", runtime.name());
        }
        for _ in 0..runs.max(1) {
            let (_, time) = call(runtime, &bytes, n)?;
            times.push(time.as_secs_f64() * 1e9 / f64::from(n));
        }
        times.sort_by(f64::total_cmp);
        let per_dispatch = times[times.len() / 2];
        eprintln!("dispatch {:<16} {:>6.2} ns", runtime.name(), per_dispatch);
        out.push(DispatchCost { runtime, per_dispatch });
    }
    Ok(out)
}

/// Compiles, instantiates and runs `run(n)`, returning its checksum and the run's time.
fn call(runtime: Runtime, bytes: &[u8], n: i32) -> Result<(i32, Duration)> {
    match runtime {
        Runtime::Kite(cc) => {
            let mut config = kite_runtime::Config::new();
            config.tail_cc(cc)?;
            let engine = kite_runtime::Engine::new(&config)?;
            let module = kite_runtime::Module::new(&engine, bytes)?;
            let mut store = kite_runtime::Store::new(&engine, ());
            let instance = kite_runtime::Linker::new(&engine).instantiate(&mut store, &module)?;
            let run = instance.get_typed_func::<i32, i32>(&store, "run")?;
            let start = Instant::now();
            let sum = run.call(&mut store, n)?;
            Ok((sum, start.elapsed()))
        }
        Runtime::Wasmtime => {
            let mut config = wasmtime::Config::new();
            config.wasm_tail_call(true);
            let engine = wt(wasmtime::Engine::new(&config))?;
            let module = wt(wasmtime::Module::new(&engine, bytes))?;
            let mut store = wasmtime::Store::new(&engine, ());
            let instance = wt(wasmtime::Instance::new(&mut store, &module, &[]))?;
            let run = wt(instance.get_typed_func::<i32, i32>(&mut store, "run"))?;
            let start = Instant::now();
            let sum = wt(run.call(&mut store, n))?;
            Ok((sum, start.elapsed()))
        }
        Runtime::Wasmi => {
            let engine = wasmi::Engine::default();
            let module = wasmi::Module::new(&engine, bytes)?;
            let mut store = wasmi::Store::new(&engine, ());
            let instance = wasmi::Linker::<()>::new(&engine).instantiate_and_start(&mut store, &module)?;
            let run = instance.get_typed_func::<i32, i32>(&store, "run")?;
            let start = Instant::now();
            let sum = run.call(&mut store, n)?;
            Ok((sum, start.elapsed()))
        }
        _ => bail!("not measured"),
    }
}
