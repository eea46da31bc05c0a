//! Exceptions through the embedding API, under every convention: a host function throws into
//! Wasm, a Wasm exception passes through a host function that called back into Wasm, an
//! uncaught exception ends the call with an error naming its tag, and an `exnref` reaches the
//! host with its tag and values. (The spec's scripts and `tests/wast/exceptions*.wast` cover
//! Wasm to Wasm.)

use kite_runtime::{
    AsContext, Config, Engine, ExnRef, Extern, FuncType, Linker, Module, Store, Tag, ThrownException, Val,
    ValType,
};

use crate::engines;

fn tag_type() -> FuncType {
    FuncType::new(vec![ValType::I32, ValType::I64], vec![])
}

/// Imports a tag and a host function that throws it; catches it with its values, after several
/// frames of Wasm.
const CATCHES_HOST: &str = r#"
(module
  (tag $t (import "host" "tag") (param i32 i64))
  (import "host" "throw" (func $throw (param i32)))
  (func $down (param i32)
    (if (local.get 0)
      (then (call $down (i32.sub (local.get 0) (i32.const 1))))
      (else (call $throw (i32.const 41)))))
  (func (export "run") (result i64)
    (local $y i64)
    (block $h (result i32 i64)
      (try_table (catch $t $h) (call $down (i32.const 10)))
      (return (i64.const -1)))
    (local.set $y)
    (i32.add (i32.const 1))
    (i64.extend_i32_s)
    (i64.add (local.get $y))))
"#;

#[test]
fn a_host_function_throws_into_wasm() {
    for (cc, engine) in engines() {
        let mut store = Store::new(&engine, ());
        let tag = Tag::new(&mut store, &tag_type()).unwrap();
        let mut linker = Linker::new(&engine);
        linker.define("host", "tag", tag);
        linker.func_new(
            "host",
            "throw",
            FuncType::new(vec![ValType::I32], vec![]),
            move |mut caller, args, _| {
                let exn = ExnRef::new(&mut caller, &tag, &[args[0], Val::I64(1000)]).unwrap();
                Err(ThrownException::new(&caller, exn).into())
            },
        );
        let module = Module::new(&engine, CATCHES_HOST).unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let run = instance.get_typed_func::<(), i64>(&store, "run").unwrap();
        // 41 + 1, plus 1000.
        assert_eq!(run.call(&mut store, ()).unwrap(), 1042, "{cc}");
        assert_eq!(run.call(&mut store, ()).unwrap(), 1042, "{cc}: again");
    }
}

#[test]
fn an_exception_passes_through_a_host_function_that_called_wasm() {
    let inner = r#"
      (module
        (tag $e (export "e") (param i32))
        (func (export "inner") (param i32) (throw $e (i32.mul (local.get 0) (i32.const 3)))))
    "#;
    let outer = r#"
      (module
        (tag $e (import "inner" "e") (param i32))
        (import "host" "call-inner" (func $call-inner (param i32)))
        (func (export "run") (param i32) (result i32)
          (block $h (result i32)
            (try_table (catch $e $h) (call $call-inner (local.get 0)))
            (i32.const -1))))
    "#;
    for (cc, engine) in engines() {
        // The host function finds `inner` in the store's data (a `Func` is not `Send`).
        let mut store = Store::new(&engine, None);
        let mut linker = Linker::new(&engine);
        let inner = linker.instantiate(&mut store, &Module::new(&engine, inner).unwrap()).unwrap();
        linker.instance(&mut store, "inner", inner);
        *store.data_mut() = inner.get_func(&store, "inner");
        linker.func_new(
            "host",
            "call-inner",
            FuncType::new(vec![ValType::I32], vec![]),
            |mut caller, args, _| {
                let inner_fn: kite_runtime::Func = caller.data().expect("set");
                inner_fn.call(&mut caller, args)?;
                Ok(())
            },
        );
        let outer = linker.instantiate(&mut store, &Module::new(&engine, outer).unwrap()).unwrap();
        let run = outer.get_typed_func::<i32, i32>(&store, "run").unwrap();
        assert_eq!(run.call(&mut store, 5).unwrap(), 15, "{cc}");
        assert_eq!(run.call(&mut store, 7).unwrap(), 21, "{cc}: again");
    }
}

