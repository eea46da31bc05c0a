//! `v128` through the embedding API, under every convention: arguments and results of calls
//! from the host (untyped and typed), host functions that take and return vectors, and globals
//! made by the host and read by Wasm; and the `Config` knobs that turn features off. The spec
//! scripts cover the instructions themselves.

use kite_runtime::{Config, Engine, FuncType, Global, GlobalType, Linker, Module, Store, V128, Val, ValType};

const MODULE: &str = r#"(module
  (import "host" "rotate" (func $rotate (param v128 i32) (result v128 i64)))
  (import "host" "g" (global $g v128))
  (func (export "mix") (param $a v128) (param $b f64) (param $c v128) (result v128 f64)
    (i32x4.add (local.get $a) (i32x4.mul (local.get $c) (v128.const i32x4 2 2 2 2)))
    (f64.add (local.get $b) (f64x2.extract_lane 1 (local.get $a))))
  ;; The host rotates the lanes; its i64 result is added to lane 0, and the global to all.
  (func (export "via_host") (param v128) (result v128)
    (call $rotate (local.get 0) (i32.const 1))
    (i64x2.splat)
    (i64x2.add)
    (global.get $g)
    (i64x2.add)))"#;

/// `i32x4` lanes, lane 0 first, as a `V128`.
fn i32x4(lanes: [i32; 4]) -> V128 {
    let mut bits = 0u128;
    for (i, lane) in lanes.iter().enumerate() {
        bits |= u128::from(*lane as u32) << (32 * i);
    }
    V128::from(bits)
}

fn run_under(convention: &str) {
    let mut config = Config::new();
    config.tail_cc(convention).unwrap().verify(true);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<()>::new(&engine);
    linker.func_new(
        "host",
        "rotate",
        FuncType::new([ValType::V128, ValType::I32], [ValType::V128, ValType::I64]),
        |_caller, args, results| {
            let (Val::V128(v), Val::I32(by)) = (args[0], args[1]) else { panic!("argument types") };
            results[0] = Val::V128(V128::from(v.as_u128().rotate_right(32 * by as u32)));
            results[1] = Val::I64(1000);
            Ok(())
        },
    );
    let global_type = GlobalType { content: ValType::V128, mutable: false };
    let global = Global::new(&mut store, global_type, Val::V128(V128::from(5u128 | (7u128 << 64)))).unwrap();
    linker.define("host", "g", global);
    let instance = linker.instantiate(&mut store, &module).unwrap();

    // Lanes of 1.5 as an f64 in lane 1 of $a: i32 lanes 2 and 3 hold its bits.
    let half = 1.5f64.to_bits();
    let a = i32x4([1, 2, half as u32 as i32, (half >> 32) as u32 as i32]);
    let mix = instance.get_func(&store, "mix").unwrap();
    let got = mix
        .call(&mut store, &[Val::V128(a), Val::F64(2.25f64.to_bits()), Val::V128(i32x4([10, 20, 30, 40]))]);
    let got = got.unwrap();
    let Val::V128(v) = got[0] else { panic!("{got:?}") };
    let expected_lanes =
        [21, 42, (half as u32 as i32).wrapping_add(60), ((half >> 32) as u32 as i32).wrapping_add(80)];
    assert_eq!(v, i32x4(expected_lanes), "{convention}");
    assert_eq!(got[1].ty(), ValType::F64);
    assert!(matches!(got[1], Val::F64(bits) if f64::from_bits(bits) == 3.75), "{convention}: {got:?}");

    // Typed: (1, 2, 3, 4) rotated right by one lane is (2, 3, 4, 1); as i64x2 lanes that is
    // (2 | 3 << 32, 4 | 1 << 32), plus 1000 each, plus (5, 7).
    let via_host = instance.get_typed_func::<V128, V128>(&store, "via_host").unwrap();
    let got = via_host.call(&mut store, i32x4([1, 2, 3, 4])).unwrap();
    let low = 2u64 | (3u64 << 32);
    let high = 4u64 | (1u64 << 32);
    let expected = u128::from(low + 1005) | (u128::from(high + 1007) << 64);
    assert_eq!(got, V128::from(expected), "{convention}");
    let Val::V128(g) = global.get(&store) else { panic!("a v128 global") };
    assert_eq!(g, V128::from(5u128 | (7u128 << 64)));
}

#[test]
fn v128_crosses_the_embedding_api_under_every_convention() {
    for convention in kite_runtime::conventions() {
        run_under(convention);
    }
}

#[test]
fn simd_and_multi_memory_can_be_turned_off() {
    let simd = r#"(module (func (export "f") (result v128) (v128.const i32x4 1 2 3 4)))"#;
    let two_memories = r#"(module (memory 1) (memory 1))"#;
    let mut config = Config::new();
    config.wasm_simd(false).wasm_multi_memory(false);
    let engine = Engine::new(&config).unwrap();
    let error = Module::new(&engine, simd).expect_err("SIMD is off");
    assert!(error.to_string().contains("SIMD"), "{error}");
    let error = Module::new(&engine, two_memories).expect_err("multi-memory is off");
    assert!(error.to_string().contains("multiple memories"), "{error}");
    // The same modules compile under the default config.
    let engine = Engine::default();
    Module::new(&engine, simd).unwrap();
    Module::new(&engine, two_memories).unwrap();
}
