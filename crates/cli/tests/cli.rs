//! The `kite` command as a user runs it: real runs, and every kind of bad input ending in one line
//! on stderr, a nonzero exit status and no panic.
//!
//! These tests live beside the binary because cargo hands a test the path of a binary
//! (`CARGO_BIN_EXE_kite`) only within the binary's own package.

mod support;

use std::path::PathBuf;
use std::process::Output;
use support::{kite, kite_command, repo, stderr, stdout};

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kite-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// A failure as users must see it: exit status `code`, one line naming `needle`, no panic.
fn assert_clean_failure(o: &Output, code: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line expected: {err}");
    assert!(err.contains(needle), "`{needle}` not in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn runs_the_fib_example() {
    let o = kite(&["run", "examples/fib.wat", "--invoke", "fib", "30"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "832040\n");
}

#[test]
fn prints_one_result_per_line_and_parses_arguments_by_type() {
    let wat = temp_file(
        "multi.wat",
        br#"(module (func (export "f") (param i64 f32 i32) (result i64 f64 i32)
              (local.get 0) (f64.promote_f32 (local.get 1)) (local.get 2)))"#,
    );
    let o = kite(&["run", wat.to_str().unwrap(), "--invoke", "f", "-5", "1.5", "0xff"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "-5\n1.5\n255\n");
}

#[test]
fn v128_arguments_and_results_in_the_spec_text_syntax() {
    let wat = temp_file(
        "v128.wat",
        br#"(module (func (export "f") (param v128 v128) (result v128)
              (i16x8.sub (local.get 0) (local.get 1))))"#,
    );
    let o =
        kite(&["run", wat.to_str().unwrap(), "--invoke", "f", "i32x4 5 6 7 8", "i16x8 1 0 2 0 3 0 -1 -1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The subtraction is per 16-bit lane: i32 lane 3 is the i16 lanes (8, 0) minus (-1, -1),
    // that is (9, 1), or 9 + 65536.
    assert_eq!(stdout(&o), "i32x4 4 4 4 65545\n");
    assert_clean_failure(
        &kite(&["run", wat.to_str().unwrap(), "--invoke", "f", "i32x4 1 2 3", "i32x4 1 2 3 4"]),
        1,
        "invalid v128 argument `i32x4 1 2 3`",
    );
}

/// `--pooling`: memories come from a pool whose slots have no guard pages; an access past a
/// memory's length still traps (a bounds check in the code), though the slot's bytes go on.
#[test]
fn pooled_memories_check_their_bounds() {
    let wat =
        br#"(module (memory 1) (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#;
    let module = temp_file("pooled.wat", wat);
    let module = module.to_str().unwrap();
    for cc in ["baseline", "wide", "fused"] {
        let o =
            kite(&["run", "--no-cache", "--pooling", "--tail-cc", cc, module, "--invoke", "load", "65532"]);
        assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), ("0\n", ""), "under {cc}");
        let o =
            kite(&["run", "--no-cache", "--pooling", "--tail-cc", cc, module, "--invoke", "load", "65533"]);
        assert_clean_failure(&o, 134, "out of bounds memory access");
    }
}

