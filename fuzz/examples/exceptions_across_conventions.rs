//! Exception handling under wasm-smith: modules with tags, `throw`, `throw_ref` and
//! `try_table`, run under every calling convention of kite (and `fused` tiering up), each
//! export called three times, outcomes compared with `baseline`'s. The fuzzer proper compares
//! with wasmi, which has no exception handling; this compares kite with itself, and catches
//! crashes of the unwinder and the exception collector.
//!
//! ```sh
//! cargo run --release -p kite-fuzz --example exceptions_across_conventions -- [COUNT [FIRST_SEED]]
//! ```
//!
//! A module whose outcomes differ is written to `/tmp/exceptions-divergence-SEED.wasm`.
use arbitrary::Unstructured;
use kite_runtime::{Config, Engine, Linker, Module, Store, Val, ValType};

fn outcome(engine: &Engine, wasm: &[u8]) -> Vec<String> {
    let mut out = vec![];
    let module = match Module::new(engine, wasm) {
        Ok(m) => m,
        Err(e) => return vec![format!("compile: {e}")],
    };
    let mut store = Store::new(engine, ());
    let instance = match Linker::new(engine).instantiate(&mut store, &module) {
        Ok(i) => i,
        Err(e) => return vec![format!("instantiate: {}", e.to_string().lines().next().unwrap_or(""))],
    };
    for round in 0..3 {
        for (name, ext) in instance.exports(&store) {
            let Some(f) = ext.into_func() else { continue };
            let ty = f.ty(&store);
            let args: Vec<Val> = ty
                .params
                .iter()
                .map(|t| match t {
                    ValType::I32 => Val::I32(round),
                    ValType::I64 => Val::I64(round as i64),
                    other => Val::default_for(*other),
                })
                .collect();
            let r = f.call(&mut store, &args);
            out.push(match r {
                Ok(vals) => format!(
                    "{name}: {:?}",
                    vals.iter()
                        .map(|v| match v {
                            Val::ExnRef(e) => format!("exn {}", e.is_some()),
                            Val::FuncRef(f) => format!("func {}", f.is_some()),
                            Val::ExternRef(e) => format!("ext {}", e.is_some()),
                            Val::F32(b) if f32::from_bits(*b).is_nan() => "nan".into(),
                            Val::F64(b) if f64::from_bits(*b).is_nan() => "nan".into(),
                            v => format!("{v:?}"),
                        })
                        .collect::<Vec<_>>()
                ),
                Err(e) => {
                    let s = e.to_string();
                    if s.contains("call stack exhausted") {
                        format!("{name}: stack")
                    } else {
                        format!("{name}: err {}", s.split(" (in").next().unwrap())
                    }
                }
            });
        }
    }
    out
}

fn main() {
    let n: u64 = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(300);
    let start: u64 = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(0);
    let engines: Vec<(&str, Engine)> = ["baseline", "wide", "fused"]
        .iter()
        .map(|cc| {
            let mut c = Config::new();
            c.tail_cc(cc).unwrap();
            (*cc, Engine::new(&c).unwrap())
        })
        .collect();
    let mut tiering = Config::new();
    tiering.tail_cc("fused").unwrap().tier_up_after(Some(2));
    let engines: Vec<(&str, Engine)> =
        engines.into_iter().chain([("fused_tiering", Engine::new(&tiering).unwrap())]).collect();
    let (mut with_eh, mut diverged, mut uncaught, mut calls) = (0, 0, 0, 0);
    for seed in start..start + n {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut bytes = vec![0u8; rng.usize(1024..16384)];
        rng.fill(&mut bytes);
        let config = wasm_smith::Config {
            exceptions_enabled: true,
            tail_call_enabled: true,
            reference_types_enabled: true,
            bulk_memory_enabled: true,
            multi_value_enabled: true,
            saturating_float_to_int_enabled: true,
            sign_extension_ops_enabled: true,
            simd_enabled: false,
            relaxed_simd_enabled: false,
            gc_enabled: false,
            memory64_enabled: false,
            threads_enabled: false,
            custom_page_sizes_enabled: false,
            wide_arithmetic_enabled: false,
            shared_everything_threads_enabled: false,
            custom_descriptors_enabled: false,
            max_imports: 0,
            export_everything: true,
            min_funcs: 2,
            max_funcs: 12,
            max_instructions: 150,
            max_memory32_bytes: 4 * 65536,
            memory_max_size_required: true,
            max_table_elements: 64,
            table_max_size_required: true,
            max_memories: 1,
            max_tables: 2,
            min_tags: 1,
            max_tags: 4,
            ..wasm_smith::Config::default()
        };
        let Ok(mut module) = wasm_smith::Module::new(config, &mut Unstructured::new(&bytes)) else {
            continue;
        };
        if module.ensure_termination(1000).is_err() {
            continue;
        }
        let wasm = module.to_bytes();
        let printed = wasmprinter::print_bytes(&wasm).unwrap_or_default();
        if printed.contains("try_table") || printed.contains("throw") {
            with_eh += 1;
        }
        let results: Vec<Vec<String>> = engines.iter().map(|(_, e)| outcome(e, &wasm)).collect();
        calls += results[0].len();
        uncaught += results[0].iter().filter(|r| r.contains("uncaught exception")).count();
        for (i, (name, _)) in engines.iter().enumerate().skip(1) {
            if results[i] != results[0] {
                diverged += 1;
                std::fs::write(format!("/tmp/exceptions-divergence-{seed}.wasm"), &wasm).unwrap();
                let d = results[0].iter().zip(&results[i]).find(|(a, b)| a != b);
                eprintln!("seed {seed}: {name} differs from baseline: {d:?}");
                break;
            }
        }
    }
    println!(
        "{n} modules, {with_eh} with try_table/throw, {calls} calls, {uncaught} ended by an uncaught exception, {diverged} diverged"
    );
}
