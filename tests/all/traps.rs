//! Traps through the embedding API: kinds, backtraces, and a runtime that stays usable after.

use kite_runtime::{Config, Engine, FuncType, Instance, Linker, Module, Store, Trap, TrapKind, Val, ValType};

const WAT: &str = r#"
(module $m
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $inner)
  (type $v_i (func (result i32)))
  (func $inner (result i32) (i32.div_s (i32.const 1) (i32.const 0)))
  (func $middle (result i32) (call $inner))
  (func (export "divide") (result i32) (call $middle))
  (func (export "ok") (result i32) (i32.const 7))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "unreachable") unreachable)
  (func (export "null_entry") (result i32) (call_indirect (type $v_i) (i32.const 1)))
  (func (export "past_end") (result i32) (call_indirect (type $v_i) (i32.const 2)))
  (func (export "wrong_type") (call_indirect (param i32) (i32.const 7) (i32.const 0)))
  (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
  (func (export "convert") (result i32) (i32.trunc_f32_s (f32.const nan)))
)
"#;

use crate::engines;

fn setup(engine: &Engine) -> (Store<()>, Instance) {
    let module = Module::new(engine, WAT).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine).instantiate(&mut store, &module).unwrap();
    (store, instance)
}

fn trap_of(store: &mut Store<()>, instance: Instance, name: &str, args: &[Val]) -> Trap {
    let func = instance.get_func(&*store, name).unwrap();
    let error = func.call(&mut *store, args).expect_err("should trap");
    error.downcast::<Trap>().expect("a trap")
}

#[test]
fn traps_report_their_kind() {
    for (cc, engine) in engines() {
        let (mut store, instance) = setup(&engine);
        let cases = [
            ("divide", vec![], TrapKind::IntegerDivisionByZero),
            ("load", vec![Val::I32(65536)], TrapKind::MemoryOutOfBounds),
            ("load", vec![Val::I32(-1)], TrapKind::MemoryOutOfBounds),
            ("unreachable", vec![], TrapKind::Unreachable),
            ("null_entry", vec![], TrapKind::UninitializedElement),
            ("past_end", vec![], TrapKind::UndefinedElement),
            ("wrong_type", vec![], TrapKind::BadSignature),
            ("overflow", vec![], TrapKind::IntegerOverflow),
            ("convert", vec![], TrapKind::BadConversionToInteger),
        ];
        for (name, args, kind) in cases {
            assert_eq!(trap_of(&mut store, instance, name, &args).kind, kind, "{name} under {cc}");
        }
    }
}

#[test]
fn backtrace_names_the_wasm_frames() {
    for (cc, engine) in engines() {
        let (mut store, instance) = setup(&engine);
        let trap = trap_of(&mut store, instance, "divide", &[]);
        assert_eq!(trap.backtrace, ["m!inner", "m!middle", "m!divide"], "under {cc}");
        assert!(trap.to_string().contains("integer divide by zero"), "{trap}");
    }
}

#[test]
fn instance_is_usable_after_a_trap() {
    for (_, engine) in engines() {
        let (mut store, instance) = setup(&engine);
        for _ in 0..3 {
            trap_of(&mut store, instance, "divide", &[]);
            let ok = instance.get_typed_func::<(), i32>(&store, "ok").unwrap();
            assert_eq!(ok.call(&mut store, ()).unwrap(), 7);
        }
        let load = instance.get_typed_func::<i32, i32>(&store, "load").unwrap();
        assert_eq!(load.call(&mut store, 65532).unwrap(), 0);
    }
}

#[test]
fn deep_recursion_is_a_stack_overflow_trap() {
    for (cc, engine) in engines() {
        let (mut store, instance) = setup(&engine);
        for _ in 0..2 {
            let trap = trap_of(&mut store, instance, "deep", &[Val::I32(0)]);
            assert_eq!(trap.kind, TrapKind::StackOverflow, "under {cc}");
        }
        let ok = instance.get_typed_func::<(), i32>(&store, "ok").unwrap();
        assert_eq!(ok.call(&mut store, ()).unwrap(), 7);
    }
}

