//! Tiering of fused groups (`kite_frontend::tiering`): groups recompile on their profile, the
//! recompiled code computes what the first did, traps in it keep their kind and backtrace, and
//! running code moves over.

use kite_runtime::{Config, Engine, Instance, Linker, Module, Store, Trap, TrapKind, Val};

/// A small tail-calling interpreter: handlers take (pc, acc, count), read the next opcode from
/// memory and tail-call its handler through the table. Programs, one byte per opcode:
/// at 0 `inc dec_jnz halt` (acc = count), at 16 `inc dec_jnz div` (traps when the loop ends),
/// at 32 `nest inc dec_jnz halt` (runs the program at 0 with count 5000 inside a call first),
/// at 48 `inc` and then 9, past the table's end.
pub(crate) const VM: &str = r#"
(module $vm
  (type $h (func (param i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "\00\01\02")
  (data (i32.const 16) "\00\01\03")
  (data (i32.const 32) "\04\00\01\02")
  (data (i32.const 48) "\00\09")
  (table 5 funcref)
  (elem (i32.const 0) func $inc $dec_jnz $halt $div $nest)
  (func $inc (type $h)
    (return_call_indirect (type $h)
      (i32.add (local.get 0) (i32.const 1)) (i32.add (local.get 1) (i32.const 1)) (local.get 2)
      (i32.load8_u offset=1 (local.get 0))))
  (func $dec_jnz (type $h)
    (local $pc i32)
    (local.set 2 (i32.sub (local.get 2) (i32.const 1)))
    (local.set $pc (select (i32.sub (local.get 0) (i32.const 1)) (i32.add (local.get 0) (i32.const 1))
      (local.get 2)))
    (return_call_indirect (type $h) (local.get $pc) (local.get 1) (local.get 2)
      (i32.load8_u (local.get $pc))))
  (func $halt (type $h) (local.get 1))
  (func $div (type $h) (i32.div_u (local.get 1) (local.get 2)))
  (func $nest (type $h)
    (return_call_indirect (type $h)
      (i32.add (local.get 0) (i32.const 1))
      (i32.add (local.get 1) (call $run (i32.const 0) (i32.const 5000)))
      (local.get 2)
      (i32.load8_u offset=1 (local.get 0))))
  (func $run (export "run") (param $pc i32) (param $count i32) (result i32)
    (call_indirect (type $h) (local.get $pc) (i32.const 0) (local.get $count)
      (i32.load8_u (local.get $pc)))))
"#;

fn engine(tier_up_after: u32) -> Engine {
    let mut config = Config::new();
    config.tail_cc("fused").unwrap().tier_up_after(Some(tier_up_after));
    Engine::new(&config).unwrap()
}

/// The VM's module under an engine that tiers up after `tier_up_after` calls, and an instance.
fn vm(tier_up_after: u32) -> (Engine, Module, Store<()>, Instance) {
    let engine = engine(tier_up_after);
    let module = Module::new(&engine, VM).unwrap();
    let (store, instance) = instantiate(&engine, &module);
    (engine, module, store, instance)
}

pub(crate) fn instantiate(engine: &Engine, module: &Module) -> (Store<()>, Instance) {
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine).instantiate(&mut store, module).unwrap();
    (store, instance)
}

pub(crate) fn run(store: &mut Store<()>, instance: Instance, pc: i32, count: i32) -> anyhow::Result<i32> {
    let run = instance.get_typed_func::<(i32, i32), i32>(&*store, "run").unwrap();
    run.call(store, (pc, count))
}

#[test]
fn a_group_recompiles_on_its_profile_and_computes_the_same() {
    let (_, module, mut store, instance) = vm(1000);
    assert_eq!(run(&mut store, instance, 0, 10).unwrap(), 10);
    assert!(module.recompiled_groups().is_empty(), "tiered up before its budget ran out");
    assert_eq!(run(&mut store, instance, 0, 100_000).unwrap(), 100_000);
    // The sites in member order: `inc` is always followed by `dec_jnz` (element 1); `dec_jnz`
    // by `inc` (element 0) but once; `nest` never ran.
    assert_eq!(module.recompiled_groups(), [(0, vec![Some(1), Some(0), None])]);
    assert_eq!(run(&mut store, instance, 0, 7).unwrap(), 7);
}

#[test]
fn traps_in_recompiled_code_keep_their_kind_and_backtrace() {
    let (_, module, mut store, instance) = vm(1000);
    let error = run(&mut store, instance, 16, 100_000).unwrap_err();
    assert_eq!(module.recompiled_groups().len(), 1);
    let trap = error.downcast::<Trap>().unwrap();
    assert_eq!(trap.kind, TrapKind::IntegerDivisionByZero);
    assert_eq!(trap.backtrace, ["vm!div", "vm!run"]);
    // Past the table's end, at a site that tests element 1 first.
    let run_func = instance.get_func(&store, "run").unwrap();
    let trap = run_func.call(&mut store, &[Val::I32(48), Val::I32(1)]).unwrap_err();
    let trap = trap.downcast::<Trap>().unwrap();
    assert_eq!(trap.kind, TrapKind::UndefinedElement);
    assert_eq!(trap.backtrace, ["vm!inc", "vm!run"]);
    assert_eq!(run(&mut store, instance, 0, 3).unwrap(), 3, "usable after traps");
}

#[test]
fn new_instances_start_in_the_recompiled_code() {
    let (engine, module, mut store, instance) = vm(1000);
    assert_eq!(run(&mut store, instance, 0, 5000).unwrap(), 5000);
    let recompiled = module.recompiled_groups();
    assert_eq!(recompiled.len(), 1);
    let (mut store, instance) = instantiate(&engine, &module);
    assert_eq!(run(&mut store, instance, 0, 1).unwrap(), 1);
    assert_eq!(run(&mut store, instance, 0, 5000).unwrap(), 5000);
    assert_eq!(module.recompiled_groups(), recompiled, "recompiled once, for every instance");
}

#[test]
fn code_running_in_the_first_tier_moves_over_at_its_next_dispatch() {
    // The outer program's `nest` runs the inner one in a call, which tiers up while the outer
    // activation is still in the first code; the outer loop then goes on, in whichever code.
    let (_, module, mut store, instance) = vm(1000);
    assert_eq!(run(&mut store, instance, 32, 3000).unwrap(), 5000 + 3000);
    assert_eq!(module.recompiled_groups().len(), 1);
    assert_eq!(run(&mut store, instance, 32, 3000).unwrap(), 5000 + 3000);
}

#[test]
fn without_tiering_nothing_recompiles() {
    let mut config = Config::new();
    config.tail_cc("fused").unwrap().tier_up_after(None);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, VM).unwrap();
    let (mut store, instance) = instantiate(&engine, &module);
    assert_eq!(run(&mut store, instance, 0, 100_000).unwrap(), 100_000);
    assert!(module.recompiled_groups().is_empty());
}

/// The benchmark's tail-calling interpreter, its `run_ops` program (every opcode), against the
/// checksum its native build printed (`benches/programs/expected.txt`).
#[test]
fn the_benchmark_interpreter_tiers_up_and_keeps_its_checksum() {
    let engine = engine(10_000);
    let path = kite_tests::repo_root().join("benches/programs/wasm/tailvm.wasm");
    let module = Module::from_file(&engine, path).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let run_ops = instance.get_typed_func::<(), i64>(&store, "run_ops").unwrap();
    assert_eq!(run_ops.call(&mut store, ()).unwrap() as u64, 7427308886016022094);
    let recompiled = module.recompiled_groups();
    assert_eq!(recompiled.len(), 1, "{recompiled:?}");
    assert!(recompiled[0].1.iter().filter(|hot| hot.is_some()).count() >= 10, "{recompiled:?}");
    assert_eq!(run_ops.call(&mut store, ()).unwrap() as u64, 7427308886016022094);
}
