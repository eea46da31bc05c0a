//! The pooling allocator (`InstanceAllocationStrategy::Pooling`): linear memories are slots of one
//! pool, so a process holds far more instances than 8 GiB reservations allow; accesses check
//! bounds in code (the slots have no guard pages); a slot given back is zeroed before reuse; and
//! asking past the pool is a clear error. The spec suites run under it as `spec::*::pooled`.

use kite_runtime::{
    Config, Engine, InstanceAllocationStrategy, Linker, Module, PoolingAllocationConfig, Store,
};

const ONE_PAGE: &str = r#"(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\2a")
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;

fn pooled_engine(convention: &str, memories: u32, slot_bytes: usize) -> Engine {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_memories(memories).max_memory_size(slot_bytes);
    let mut config = Config::new();
    config.tail_cc(convention).unwrap().allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).unwrap()
}

/// Issue 14: one process holds 100,000 instances of a one-page module (with 8 GiB reservations,
/// about 16,000), and the one past the pool's size fails with a message that says why.
#[test]
fn one_process_holds_a_hundred_thousand_instances() {
    const INSTANCES: u32 = 100_000;
    // A page of memory and, under `fused` and `wide`, the VMContext's 64 KiB in front of it.
    let engine = pooled_engine("fused", INSTANCES, 2 << 16);
    let module = Module::new(&engine, ONE_PAGE).unwrap();
    let linker = Linker::new(&engine);
    let mut store = Store::new(&engine, ());
    let mut instances = Vec::with_capacity(INSTANCES as usize);
    for _ in 0..INSTANCES {
        instances.push(linker.instantiate(&mut store, &module).unwrap());
    }
    // Each has its own memory: a store to one is seen there only.
    for (i, instance) in instances.iter().enumerate().step_by(9_973) {
        let store_fn = instance.get_typed_func::<(i32, i32), ()>(&store, "store").unwrap();
        store_fn.call(&mut store, (100, i as i32 % 200)).unwrap();
    }
    for (i, instance) in instances.iter().enumerate().step_by(9_973) {
        let load = instance.get_typed_func::<i32, i32>(&store, "load").unwrap();
        assert_eq!(load.call(&mut store, 100).unwrap(), i as i32 % 200);
        assert_eq!(load.call(&mut store, 16).unwrap(), 42);
    }
    let Err(err) = linker.instantiate(&mut store, &module) else { panic!("the pool is full") };
    let message = format!("{err:#}");
    assert!(message.contains("all 100000 pooled memories are in use"), "{message}");
}

#[test]
fn accesses_past_the_length_trap_though_the_slot_goes_on() {
    for convention in kite_runtime::conventions() {
        // Four pages of slot; the memory has one (after the VMContext's, under fused and wide).
        let engine = pooled_engine(convention, 4, 6 << 16);
        let module = Module::new(&engine, ONE_PAGE).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        let load32 = instance.get_typed_func::<i32, i32>(&store, "load32").unwrap();
        assert_eq!(load32.call(&mut store, 65532).unwrap(), 0, "under {convention}");
        for address in [65533, 65536, 1 << 20, -1] {
            let trap = load32.call(&mut store, address).unwrap_err();
            assert!(format!("{trap:#}").contains("out of bounds"), "{address} under {convention}: {trap:#}");
        }
        // Growth stops at the slot: the slot has room for more pages than the memory starts with,
        // never for more than it holds.
        let grow = instance.get_typed_func::<i32, i32>(&store, "grow").unwrap();
        assert_eq!(grow.call(&mut store, 1).unwrap(), 1, "under {convention}");
        assert_eq!(load32.call(&mut store, 65536).unwrap(), 0, "under {convention}");
        assert_eq!(grow.call(&mut store, 16).unwrap(), -1, "under {convention}");
    }
}

#[test]
fn a_slot_given_back_is_zeroed_before_its_next_memory() {
    for convention in kite_runtime::conventions() {
        // One slot: each store's memory is the previous one's slot again.
        let engine = pooled_engine(convention, 1, 2 << 16);
        let module = Module::new(&engine, ONE_PAGE).unwrap();
        for round in 0..3 {
            let mut store = Store::new(&engine, ());
            let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
            let load = instance.get_typed_func::<i32, i32>(&store, "load").unwrap();
            assert_eq!(load.call(&mut store, 200).unwrap(), 0, "round {round} under {convention}");
            let store_fn = instance.get_typed_func::<(i32, i32), ()>(&store, "store").unwrap();
            store_fn.call(&mut store, (200, 7)).unwrap();
            // A second instance while the first holds the only slot.
            let Err(err) = Linker::new(&engine).instantiate(&mut store, &module) else { panic!("one slot") };
            assert!(format!("{err:#}").contains("pooled memories are in use"), "{err:#}");
        }
    }
}

#[test]
fn a_pool_too_large_for_the_address_space_is_refused() {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_memories(1_000_000).max_memory_size(4 << 30);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    let Err(err) = Engine::new(&config) else { panic!("4 PiB does not fit") };
    assert!(format!("{err:#}").contains("address space"), "{err:#}");
}
