//! A store's resource limiter (`Store::limiter`): asked before memories and tables are created
//! or grow, from Wasm and through the API; a refusal fails the growth or the instantiation.

use kite_runtime::{Engine, Linker, Module, ResourceLimiter, Store};
use std::sync::{Arc, Mutex};

/// Requests as (what, current, desired), in order.
type Requests = Arc<Mutex<Vec<(&'static str, usize, usize)>>>;

/// Allows memories up to `max_bytes` and tables up to `max_elements`, and records every
/// request.
struct Recorder {
    max_bytes: usize,
    max_elements: usize,
    asked: Requests,
}

impl ResourceLimiter for Recorder {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> bool {
        self.asked.lock().unwrap().push(("memory", current, desired));
        desired <= self.max_bytes
    }
    fn table_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> bool {
        self.asked.lock().unwrap().push(("table", current, desired));
        desired <= self.max_elements
    }
}

const WAT: &str = r#"(module
  (memory (export "memory") 1)
  (table 2 funcref)
  (func (export "grow_memory") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "grow_table") (param i32) (result i32) (table.grow (ref.null func) (local.get 0))))"#;

#[test]
fn the_limiter_decides_growth_from_wasm_and_the_api() {
    for cc in kite_runtime::conventions() {
        let mut config = kite_runtime::Config::new();
        config.tail_cc(cc).unwrap();
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, WAT).unwrap();
        let mut store = Store::new(&engine, ());
        let asked = Arc::new(Mutex::new(Vec::new()));
        store.limiter(Recorder { max_bytes: 3 << 16, max_elements: 5, asked: asked.clone() });
        let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        let call = |store: &mut Store<()>, name: &str, arg: i32| {
            let f = instance.get_typed_func::<i32, i32>(&*store, name).unwrap();
            f.call(store, arg).unwrap()
        };
        // Memory: 1 page, may reach 3.
        assert_eq!(call(&mut store, "grow_memory", 1), 1, "under {cc}");
        assert_eq!(call(&mut store, "grow_memory", 2), -1, "under {cc}");
        assert_eq!(call(&mut store, "grow_memory", 1), 2, "under {cc}");
        let memory = instance.get_memory(&store, "memory").unwrap();
        assert!(memory.grow(&mut store, 1).is_err(), "under {cc}");
        assert_eq!(memory.size(&store), 3);
        // Table: 2 elements, may reach 5.
        assert_eq!(call(&mut store, "grow_table", 3), 2, "under {cc}");
        assert_eq!(call(&mut store, "grow_table", 1), -1, "under {cc}");
        let page = 1 << 16;
        assert_eq!(
            *asked.lock().unwrap(),
            [
                ("memory", 0, page),
                ("table", 0, 2),
                ("memory", page, 2 * page),
                ("memory", 2 * page, 4 * page),
                ("memory", 2 * page, 3 * page),
                ("memory", 3 * page, 4 * page),
                ("table", 2, 5),
                ("table", 5, 6),
            ],
            "under {cc}"
        );
    }
}

#[test]
fn a_refused_memory_fails_instantiation() {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let mut store = Store::new(&engine, ());
    store.limiter(Recorder { max_bytes: 0, max_elements: 10, asked: Arc::default() });
    let error = Linker::new(&engine).instantiate(&mut store, &module).expect_err("refused");
    assert!(format!("{error:#}").contains("limiter refused a memory of 65536 bytes"), "{error:#}");
    // The store is still usable: a module without memory instantiates.
    let module = Module::new(&engine, r#"(module (func (export "f") (result i32) (i32.const 1)))"#).unwrap();
    let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let f = instance.get_func(&store, "f").unwrap();
    assert_eq!(f.call(&mut store, &[]).unwrap()[0].unwrap_i32(), 1);
}

/// A memory refused for its size leaves nothing behind: 20,000 refusals, more than the 16,383
/// 8 GiB reservations a process has room for, and instantiation still works after them.
#[test]
fn a_refused_memory_reserves_nothing() {
    let mut config = kite_runtime::Config::new();
    config.max_memory_pages(5);
    let engine = Engine::new(&config).unwrap();
    let too_large = Module::new(&engine, "(module (memory 10))").unwrap();
    let fits = Module::new(&engine, "(module (memory 1))").unwrap();
    let linker = Linker::new(&engine);
    let mut store = Store::new(&engine, ());
    for _ in 0..20_000 {
        assert!(linker.instantiate(&mut store, &too_large).is_err());
    }
    linker.instantiate(&mut store, &fits).unwrap();
}
