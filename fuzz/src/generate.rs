//! Test cases from a seed: a wasm-smith module restricted to what kite supports, and the plan
//! of calls (export, arguments) that every side runs on it.

use crate::outcome::Value;
use anyhow::Result;
use arbitrary::Unstructured;
use kite_runtime::ValType;

/// Fuel wasm-smith's termination check gives each instance: loop iterations and function entries
/// before it traps with `unreachable`. Small, so that a spinning loop costs wasmi little.
pub const FUEL: u32 = 1_000;

/// The largest memory a module may declare (and grow to): hashing it after every call stays cheap.
const MAX_MEMORY_BYTES: u64 = 4 * 65536;

/// One call of an exported function.
#[derive(Clone, Debug)]
pub struct Call {
    pub export: String,
    pub args: Vec<Value>,
}

/// The configuration of wasm-smith: WebAssembly 2.0, plus tail calls, multi-memory (up to two
/// memories) and extended constants; no imports (nothing to stub, and wasmi and kite see the
/// same module); everything exported; small modules, so that compiling four times per module
/// leaves time to run them.
///
/// With `simd`, wasm-smith also canonicalizes every float result's NaNs (scalar and vector):
/// a `v128` is compared by its bits, since nobody knows which of its lanes are floats, and Wasm
/// leaves NaN payloads open. Relaxed SIMD stays out: its results may differ by design.
fn smith_config(disallow_traps: bool, simd: bool) -> wasm_smith::Config {
    wasm_smith::Config {
        // kite's features (kite_frontend::module::features).
        bulk_memory_enabled: true,
        multi_value_enabled: true,
        reference_types_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        tail_call_enabled: true,
        extended_const_enabled: true,
        simd_enabled: simd,
        canonicalize_nans: simd,
        // Beyond them.
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        custom_descriptors_enabled: false,
        max_memories: 2,
        max_tables: 2,
        // What to run and compare.
        max_imports: 0,
        export_everything: true,
        allow_start_export: true,
        disallow_traps,
        // Size.
        min_funcs: 2,
        max_funcs: 12,
        max_instructions: 120,
        min_types: 2,
        max_types: 16,
        max_globals: 8,
        max_data_segments: 4,
        max_element_segments: 4,
        max_elements: 16,
        max_memory32_bytes: MAX_MEMORY_BYTES,
        memory_max_size_required: true,
        max_table_elements: 64,
        table_max_size_required: true,
        ..wasm_smith::Config::default()
    }
}

/// Arguments wasm code treats specially more often than random bits hit them.
const INTERESTING_I64: [i64; 10] = [0, 1, -1, 2, 7, 64, i32::MIN as i64, i32::MAX as i64, i64::MIN, i64::MAX];
const INTERESTING_F64: [f64; 8] =
    [0.0, -0.0, 1.0, -1.5, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 4294967296.0];

/// How many times each exported function is called, each time with new arguments.
const ROUNDS: usize = 4;

/// The module of `seed`: wasm-smith's, with its termination check. Half of them have no traps
/// but its own (wasm-smith's `disallow_traps`), so that calls run deeper before trapping; half
/// of them, independently, use SIMD.
pub fn module(seed: u64) -> Result<Vec<u8>> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut bytes = vec![0u8; rng.usize(1024..16384)];
    rng.fill(&mut bytes);
    let config = smith_config(rng.bool(), rng.bool());
    let mut module = wasm_smith::Module::new(config, &mut Unstructured::new(&bytes))?;
    module.ensure_termination(FUEL)?;
    Ok(module.to_bytes())
}

/// Whether a module uses SIMD (a `v128` type or instruction): it fails validation without it.
pub fn uses_simd(wasm: &[u8]) -> bool {
    let without = kite_frontend::module::features()
        - wasmparser::WasmFeatures::SIMD
        - wasmparser::WasmFeatures::RELAXED_SIMD;
    wasmparser::Validator::new_with_features(without).validate_all(wasm).is_err()
}

/// The call plan on the exported functions (name and parameter types, in export order):
/// `ROUNDS` rounds calling each once.
pub fn plan(seed: u64, funcs: &[(String, Vec<ValType>)]) -> Vec<Call> {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed_ca11);
    let mut plan = Vec::new();
    for _ in 0..ROUNDS {
        for (export, params) in funcs {
            let args = params.iter().map(|ty| argument(&mut rng, *ty)).collect();
            plan.push(Call { export: export.clone(), args });
        }
    }
    plan
}

fn argument(rng: &mut fastrand::Rng, ty: ValType) -> Value {
    let interesting = rng.bool();
    let int = if interesting { INTERESTING_I64[rng.usize(..INTERESTING_I64.len())] } else { rng.i64(..) };
    let float =
        if interesting { INTERESTING_F64[rng.usize(..INTERESTING_F64.len())] } else { rng.f64() * 1e6 - 5e5 };
    match ty {
        ValType::I32 => Value::I32(int as i32),
        ValType::I64 => Value::I64(int),
        ValType::F32 => Value::F32((float as f32).to_bits()),
        ValType::F64 => Value::F64(float.to_bits()),
        // Lanes of every width from the same bits; the interesting ones as two i64 lanes.
        ValType::V128 => Value::V128(u128::from(int as u64) | (u128::from(rng.u64(..)) << 64)),
        ValType::Ref(r) if r.heap.is_func() => Value::FuncRef { null: true },
        ValType::Ref(_) => Value::ExternRef { null: true },
    }
}
