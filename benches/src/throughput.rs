//! Compile throughput: kite and wasmtime compiling the suite's largest module and a generated
//! module of several megabytes, both with parallel compilation, in MB of Wasm per second.

use crate::measure::Runtime;
use anyhow::Result;
use std::fmt::Write;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct Throughput {
    pub module: String,
    pub bytes: usize,
    pub results: Vec<(Runtime, Duration)>,
}

pub fn measure(programs: &Path) -> Result<Vec<Throughput>> {
    let mut largest = (String::new(), Vec::new());
    for entry in std::fs::read_dir(programs.join("wasm"))? {
        let path = entry?.path();
        let bytes = std::fs::read(&path)?;
        if bytes.len() > largest.1.len() {
            largest = (path.file_name().unwrap_or_default().to_string_lossy().into_owned(), bytes);
        }
    }
    let generated = generate(6000);
    let mut out = Vec::new();
    for (module, bytes) in [largest, (format!("generated ({} functions)", 6000), generated)] {
        let mut results = Vec::new();
        for runtime in kite_runtime::conventions().into_iter().map(Runtime::Kite).chain([Runtime::Wasmtime]) {
            let mut times = (0..3).map(|_| compile_time(runtime, &bytes)).collect::<Result<Vec<_>>>()?;
            times.sort();
            eprintln!("compile {module:<28} {:<16} {:>8.1} ms", runtime.name(), crate::ms(times[1]));
            results.push((runtime, times[1]));
        }
        out.push(Throughput { module, bytes: bytes.len(), results });
    }
    Ok(out)
}

fn compile_time(runtime: Runtime, bytes: &[u8]) -> Result<Duration> {
    let start = Instant::now();
    match runtime {
        Runtime::Kite(cc) => {
            let mut config = kite_runtime::Config::new();
            config.tail_cc(cc)?;
            let engine = kite_runtime::Engine::new(&config)?;
            kite_runtime::Module::new(&engine, bytes)?;
        }
        _ => {
            let engine = crate::measure::wt(wasmtime::Engine::new(&crate::measure::wasmtime_config()))?;
            crate::measure::wt(wasmtime::Module::new(&engine, bytes))?;
        }
    }
    Ok(start.elapsed())
}

/// A module of `n` functions of varied shape: loops over memory, arithmetic in all types,
/// calls, indirect calls and a `br_table`, so that every part of the compiler gets work.
pub fn generate(n: usize) -> Vec<u8> {
    let mut wat = String::from("(module (memory 1) (type $t (func (param i32 i64) (result i64)))\n");
    writeln!(
        wat,
        "(table {n} funcref) (elem (i32.const 0) func {})",
        (0..n).map(|i| format!("$f{i}")).collect::<Vec<_>>().join(" ")
    )
    .unwrap();
    for i in 0..n {
        let callee = (i * 7 + 3) % n;
        writeln!(
            wat,
            r#"(func $f{i} (type $t) (local $k i32) (local $acc i64) (local $x f64)
  (local.set $acc (local.get 1))
  (block $done (loop $top
    (br_if $done (i32.ge_u (local.get $k) (i32.and (local.get 0) (i32.const 63))))
    (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const {m})) (i64.load (i32.and (i32.mul (local.get $k) (i32.const 8)) (i32.const 4088)))))
    (i64.store (i32.and (i32.add (local.get $k) (i32.const {i})) (i32.const 4088)) (i64.rotl (local.get $acc) (i64.const 13)))
    (local.set $x (f64.add (local.get $x) (f64.sqrt (f64.convert_i64_s (local.get $acc)))))
    (local.set $k (i32.add (local.get $k) (i32.const 1)))
    (br $top)))
  (block $b2 (block $b1 (block $b0
    (br_table $b0 $b1 $b2 (i32.and (local.get 0) (i32.const 3))))
    (local.set $acc (i64.xor (local.get $acc) (i64.trunc_sat_f64_s (local.get $x)))))
    (if (i32.gt_u (local.get 0) (i32.const 1000))
      (then (local.set $acc (call $f{callee} (i32.shr_u (local.get 0) (i32.const 1)) (local.get $acc))))))
  (if (result i64) (i32.lt_u (local.get 0) (i32.const 5000))
    (then (local.get $acc))
    (else (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (local.get $acc) (i32.const {callee})))))"#,
            m = i * 2 + 1
        )
        .unwrap();
    }
    wat.push(')');
    wat::parse_str(&wat).expect("generated module is valid text")
}
