//! The cost of one dispatch: `benches/micro/dispatch.wat`, 8 handlers with 11 `i32` parameters
//! tail-calling each other through a table that never changes, over a predictable bytecode.
//! There is no native build of it: every runtime must return the same checksum as wasmtime's.

use crate::measure::{Runtime, kite_instance, wasmi_instance, wasmtime_instance, wt};
use anyhow::{Result, bail};
use std::path::Path;
use std::time::{Duration, Instant};

pub const DISPATCHES: i32 = 100_000_000;

pub struct DispatchCost {
    pub runtime: Runtime,
    /// Nanoseconds.
    pub per_dispatch: f64,
}

pub fn measure(root: &Path, runs: usize, with_wasmi: bool) -> Result<Vec<DispatchCost>> {
    let wat = std::fs::read_to_string(root.join("benches/micro/dispatch.wat"))?;
    let bytes = wat::parse_str(&wat)?;
    let mut runtimes: Vec<Runtime> = kite_runtime::conventions().into_iter().map(Runtime::Kite).collect();
    runtimes.push(Runtime::Wasmtime);
    if with_wasmi {
        runtimes.push(Runtime::Wasmi);
    }
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
            let (mut store, instance) = kite_instance(cc, true, bytes)?;
            let run = instance.get_typed_func::<i32, i32>(&store, "run")?;
            let start = Instant::now();
            let sum = run.call(&mut store, n)?;
            Ok((sum, start.elapsed()))
        }
        Runtime::Wasmtime => {
            let (mut store, instance) = wasmtime_instance(bytes)?;
            let run = wt(instance.get_typed_func::<i32, i32>(&mut store, "run"))?;
            let start = Instant::now();
            let sum = wt(run.call(&mut store, n))?;
            Ok((sum, start.elapsed()))
        }
        Runtime::Wasmi => {
            let (mut store, instance) = wasmi_instance(bytes)?;
            let run = instance.get_typed_func::<i32, i32>(&store, "run")?;
            let start = Instant::now();
            let sum = run.call(&mut store, n)?;
            Ok((sum, start.elapsed()))
        }
        _ => bail!("not measured"),
    }
}
