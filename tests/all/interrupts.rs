//! Fuel and epoch interruption through the embedding API, under every calling convention:
//! where a guest stops, and that the store stays usable after.
//!
//! The expected stopping points follow from the documented cost model (`Config::consume_fuel`:
//! one unit per operator but `nop`, `drop`, `block`, `loop`, `else`, `end`; checks at function
//! entries and loop headers), not from the code that implements it.

use kite_runtime::{Config, Engine, Instance, Linker, Module, Store, Trap, TrapKind, Val};
use std::time::{Duration, Instant};

/// A loop of 5 units an iteration (global.get, i32.const, i32.add, global.set, br), and a ring
/// of two functions calling each other by indirect tail calls, 6 units a hop (the same 4, an
/// i32.const and the return_call_indirect): under `fused` the two are one group and each hop a
/// jump. `iters` counts iterations and hops as they start.
const WAT: &str = r#"
(module
  (type $v (func))
  (table 2 funcref)
  (elem (i32.const 0) $ping $pong)
  (global $iters (export "iters") (mut i32) (i32.const 0))
  (func (export "spin")
    (loop $l (global.set $iters (i32.add (global.get $iters) (i32.const 1))) (br $l)))
  (func $ping (export "ring")
    (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
    (return_call_indirect (type $v) (i32.const 1)))
  (func $pong
    (global.set $iters (i32.add (global.get $iters) (i32.const 1)))
    (return_call_indirect (type $v) (i32.const 0)))
  (func (export "sum") (param i32) (result i32) (local i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l)))
    (local.get 1)))
"#;

fn instance(config: &mut Config, cc: &str) -> (Store<()>, Instance) {
    config.tail_cc(cc).unwrap();
    let engine = Engine::new(config).unwrap();
    let module = Module::new(&engine, WAT).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    (store, instance)
}

/// The function's i32 result, if any, or the kind of its trap.
fn run(store: &mut Store<()>, instance: Instance, name: &str, args: &[Val]) -> Result<Option<i32>, TrapKind> {
    let func = instance.get_func(&*store, name).unwrap();
    match func.call(&mut *store, args) {
        Ok(results) => Ok(results.first().map(Val::unwrap_i32)),
        Err(e) => Err(e.downcast::<Trap>().expect("a trap").kind),
    }
}

fn iters(store: &Store<()>, instance: Instance) -> i32 {
    instance.get_global(store, "iters").unwrap().get(store).unwrap_i32()
}

#[test]
fn out_of_fuel_traps_at_the_same_point_under_every_convention() {
    for cc in kite_runtime::conventions() {
        let (mut store, instance) = instance(Config::new().consume_fuel(true), cc);
        // 5 units an iteration: the header's check after iteration 200 sees 1000 (not above
        // 1000), the one after 201 sees 1005.
        store.set_fuel(1000).unwrap();
        assert_eq!(run(&mut store, instance, "spin", &[]), Err(TrapKind::OutOfFuel), "under {cc}");
        assert_eq!(iters(&store, instance), 201, "spin under {cc}");
        assert_eq!(store.get_fuel().unwrap(), 0);

        // 6 units a hop: the entry check after hop 166 sees 996, after 167 1002.
        instance.get_global(&store, "iters").unwrap().set(&mut store, Val::I32(0)).unwrap();
        store.set_fuel(1000).unwrap();
        assert_eq!(run(&mut store, instance, "ring", &[]), Err(TrapKind::OutOfFuel), "under {cc}");
        assert_eq!(iters(&store, instance), 167, "ring under {cc}");

        // With enough fuel the store goes on, and pays exactly what it ran: `sum 10` runs 10
        // iterations of 12 units (local.get, i32.eqz, br_if; local.get, local.get, i32.add,
        // local.set; local.get, i32.const, i32.sub, local.set; br), the last test (3) and the
        // final local.get: 124.
        store.set_fuel(10_000).unwrap();
        assert_eq!(run(&mut store, instance, "sum", &[Val::I32(10)]), Ok(Some(55)), "under {cc}");
        assert_eq!(store.get_fuel().unwrap(), 10_000 - 124, "under {cc}");
    }
}

#[test]
fn fuel_is_an_error_to_set_unless_enabled() {
    let (mut store, _) = instance(&mut Config::new(), "fused");
    assert!(store.set_fuel(10).is_err());
    assert!(store.get_fuel().is_err());
}

#[test]
fn an_epoch_deadline_interrupts_loops_and_tail_call_rings() {
    for cc in kite_runtime::conventions() {
        let (mut store, instance) = instance(Config::new().epoch_interruption(true), cc);
        for name in ["spin", "ring"] {
            store.set_epoch_deadline(1);
            let engine = store.engine().clone();
            let ticker = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                engine.increment_epoch();
            });
            let start = Instant::now();
            assert_eq!(run(&mut store, instance, name, &[]), Err(TrapKind::Interrupt), "{name} under {cc}");
            ticker.join().unwrap();
            assert!(
                start.elapsed() >= Duration::from_millis(50),
                "{name} under {cc} stopped before the tick"
            );
        }
        // A deadline in the future lets code run; the store is usable after the traps.
        store.set_epoch_deadline(1);
        assert_eq!(run(&mut store, instance, "sum", &[Val::I32(10)]), Ok(Some(55)), "under {cc}");
    }
}

/// A deadline reaches the code through the store's stack limit (`traps::interrupts`): one that
/// has already come when Wasm is entered stops it at its first check, also in a function whose
/// only check is its entry's stack check; a real stack overflow under epochs is still one; and a
/// store without a deadline's engine ticking is not disturbed.
#[test]
fn an_epoch_deadline_works_through_the_stack_limit() {
    const RECURSION: &str = r#"(module
      (func $down (export "down") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))
      (func (export "forever") (call 0 (i32.const -1)) drop))"#;
    for cc in kite_runtime::conventions() {
        let mut config = Config::new();
        config.tail_cc(cc).unwrap().epoch_interruption(true);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, RECURSION).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        // Due before the call: the entry's stack check stops it.
        store.set_epoch_deadline(0);
        assert_eq!(run(&mut store, instance, "down", &[Val::I32(5)]), Err(TrapKind::Interrupt), "under {cc}");
        // Not due: recursion runs, and runs out of stack as a stack overflow.
        store.set_epoch_deadline(1000);
        assert_eq!(run(&mut store, instance, "down", &[Val::I32(5)]), Ok(Some(5)), "under {cc}");
        assert_eq!(run(&mut store, instance, "forever", &[]), Err(TrapKind::StackOverflow), "under {cc}");
        // Ticks short of the deadline do not stop it.
        for _ in 0..10 {
            engine.increment_epoch();
        }
        assert_eq!(run(&mut store, instance, "down", &[Val::I32(100)]), Ok(Some(100)), "under {cc}");
        // An engine without epoch interruption ignores its ticks.
        let plain = Engine::new(Config::new().tail_cc(cc).unwrap()).unwrap();
        let module = Module::new(&plain, RECURSION).unwrap();
        let mut store = Store::new(&plain, ());
        let instance = Linker::new(&plain).instantiate(&mut store, &module).unwrap();
        plain.increment_epoch();
        assert_eq!(run(&mut store, instance, "down", &[Val::I32(100)]), Ok(Some(100)), "under {cc}");
    }
}