#[test]
fn stack_limit_is_configurable() {
    // The same recursion depth passes with a big stack and traps with a small one.
    let wat = r#"(module (func $d (export "d") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.add (call $d (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
          (else (i32.const 0)))))"#;
    let depth = |max_stack: usize| {
        let mut config = Config::new();
        config.max_wasm_stack(max_stack);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        let d = instance.get_typed_func::<i32, i32>(&store, "d").unwrap();
        d.call(&mut store, 5000).map_err(|e| e.downcast::<Trap>().unwrap().kind)
    };
    assert_eq!(depth(1 << 20), Ok(5000));
    assert_eq!(depth(16 << 10), Err(TrapKind::StackOverflow));
}

#[test]
fn host_errors_reach_the_caller_intact() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (import "host" "fail" (func $fail (param i32)))
                   (func (export "run") (call $fail (i32.const 42))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, 0);
    let mut linker = Linker::new(&engine);
    linker.func_new("host", "fail", FuncType::new([ValType::I32], []), |mut caller, args, _| {
        *caller.data_mut() += 1;
        anyhow::bail!("host says no to {}", args[0].unwrap_i32())
    });
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_func(&store, "run").unwrap();
    for _ in 0..2 {
        let error = run.call(&mut store, &[]).unwrap_err();
        assert_eq!(error.to_string(), "host says no to 42");
    }
    assert_eq!(*store.data(), 2);
}

#[test]
fn a_trap_in_the_start_function_fails_instantiation() {
    let engine = Engine::default();
    let module = Module::new(&engine, "(module (func $s unreachable) (start $s))").unwrap();
    let mut store = Store::new(&engine, ());
    let error = Linker::new(&engine).instantiate(&mut store, &module).unwrap_err();
    assert_eq!(error.downcast::<Trap>().unwrap().kind, TrapKind::Unreachable);
}

/// Functions that tail-call each other: under `fused` one group function, whose indirect tail
/// calls are a `br_table` with the spec's traps inlined.
const GROUP_WAT: &str = r#"
(module $g
  (type $h (func (param i32 i32) (result i32)))
  (table 5 funcref)
  (elem (i32.const 0) func $step $finish $other $times_ten)
  (func $step (type $h)
    (if (local.get 0)
      (then (return_call $step (i32.sub (local.get 0) (i32.const 1)) (local.get 1))))
    (return_call_indirect (type $h) (local.get 1) (i32.const 7) (local.get 1)))
  (func $finish (type $h) (i32.div_u (local.get 1) (i32.sub (local.get 0) (i32.const 1))))
  (func $other (param i64) (result i32) (i32.const 0))
  (func $times_ten (type $h) (i32.mul (local.get 0) (i32.const 10)))
  (func (export "run") (param i32 i32) (result i32) (call $step (local.get 0) (local.get 1))))
"#;

#[test]
fn traps_inside_tail_call_groups_keep_their_kind_and_backtrace() {
    for (cc, engine) in engines() {
        let module = Module::new(&engine, GROUP_WAT).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        let run = |store: &mut Store<()>, n: i32, next: i32| {
            trap_of(store, instance, "run", &[Val::I32(n), Val::I32(next)])
        };
        let trap = run(&mut store, 5, 1);
        assert_eq!(trap.kind, TrapKind::IntegerDivisionByZero, "under {cc}");
        // $step's frames were replaced by the tail calls: only $finish and its caller remain.
        assert_eq!(trap.backtrace, ["g!finish", "g!run"], "under {cc}");
        assert_eq!(run(&mut store, 5, 2).kind, TrapKind::BadSignature, "under {cc}");
        assert_eq!(run(&mut store, 5, 4).kind, TrapKind::UninitializedElement, "under {cc}");
        assert_eq!(run(&mut store, 5, 5).kind, TrapKind::UndefinedElement, "under {cc}");
        assert_eq!(run(&mut store, 5, -1).kind, TrapKind::UndefinedElement, "under {cc}");
        let ok = instance.get_typed_func::<(i32, i32), i32>(&store, "run").unwrap();
        assert_eq!(ok.call(&mut store, (100_000, 3)).unwrap(), 30, "under {cc}");
        // Index 0 is $step itself, called with (0, 7): then index 7, past the end.
        assert_eq!(run(&mut store, 0, 0).kind, TrapKind::UndefinedElement, "under {cc}");
    }
}

