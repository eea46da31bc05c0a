//! The benchmark `tailvm_ref` (`benches/programs/wasm/tailvm_ref.wasm`): `tailvm.wasm` with every
//! dispatch rewritten to `return_call_ref` by `benches/src/bin/typed_dispatch.rs`. It must really
//! dispatch by reference, and compute under every convention what `tailvm.wasm` computes.

use kite_runtime::{Config, Engine, Linker, Module, Store};
use wasmparser::{HeapType, Operator, Parser, Payload, RefType, UnpackedIndex, WasmFeatures};

fn program(name: &str) -> Vec<u8> {
    std::fs::read(kite_tests::repo_root().join(format!("benches/programs/wasm/{name}.wasm"))).unwrap()
}

/// Every operator of every function body, and the tables' element types.
fn read(bytes: &[u8]) -> (Vec<Operator<'_>>, Vec<RefType>) {
    let (mut ops, mut tables) = (Vec::new(), Vec::new());
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.unwrap() {
            Payload::TableSection(section) => {
                tables.extend(section.into_iter().map(|t| t.unwrap().ty.element_type));
            }
            Payload::CodeSectionEntry(body) => {
                ops.extend(body.get_operators_reader().unwrap().into_iter().map(Result::unwrap));
            }
            _ => {}
        }
    }
    (ops, tables)
}

#[test]
fn every_dispatch_of_tailvm_ref_is_a_return_call_ref_through_a_typed_table() {
    let (tailvm, tailvm_ref) = (program("tailvm"), program("tailvm_ref"));
    let (ops, _) = read(&tailvm);
    // The handlers' type and table, and the number of dispatches, are tailvm's.
    let dispatches: Vec<(u32, u32)> = ops
        .iter()
        .filter_map(|op| match op {
            Operator::ReturnCallIndirect { type_index, table_index } => Some((*type_index, *table_index)),
            _ => None,
        })
        .collect();
    let (handler, table) = dispatches[0];
    assert!(dispatches.iter().all(|d| *d == (handler, table)), "{dispatches:?}");

    let features = WasmFeatures::WASM2 | WasmFeatures::TAIL_CALL | WasmFeatures::FUNCTION_REFERENCES;
    wasmparser::Validator::new_with_features(features).validate_all(&tailvm_ref).unwrap();
    let (ops, tables) = read(&tailvm_ref);
    let element = tables[table as usize];
    assert!(element.is_nullable(), "{element:?}");
    assert_eq!(element.heap_type(), HeapType::Concrete(UnpackedIndex::Module(handler)));
    let return_call_refs =
        ops.iter().filter(|op| **op == Operator::ReturnCallRef { type_index: handler }).count();
    assert_eq!(return_call_refs, dispatches.len());
    // Each one takes its callee from the table, as return_call_indirect did.
    for (i, op) in ops.iter().enumerate() {
        if matches!(op, Operator::ReturnCallRef { .. } | Operator::CallRef { .. }) {
            assert_eq!(ops[i - 1], Operator::TableGet { table });
        }
    }
    let indirect = ops.iter().filter(|op| {
        matches!(op, Operator::ReturnCallIndirect { type_index, .. } | Operator::CallIndirect { type_index, .. }
            if *type_index == handler)
    });
    assert_eq!(indirect.count(), 0);
}

/// `run_ops` twice on one instance (the second run in the recompiled code where the first tiered
/// up), and whether any group was recompiled.
fn run_ops(config: &Config, bytes: &[u8]) -> (i64, bool) {
    let engine = Engine::new(config).unwrap();
    let module = Module::new(&engine, bytes).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let run_ops = instance.get_typed_func::<(), i64>(&store, "run_ops").unwrap();
    let first = run_ops.call(&mut store, ()).unwrap();
    assert_eq!(run_ops.call(&mut store, ()).unwrap(), first, "a second run differs");
    (first, !module.recompiled_groups().is_empty())
}

#[test]
fn tailvm_ref_computes_what_tailvm_does_under_every_convention() {
    let mut baseline = Config::new();
    baseline.tail_cc("baseline").unwrap();
    let (expected, _) = run_ops(&baseline, &program("tailvm"));
    let tailvm_ref = program("tailvm_ref");
    for cc in kite_runtime::conventions() {
        let mut config = Config::new();
        config.tail_cc(cc).unwrap().tier_up_after(Some(10_000));
        let (got, recompiled) = run_ops(&config, &tailvm_ref);
        assert_eq!(got, expected, "under {cc}");
        // fused's handlers form a group whose return_call_ref sites are profiled: the first run
        // dispatches far more than 10,000 times, so the second runs recompiled code.
        assert_eq!(recompiled, cc == "fused", "under {cc}");
    }
}