#[test]
fn an_uncaught_exception_names_its_tag_and_the_store_goes_on() {
    let wat = r#"
      (module
        (tag $boom (export "boom") (param i32))
        (func $deep (param i32)
          (if (local.get 0)
            (then (call $deep (i32.sub (local.get 0) (i32.const 1))))
            (else (throw $boom (i32.const 9)))))
        (func (export "throws") (call $deep (i32.const 50)))
        (func (export "ok") (result i32) (i32.const 7)))
    "#;
    for (cc, engine) in engines() {
        let mut store = Store::new(&engine, ());
        let module = Module::new(&engine, wat).unwrap();
        let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        let throws = instance.get_func(&store, "throws").unwrap();
        let error = throws.call(&mut store, &[]).expect_err("uncaught");
        assert!(error.to_string().contains("`boom`"), "{cc}: {error}");
        let thrown = error.downcast_ref::<ThrownException>().expect("an exception, not a trap");
        let Some(Extern::Tag(boom)) = instance.get_export(&store, "boom") else { panic!("a tag") };
        assert_eq!(thrown.exn.tag(&store), boom, "{cc}");
        assert!(matches!(thrown.exn.values(&store)[..], [Val::I32(9)]), "{cc}");
        let ok = instance.get_typed_func::<(), i32>(&store, "ok").unwrap();
        assert_eq!(ok.call(&mut store, ()).unwrap(), 7, "{cc}: usable after");
        assert!(throws.call(&mut store, &[]).is_err(), "{cc}: throws again");
    }
}

#[test]
fn an_exnref_reaches_the_host_with_its_tag_and_values() {
    let wat = r#"
      (module
        (tag $t (export "t") (param f64 i32))
        (func (export "catch") (result exnref)
          (block $h (result exnref)
            (try_table (catch_all_ref $h) (throw $t (f64.const 2.5) (i32.const -3)))
            (unreachable)))
        (func (export "rethrow") (param exnref) (throw_ref (local.get 0))))
    "#;
    for (cc, engine) in engines() {
        let mut store = Store::new(&engine, ());
        let module = Module::new(&engine, wat).unwrap();
        let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        let results = instance.get_func(&store, "catch").unwrap().call(&mut store, &[]).unwrap();
        let [Val::ExnRef(Some(exn))] = results[..] else { panic!("{cc}: an exnref, got {results:?}") };
        let t = instance.get_export(&store, "t").and_then(Extern::into_tag).unwrap();
        assert_eq!(exn.tag(&store), t, "{cc}");
        assert!(
            matches!(exn.values(&store)[..], [Val::F64(x), Val::I32(-3)] if f64::from_bits(x) == 2.5),
            "{cc}"
        );
        assert_eq!(t.ty(&store), FuncType::new(vec![ValType::F64, ValType::I32], vec![]), "{cc}");
        // Thrown again from Wasm, it is the same exception.
        let rethrow = instance.get_func(&store, "rethrow").unwrap();
        let error = rethrow.call(&mut store, &[Val::ExnRef(Some(exn))]).expect_err("uncaught");
        assert_eq!(error.downcast_ref::<ThrownException>().unwrap().exn, exn, "{cc}");
        // A null one traps.
        let error = rethrow.call(&mut store, &[Val::ExnRef(None)]).expect_err("traps");
        assert!(error.to_string().contains("null exception reference"), "{cc}: {error}");
    }
}

