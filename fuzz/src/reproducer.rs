//! Reproducers: a divergence or crash written as a `.wast` script that `kite wast` runs, the
//! module as `(module binary ...)` and each call as the assertion of what should happen.

use crate::generate::Call;
use crate::outcome::{Event, Outcome, Value};
use anyhow::{Context, Result};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A script of `expected` events on `wasm`, headed by `title` and the module's text as comments. Each
/// [`Event::Instantiate`] is a `(module binary ...)`; the last event's exported globals are
/// asserted too.
pub fn script(title: &str, wasm: &[u8], plan: &[Call], expected: &[Event]) -> String {
    let mut out = String::new();
    for line in title.lines() {
        writeln!(out, ";; {line}").expect("a String takes any write");
    }
    // The module as text, for reading: the binary below is what runs.
    match wasmprinter::print_bytes(wasm) {
        Ok(text) => text.lines().for_each(|line| writeln!(out, ";;   {line}").expect("write")),
        Err(error) => writeln!(out, ";; (not printable: {error})").expect("write"),
    }
    if expected.is_empty() {
        out.push_str(&module(wasm));
        out.push('\n');
    }
    for (index, event) in expected.iter().enumerate() {
        match event {
            Event::Instantiate(Outcome::Trapped(kind)) => {
                writeln!(out, "(assert_trap {} \"{}\")", module(wasm), kind.message()).expect("write");
            }
            Event::Instantiate(outcome) => {
                if !matches!(outcome, Outcome::Returned(_)) {
                    writeln!(out, ";; instantiation: {outcome:?}").expect("write");
                }
                writeln!(out, "{}", module(wasm)).expect("write");
            }
            Event::Call { call, outcome, state } => {
                let invoke = invoke(&plan[*call]);
                let line = match outcome {
                    Outcome::Returned(values) => {
                        let values: Vec<String> = values.iter().map(result).collect();
                        format!("(assert_return {invoke} {})", values.join(" "))
                    }
                    Outcome::Trapped(kind) => format!("(assert_trap {invoke} \"{}\")", kind.message()),
                    Outcome::Exhausted => format!("(assert_exhaustion {invoke} \"call stack exhausted\")"),
                    Outcome::Failed(message) => format!(";; fails: {message}\n{invoke}"),
                };
                writeln!(out, "{line}").expect("write");
                if index + 1 == expected.len() {
                    for (name, value) in &state.globals {
                        writeln!(out, "(assert_return (get {}) {})", string(name.as_bytes()), result(value))
                            .expect("write");
                    }
                }
            }
        }
    }
    out
}

/// Writes `text` to `dir/stem.wast`, creating `dir`.
pub fn write(dir: &Path, stem: &str, text: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let path = dir.join(format!("{stem}.wast"));
    std::fs::write(&path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(path)
}

fn module(wasm: &[u8]) -> String {
    let lines: Vec<String> = wasm.chunks(32).map(|chunk| format!("  {}", string(chunk))).collect();
    format!("(module binary\n{})", lines.join("\n"))
}

/// A wast string literal of any bytes.
fn string(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for byte in bytes {
        write!(out, "\\{byte:02x}").expect("write");
    }
    out.push('"');
    out
}

fn invoke(call: &Call) -> String {
    let args: Vec<String> = call.args.iter().map(argument).collect();
    format!("(invoke {} {})", string(call.export.as_bytes()), args.join(" "))
}

fn argument(value: &Value) -> String {
    match *value {
        Value::I32(x) => format!("(i32.const {x})"),
        Value::I64(x) => format!("(i64.const {x})"),
        Value::F32(bits) => {
            format!("(f32.const {})", float(f64::from(f32::from_bits(bits)), u64::from(bits), 23))
        }
        Value::F64(bits) => format!("(f64.const {})", float(f64::from_bits(bits), bits, 52)),
        Value::V128(bits) => format!("(v128.const i64x2 0x{:x} 0x{:x})", bits as u64, (bits >> 64) as u64),
        Value::FuncRef { .. } => "(ref.null func)".to_string(),
        Value::ExternRef { .. } => "(ref.null extern)".to_string(),
    }
}

/// An expected result: a quiet NaN matches any arithmetic NaN, as the comparison does not look
/// at payloads.
fn result(value: &Value) -> String {
    let quiet = |bits: u64, mantissa: u32| f64::from_bits(bits).is_nan() && bits >> (mantissa - 1) & 1 == 1;
    match *value {
        Value::F32(bits) if f32::from_bits(bits).is_nan() && bits >> 22 & 1 == 1 => {
            "(f32.const nan:arithmetic)".to_string()
        }
        Value::F64(bits) if quiet(bits, 52) => "(f64.const nan:arithmetic)".to_string(),
        Value::FuncRef { null: false } => "(ref.func)".to_string(),
        Value::ExternRef { null: false } => "(ref.extern)".to_string(),
        other => argument(&other),
    }
}

/// A float literal with exactly these bits: decimal when it is a number, `nan:0x...` with its
/// payload (`mantissa` bits wide) when it is not.
fn float(value: f64, bits: u64, mantissa: u32) -> String {
    if value.is_nan() {
        let sign = if bits >> (mantissa + if mantissa == 23 { 8 } else { 11 }) & 1 == 1 { "-" } else { "" };
        format!("{sign}nan:0x{:x}", bits & ((1 << mantissa) - 1))
    } else if value.is_infinite() {
        if value < 0.0 { "-inf" } else { "inf" }.to_string()
    } else if mantissa == 23 {
        format!("{:e}", value as f32)
    } else {
        format!("{value:e}")
    }
}