#[test]
fn runs_start_without_invoke() {
    let wat = temp_file("start.wat", br#"(module (func (export "_start")))"#);
    let o = kite(&["run", wat.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn missing_file() {
    assert_clean_failure(&kite(&["run", "no/such/file.wasm"]), 1, "no/such/file.wasm");
}

#[test]
fn malformed_module() {
    let path = temp_file("bad.wasm", b"\0asm\x01\0\0\0\x05\x03");
    assert_clean_failure(&kite(&["run", path.to_str().unwrap()]), 1, "error");
}

#[test]
fn invalid_module() {
    let path = temp_file("invalid.wat", b"(module (func (result i32) (i64.const 1)))");
    let o = kite(&["run", path.to_str().unwrap()]);
    assert_clean_failure(&o, 1, "type mismatch");
    assert_eq!(stderr(&o).matches("type mismatch").count(), 1, "said once: {}", stderr(&o));
}

#[test]
fn text_that_does_not_parse() {
    let path = temp_file("garbage.wat", b"(module (func (oops)))");
    assert_clean_failure(&kite(&["run", path.to_str().unwrap()]), 1, "garbage.wat");
}

#[test]
fn wrong_argument_count_and_type() {
    assert_clean_failure(&kite(&["run", "examples/fib.wat", "--invoke", "fib"]), 1, "takes 1 argument");
    assert_clean_failure(
        &kite(&["run", "examples/fib.wat", "--invoke", "fib", "x"]),
        1,
        "invalid i32 argument `x`",
    );
    assert_clean_failure(
        &kite(&["run", "examples/fib.wat", "--invoke", "fib", "1", "2"]),
        1,
        "takes 1 argument",
    );
}

#[test]
fn unknown_export() {
    assert_clean_failure(
        &kite(&["run", "examples/fib.wat", "--invoke", "nope"]),
        1,
        "no exported function `nope`",
    );
}

#[test]
fn unknown_import() {
    let path = temp_file("import.wat", br#"(module (import "env" "f" (func)))"#);
    assert_clean_failure(&kite(&["run", path.to_str().unwrap()]), 1, "unknown import");
}

#[test]
fn a_trap_exits_134_with_its_message() {
    let path = temp_file(
        "trap.wat",
        br#"(module (func $boom (export "boom") (result i32) (i32.div_u (i32.const 1) (i32.const 0))))"#,
    );
    let o = kite(&["run", path.to_str().unwrap(), "--invoke", "boom"]);
    assert_clean_failure(&o, 134, "integer divide by zero");
    assert!(stderr(&o).contains("boom"), "{}", stderr(&o));
}

#[test]
fn stack_overflow_is_a_trap_not_a_crash() {
    let path = temp_file("deep.wat", br#"(module (func $f (export "f") (call $f)))"#);
    assert_clean_failure(
        &kite(&["run", path.to_str().unwrap(), "--invoke", "f"]),
        134,
        "call stack exhausted",
    );
}

#[test]
fn unknown_convention() {
    assert_clean_failure(
        &kite(&["run", "--tail-cc", "nope", "examples/fib.wat"]),
        1,
        "unknown calling convention",
    );
}

#[test]
fn wast_reports_counts_and_fails_on_a_failure() {
    let good = temp_file(
        "good.wast",
        br#"(module (func (export "f") (result i32) (i32.const 1)))
        (assert_return (invoke "f") (i32.const 1))
        (assert_trap (module (func $s unreachable) (start $s)) "unreachable")"#,
    );
    let o = kite(&["wast", good.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert_eq!(stdout(&o).lines().last(), Some("3 passed, 0 failed"));

    let bad = temp_file(
        "bad.wast",
        br#"(module (func (export "f") (result i32) (i32.const 1)))
        (assert_return (invoke "f") (i32.const 2))
        (assert_trap (invoke "f") "unreachable")"#,
    );
    let o = kite(&["wast", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o).lines().last(), Some("1 passed, 2 failed"));
}

#[test]
fn wast_runs_nothing_against_a_module_that_failed() {
    // The second module fails to instantiate (its start traps): the directives after it must not
    // run against the first module, which would answer `f` with 1.
    let wast = temp_file(
        "failed-module.wast",
        br#"(module (func (export "f") (result i32) (i32.const 1)))
        (module (func (export "f") (result i32) (i32.const 2)) (func $s unreachable) (start $s))
        (assert_return (invoke "f") (i32.const 1))"#,
    );
    let o = kite(&["wast", wast.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o).lines().last(), Some("1 passed, 2 failed"), "{}", stdout(&o));
    assert!(stdout(&o).contains("the last module failed"), "{}", stdout(&o));
}

#[test]
fn compile_prints_clif_and_asm_for_both_targets() {
    let clif = kite(&["compile", "examples/fib.wat", "--emit", "clif"]);
    assert!(clif.status.success(), "{}", stderr(&clif));
    assert!(stdout(&clif).contains("function u0:0") && stdout(&clif).contains("tail"), "{}", stdout(&clif));
    let x64 = kite(&["compile", "examples/fib.wat", "--emit", "asm", "--target", "x86_64", "--func", "fib"]);
    assert!(x64.status.success(), "{}", stderr(&x64));
    assert!(stdout(&x64).contains("%rbp"), "{}", stdout(&x64));
    let arm = kite(&["compile", "examples/fib.wat", "--emit", "asm", "--target", "aarch64"]);
    assert!(arm.status.success(), "{}", stderr(&arm));
    assert!(stdout(&arm).contains("stp     x29, x30"), "{}", stdout(&arm));
    assert_clean_failure(
        &kite(&["compile", "examples/fib.wat", "--emit", "asm", "--func", "nope"]),
        1,
        "no function `nope`",
    );
    assert_clean_failure(
        &kite(&["compile", "examples/fib.wat", "--emit", "asm", "--target", "mips"]),
        1,
        "unknown target",
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_listing_quietly() {
    use std::io::Read;
    // Far more output than a pipe buffers, so kite is still writing when the reader goes.
    let mut child = kite_command()
        .args(["compile", "benches/programs/wasm/tailvm.wasm", "--emit", "asm"])
        .current_dir(repo())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kite runs");
    let mut first = [0u8; 256];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(stderr(&o), "", "a closed pipe is not an error to report");
    assert_eq!(o.status.code(), Some(141), "128 + SIGPIPE, as `head` users expect");
}

#[test]
fn tier_up_after_takes_a_count_or_never() {
    let tailvm = "benches/programs/wasm/tailvm.wasm";
    // The checksum the interpreter's native build prints (benches/programs/expected.txt).
    for after in ["1", "100", "never"] {
        let o = kite(&["run", "--tier-up-after", after, tailvm, "--invoke", "run_ops"]);
        assert!(o.status.success(), "{after}: {}", stderr(&o));
        assert_eq!(stdout(&o), "7427308886016022094\n", "{after}");
    }
    for bad in ["0", "4294967296", "soon"] {
        let o = kite(&["run", "--tier-up-after", bad, "examples/fib.wat"]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(stderr(&o).contains("expected a number of calls"), "{bad}: {}", stderr(&o));
    }
}

#[test]
fn fuel_stops_a_guest_that_loops_forever() {
    let wat = temp_file("spin-fuel.wat", br#"(module (func (export "_start") (loop $l (br $l))))"#);
    let o = kite(&["run", "--fuel", "100000", wat.to_str().unwrap()]);
    assert_clean_failure(&o, 134, "all fuel consumed");
    // Enough fuel for a short job: it runs.
    let wat = temp_file(
        "short.wat",
        br#"(module (func (export "f") (result i32) (i32.add (i32.const 1) (i32.const 2))))"#,
    );
    let o = kite(&["run", "--fuel", "3", wat.to_str().unwrap(), "--invoke", "f"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "3\n");
}

#[test]
fn timeout_interrupts_a_guest_that_loops_forever() {
    let wat = temp_file("spin-timeout.wat", br#"(module (func (export "_start") (loop $l (br $l))))"#);
    let start = std::time::Instant::now();
    let o = kite(&["run", "--timeout", "200ms", wat.to_str().unwrap()]);
    assert_clean_failure(&o, 134, "interrupted");
    assert!(start.elapsed() >= std::time::Duration::from_millis(200), "stopped before its deadline");
    for bad in ["5", "1.5h", "ms"] {
        let o = kite(&["run", "--timeout", bad, wat.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("expected a duration"), "{bad}: {}", stderr(&o));
    }
}

#[test]
fn max_memory_caps_growth_and_instantiation() {
    // Memory starts at 1 page and tries to grow by 16 (to 1 MiB + 64 KiB).
    let wat = temp_file(
        "grow.wat",
        br#"(module (memory 1) (func (export "grow") (result i32) (memory.grow (i32.const 16))))"#,
    );
    let o = kite(&["run", wat.to_str().unwrap(), "--invoke", "grow"]);
    assert_eq!(stdout(&o), "1\n", "{}", stderr(&o));
    let o = kite(&["run", "--max-memory", "1MiB", wat.to_str().unwrap(), "--invoke", "grow"]);
    assert_eq!(stdout(&o), "-1\n", "{}", stderr(&o));
    let big = temp_file("big-memory.wat", br#"(module (memory 32) (func (export "_start")))"#);
    assert_clean_failure(
        &kite(&["run", "--max-memory", "1MiB", big.to_str().unwrap()]),
        1,
        "exceeds the limit",
    );
}

#[test]
fn max_table_elements_and_max_wasm_stack_apply_to_run_and_wast() {
    let wast = temp_file(
        "limits.wast",
        br#"(module (table 10 funcref) (func (export "grow") (result i32) (table.grow (ref.null func) (i32.const 10))))
        (assert_return (invoke "grow") (i32.const 10))"#,
    );
    let o = kite(&["wast", wast.to_str().unwrap()]);
    assert_eq!(stdout(&o).lines().last(), Some("2 passed, 0 failed"), "{}", stdout(&o));
    // The module still passes; the grow to 20 elements returns -1 instead of 10.
    let o = kite(&["wast", "--max-table-elements", "15", wast.to_str().unwrap()]);
    assert_eq!(stdout(&o).lines().last(), Some("1 passed, 1 failed"), "{}", stdout(&o));

    // 5,000 levels of recursion fit in the default stack, not in 16 KiB.
    let wat = temp_file(
        "recurse.wat",
        br#"(module (func $d (export "d") (param i32) (result i32)
          (if (result i32) (local.get 0)
            (then (i32.add (call $d (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
            (else (i32.const 0)))))"#,
    );
    let o = kite(&["run", wat.to_str().unwrap(), "--invoke", "d", "5000"]);
    assert_eq!(stdout(&o), "5000\n", "{}", stderr(&o));
    let o = kite(&["run", "--max-wasm-stack", "16KiB", wat.to_str().unwrap(), "--invoke", "d", "5000"]);
    assert_clean_failure(&o, 134, "call stack exhausted");
}

#[test]
fn an_uncaught_exception_exits_134_naming_its_tag() {
    let path = temp_file(
        "throw.wat",
        br#"(module (tag $oops (export "oops") (param i32)) (func (export "_start") (throw $oops (i32.const 1))))"#,
    );
    let o = kite(&["run", path.to_str().unwrap()]);
    assert_clean_failure(&o, 134, "uncaught exception of tag `oops`");
}