/// A valid module declaring a table of 2^32 - 1 elements, called through by a tail call: under
/// `fused` compiling it once allocated the whole table to find tail-call groups and aborted the
/// process ("memory allocation of 34359738360 bytes failed", issue 14). Now only tables of at
/// most 2^18 elements count as static; this one compiles under every convention, and
/// instantiation refuses it with an error.
#[test]
fn a_huge_table_is_an_instantiation_error_not_an_abort() {
    let wat = r#"(module
        (type $t (func (result i32)))
        (table 0xffffffff funcref)
        (func $f (type $t) (i32.const 7))
        (func (export "run") (result i32) (return_call_indirect (type $t) (i32.const 0))))"#;
    for (cc, engine) in engines() {
        let module = Module::new(&engine, wat).unwrap_or_else(|e| panic!("under {cc}: {e:#}"));
        let mut store = Store::new(&engine, ());
        let error = Linker::new(&engine).instantiate(&mut store, &module).expect_err(cc);
        assert!(format!("{error:#}").contains("exceeds the limit"), "under {cc}: {error:#}");
    }
}

/// A function that makes no ordinary calls checks no stack limit under `wide` and `fused`: the
/// runtime keeps a margin below the limit for one such frame. One with 5,000 `i64` values live
/// at once sets up a 40 KiB frame, past `UNCHECKED_FRAME_LIMIT`, so Cranelift must check the
/// limit in its prologue, frame included (issue 14: a frame larger than the margin ran off an
/// embedder's small thread stack). Reached from a recursion that calls it at every level, it is
/// the function that traps: without its check the recursion's own check would trap instead,
/// one call later, or with a frame past the margin the process would crash. `$big` ends in a
/// tail call, so under `fused` its frame is a group function's (recompiled the same way).
#[test]
fn a_function_with_a_frame_larger_than_the_margin_checks_the_stack() {
    let live = 5000;
    let loads: String = (0..live).map(|i| format!("(i64.load offset={} (local.get 0))\n", i * 8)).collect();
    let adds = "i64.add\n".repeat(live - 1);
    let wat = format!(
        r#"(module $m (memory 1)
        (func $big (param i32) (result i64)
          {loads}
          (i64.store (local.get 0) (i64.const 7))
          {adds}
          (return_call $finish))
        (func $finish (param i64) (result i64) (local.get 0))
        (func $rec (export "rec") (param i32) (result i64)
          (i64.add (call $big (i32.const 0)) (call $rec (i32.add (local.get 0) (i32.const 1))))))"#
    );
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            for (cc, engine) in engines() {
                let module = Module::new(&engine, &wat).unwrap();
                let mut store = Store::new(&engine, ());
                let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
                let trap = trap_of(&mut store, instance, "rec", &[Val::I32(0)]);
                assert_eq!(trap.kind, TrapKind::StackOverflow, "under {cc}");
                // Under `fused` the check is in the prologue of the group function of `$big` and
                // `$finish`, code before either member's, which backtraces name after the first.
                let innermost = trap.backtrace.first().map(String::as_str);
                assert!(matches!(innermost, Some("m!big" | "m!finish")), "under {cc}: {trap}");
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