#[test]
fn exceptions_can_be_turned_off() {
    let mut config = Config::new();
    config.wasm_exceptions(false);
    let engine = Engine::new(&config).unwrap();
    for wat in [r#"(module (tag))"#, r#"(module (func try catch_all end))"#] {
        let error = Module::new(&engine, wat).expect_err("refused");
        assert!(error.to_string().contains("exception"), "{error}");
    }
    assert!(Module::new(&Engine::default(), r#"(module (func try catch_all end))"#).is_ok());
}

#[test]
fn a_tag_import_needs_the_same_type() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let tag = Tag::new(&mut store, &tag_type()).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("host", "tag", tag);
    let wrong = Module::new(&engine, r#"(module (tag (import "host" "tag") (param i32)))"#).unwrap();
    assert!(linker.instantiate(&mut store, &wrong).is_err());
    let right = Module::new(&engine, r#"(module (tag (import "host" "tag") (param i32 i64)))"#).unwrap();
    assert!(linker.instantiate(&mut store, &right).is_ok());
    assert!(
        Tag::new(&mut store, &FuncType::new(vec![], vec![ValType::I32])).is_err(),
        "a tag has no results"
    );
}

/// Holds exceptions in a local, a global, a table and inside another exception while a loop
/// throws and catches a great many others (each `loop` call many collections' worth), then
/// throws the held ones again and checks their values: the collector frees the dead and never
/// the live. Then the store holds no more objects than a collection's threshold.
const MANY_THROWS: &str = r#"
(module
  (tag $t (param i32))
  (tag $box (param exnref))
  (global $g (mut exnref) (ref.null exn))
  (table $tab 1 exnref)
  (func $throw (param i32) (throw $t (local.get 0)))
  (func $catch (param i32) (result exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (call $throw (local.get 0)))
      (unreachable)))
  (func $value (param exnref) (result i32)
    (block $h (result i32)
      (try_table (catch $t $h) (throw_ref (local.get 0)))
      (unreachable)))
  (func $churn (param i32) (result i32)
    (local $sum i32)
    (loop $l
      (block $h (result i32)
        (try_table (catch $t $h) (call $throw (local.get 0)))
        (unreachable))
      (local.set $sum (i32.add (local.get $sum)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (local.get 0)))
    (local.get $sum))
  (func (export "run") (param i32) (result i32)
    (local $held exnref) (local $boxed exnref) (local $churned i32)
    (local.set $held (call $catch (i32.const 11)))
    (global.set $g (call $catch (i32.const 22)))
    (table.set $tab (i32.const 0) (call $catch (i32.const 33)))
    (local.set $boxed
      (block $h (result exnref)
        (try_table (catch_all_ref $h) (throw $box (call $catch (i32.const 44))))
        (unreachable)))
    (local.set $churned (call $churn (local.get 0)))
    ;; 11 + 22 * 100 + 33 * 10000 + 44 * 1000000, plus the churn's sum.
    (i32.add (local.get $churned)
      (i32.add
        (i32.add (call $value (local.get $held))
          (i32.mul (call $value (global.get $g)) (i32.const 100)))
        (i32.add
          (i32.mul (call $value (table.get $tab (i32.const 0))) (i32.const 10000))
          (i32.mul
            (call $value
              (block $h (result exnref)
                (try_table (catch $box $h) (throw_ref (local.get $boxed)))
                (unreachable)))
            (i32.const 1000000))))))
)
"#;

#[test]
fn dead_exceptions_are_freed_and_live_ones_kept() {
    for (cc, engine) in engines() {
        let mut store = Store::new(&engine, ());
        let module = Module::new(&engine, MANY_THROWS).unwrap();
        let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
        let n: i32 = 100_000;
        // The churn catches n, n - 1, ..., 1.
        let churn = (i64::from(n) * (i64::from(n) + 1) / 2) as i32;
        let held = 11 + 22 * 100 + 33 * 10_000 + 44 * 1_000_000;
        for round in 0..3 {
            assert_eq!(run.call(&mut store, n).unwrap(), churn.wrapping_add(held), "{cc}, round {round}");
        }
        let objects = store.opaque_ref().exception_objects();
        assert!(objects < 40_000, "{cc}: {objects} exception objects after 300,000 throws");
    }
}
