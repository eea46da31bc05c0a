//! The embedding API: host functions, re-entrant calls, memories, globals, linking, limits.

use kite_runtime::{
    Config, Engine, Extern, FuncType, Global, GlobalType, Linker, Memory, Module, Store, Val, ValType,
};

#[test]
fn host_functions_see_their_caller_and_can_call_back() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "host" "twice" (func $twice (param i32) (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 8) "kite")
             (func (export "square") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
             (func (export "run") (param i32) (result i32) (call $twice (local.get 0))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, Vec::<String>::new());
    let mut linker = Linker::<Vec<String>>::new(&engine);
    linker.func_new(
        "host",
        "twice",
        FuncType::new([ValType::I32], [ValType::I32]),
        |mut caller, args, results| {
            let memory = caller.get_export("memory").and_then(Extern::into_memory).unwrap();
            let text = String::from_utf8(memory.data(&caller)[8..12].to_vec()).unwrap();
            caller.data_mut().push(text);
            // Re-enter Wasm from inside a host function.
            let square = caller.get_export("square").and_then(Extern::into_func).unwrap();
            let squared = square.call(&mut caller, &[args[0]])?[0].unwrap_i32();
            results[0] = Val::I32(2 * squared);
            Ok(())
        },
    );
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 5).unwrap(), 50);
    assert_eq!(store.data(), &["kite"]);
}

#[test]
fn typed_calls_check_types() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (func (export "f") (param i64) (result f64) (f64.convert_i64_s (local.get 0))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    assert!(instance.get_typed_func::<i32, f64>(&store, "f").is_err());
    let f = instance.get_typed_func::<i64, f64>(&store, "f").unwrap();
    assert_eq!(f.call(&mut store, -3).unwrap(), -3.0);
    let untyped = instance.get_func(&store, "f").unwrap();
    assert!(untyped.call(&mut store, &[Val::I32(1)]).is_err());
    assert!(untyped.call(&mut store, &[]).is_err());
}

#[test]
fn memories_and_globals_are_shared_between_instances() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let memory =
        Memory::new(&mut store, kite_runtime::MemoryType::new(kite_runtime::Limits { min: 1, max: Some(4) }))
            .unwrap();
    let counter =
        Global::new(&mut store, GlobalType { content: ValType::I32, mutable: true }, Val::I32(10)).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("env", "memory", memory).define("env", "counter", counter);
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "memory" (memory 1))
             (import "env" "counter" (global $c (mut i32)))
             (func (export "bump") (result i32)
               (global.set $c (i32.add (global.get $c) (i32.const 1)))
               (i32.store (i32.const 0) (global.get $c))
               (memory.grow (i32.const 1))))"#,
    )
    .unwrap();
    let a = linker.instantiate(&mut store, &module).unwrap();
    let b = linker.instantiate(&mut store, &module).unwrap();
    let bump_a = a.get_typed_func::<(), i32>(&store, "bump").unwrap();
    let bump_b = b.get_typed_func::<(), i32>(&store, "bump").unwrap();
    assert_eq!(bump_a.call(&mut store, ()).unwrap(), 1);
    assert_eq!(bump_b.call(&mut store, ()).unwrap(), 2);
    assert_eq!(bump_a.call(&mut store, ()).unwrap(), 3);
    // The maximum of 4 pages is reached: grow fails with -1.
    assert_eq!(bump_b.call(&mut store, ()).unwrap(), -1);
    assert_eq!(counter.get(&store).unwrap_i32(), 14);
    assert_eq!(&memory.data(&store)[..4], &14i32.to_le_bytes());
    assert_eq!(memory.size(&store), 4);
}

#[test]
fn engine_memory_limit_caps_growth() {
    let mut config = Config::new();
    config.max_memory_pages(2);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(
        &engine,
        r#"(module (memory 1) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let grow = instance.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    assert_eq!(grow.call(&mut store, 2).unwrap(), -1);
    assert_eq!(grow.call(&mut store, 1).unwrap(), 1);
}

#[test]
fn missing_and_mistyped_imports_are_link_errors() {
    let engine = Engine::default();
    let module = Module::new(&engine, r#"(module (import "env" "f" (func (param i32))))"#).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let error = linker.instantiate(&mut store, &module).unwrap_err();
    assert!(error.to_string().contains("unknown import"), "{error}");
    linker.func_new("env", "f", FuncType::new([ValType::I64], []), |_, _, _| Ok(()));
    let error = linker.instantiate(&mut store, &module).unwrap_err();
    assert!(error.to_string().contains("incompatible import type"), "{error}");
}

#[test]
fn invalid_modules_are_errors_not_panics() {
    let engine = Engine::default();
    for bytes in [&b"\0asm\x01\0\0\0\x01"[..], b"not wasm", b"(module (func (result i32)))"] {
        assert!(Module::new(&engine, bytes).is_err());
    }
}

#[test]
fn host_writes_to_an_exported_table_reach_indirect_calls() {
    for convention in kite_runtime::conventions() {
        let mut config = Config::new();
        config.tail_cc(convention).unwrap();
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(
            &engine,
            r#"(module
                 (type $i (func (result i32)))
                 (table (export "table") 2 funcref)
                 (elem (i32.const 0) $one)
                 (func $one (type $i) (i32.const 1))
                 (func (export "two") (type $i) (i32.const 2))
                 (func (export "call") (param i32) (result i32) (return_call_indirect (type $i) (local.get 0))))"#,
        )
        .unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        let call = instance.get_typed_func::<i32, i32>(&store, "call").unwrap();
        let table = instance.get_table(&store, "table").unwrap();
        let two = instance.get_func(&store, "two").unwrap();
        assert_eq!(call.call(&mut store, 0).unwrap(), 1, "{convention}");
        assert!(call.call(&mut store, 1).is_err(), "{convention}");
        table.set(&mut store, 1, Val::FuncRef(Some(two))).unwrap();
        table.set(&mut store, 0, Val::FuncRef(None)).unwrap();
        assert_eq!(call.call(&mut store, 1).unwrap(), 2, "{convention}");
        let error = call.call(&mut store, 0).unwrap_err();
        assert!(error.to_string().contains("uninitialized element"), "{convention}: {error}");
    }
}
