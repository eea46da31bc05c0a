//! The oracle: wasmi, an interpreter that shares no code with kite, runs a module's call plan
//! and records what happened, step by step, for kite's sides to replay.

use crate::generate::{self, Call};
use crate::outcome::{Event, Outcome, State, Value, hash_bytes};
use anyhow::Result;
use kite_runtime::TrapKind;
use wasmi::errors::{ErrorKind, InstantiationError};
use wasmi::{Engine, Extern, ExternType, Instance, Linker, Module, Store, TrapCode, Val, ValType};

pub struct Oracle {
    engine: Engine,
}

impl Oracle {
    /// wasmi restricted to kite's features (SIMD included; the generator leaves relaxed SIMD
    /// out).
    pub fn new() -> Oracle {
        let mut config = wasmi::Config::default();
        config
            .wasm_tail_call(true)
            .wasm_extended_const(true)
            .wasm_multi_memory(true)
            .wasm_memory64(false)
            .wasm_custom_page_sizes(false)
            .wasm_wide_arithmetic(false)
            // Deeper than wasm-smith's fuel lets a call recurse, so that wasmi rarely runs out of
            // stack where kite does not.
            .set_max_recursion_depth(4 * generate::FUEL as usize);
        Oracle { engine: Engine::new(&config) }
    }

    pub fn compile(&self, wasm: &[u8]) -> Result<Module> {
        Ok(Module::new(&self.engine, wasm)?)
    }

    /// The exported functions with their parameter types, in export order.
    pub fn exported_funcs(module: &Module) -> Vec<(String, Vec<kite_runtime::ValType>)> {
        module
            .exports()
            .filter_map(|export| match export.ty() {
                ExternType::Func(ty) => {
                    Some((export.name().to_string(), ty.params().iter().map(ty_of).collect()))
                }
                _ => None,
            })
            .collect()
    }

    /// Runs `plan` on fresh instances of `module`: one to start with, and a new one after each
    /// call that [`Outcome::needs_fresh_instance`]. It stops at an instantiation that fails.
    pub fn run(&self, module: &Module, plan: &[Call]) -> Vec<Event> {
        let mut events = Vec::new();
        let Some((mut store, mut instance)) = self.instantiate(module, &mut events) else { return events };
        let mut needs_fresh_instance = false;
        for (index, call) in plan.iter().enumerate() {
            if needs_fresh_instance {
                let Some(fresh) = self.instantiate(module, &mut events) else { return events };
                (store, instance) = fresh;
            }
            let func = instance.get_func(&store, &call.export).expect("planned from the exports");
            let args: Vec<Val> = call.args.iter().map(val_of).collect();
            let mut results: Vec<Val> =
                func.ty(&store).results().iter().map(|ty| Val::default(*ty)).collect();
            let outcome = match func.call(&mut store, &args, &mut results) {
                Ok(()) => Outcome::Returned(results.iter().map(value_of).collect()),
                Err(error) => outcome_of_error(&error),
            };
            needs_fresh_instance = outcome.needs_fresh_instance();
            events.push(Event::Call { call: index, outcome, state: state_of(&store, &instance) });
        }
        events
    }

    /// A fresh store and instance, its start function run; `None` if that fails.
    fn instantiate(&self, module: &Module, events: &mut Vec<Event>) -> Option<(Store<()>, Instance)> {
        let mut store = Store::new(&self.engine, ());
        match Linker::new(&self.engine).instantiate_and_start(&mut store, module) {
            Ok(instance) => {
                events.push(Event::Instantiate(Outcome::Returned(vec![])));
                Some((store, instance))
            }
            Err(error) => {
                events.push(Event::Instantiate(outcome_of_error(&error)));
                None
            }
        }
    }
}

/// wasmi's value type as kite names it (the fuzzer's one vocabulary, see `outcome`).
fn ty_of(ty: &ValType) -> kite_runtime::ValType {
    match ty {
        ValType::I32 => kite_runtime::ValType::I32,
        ValType::I64 => kite_runtime::ValType::I64,
        ValType::F32 => kite_runtime::ValType::F32,
        ValType::F64 => kite_runtime::ValType::F64,
        ValType::FuncRef => kite_runtime::ValType::FUNCREF,
        ValType::ExternRef => kite_runtime::ValType::EXTERNREF,
        ValType::V128 => kite_runtime::ValType::V128,
    }
}

fn val_of(value: &Value) -> Val {
    match *value {
        Value::I32(x) => Val::I32(x),
        Value::I64(x) => Val::I64(x),
        Value::F32(bits) => Val::F32(wasmi::F32::from_bits(bits)),
        Value::F64(bits) => Val::F64(wasmi::F64::from_bits(bits)),
        Value::V128(bits) => Val::V128(wasmi::V128::from(bits)),
        Value::FuncRef { .. } => Val::FuncRef(wasmi::Ref::Null),
        Value::ExternRef { .. } => Val::ExternRef(wasmi::Ref::Null),
    }
}

fn value_of(val: &Val) -> Value {
    match val {
        Val::I32(x) => Value::I32(*x),
        Val::I64(x) => Value::I64(*x),
        Val::F32(x) => Value::F32(x.to_bits()),
        Val::F64(x) => Value::F64(x.to_bits()),
        Val::FuncRef(r) => Value::FuncRef { null: r.is_null() },
        Val::ExternRef(r) => Value::ExternRef { null: r.is_null() },
        Val::V128(v) => Value::V128(v.as_u128()),
    }
}

/// wasmi's trap codes in kite's terms; stack overflow is exhaustion. wasmi reports some
/// accesses out of bounds (`table.copy`, segments at instantiation) as errors of their own,
/// not traps. The limits wasmi enforces beyond the spec (fuel, growth, host memory) are
/// failures, compared only as such.
fn outcome_of_error(error: &wasmi::Error) -> Outcome {
    let kind = match (error.as_trap_code(), error.kind()) {
        (Some(TrapCode::UnreachableCodeReached), _) => TrapKind::Unreachable,
        (Some(TrapCode::MemoryOutOfBounds), _) | (None, ErrorKind::Memory(_)) => TrapKind::MemoryOutOfBounds,
        (Some(TrapCode::TableOutOfBounds), _)
        | (None, ErrorKind::Table(_))
        | (None, ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit { .. })) => {
            TrapKind::TableOutOfBounds
        }
        (Some(TrapCode::IndirectCallToNull), _) => TrapKind::UninitializedElement,
        (Some(TrapCode::IntegerDivisionByZero), _) => TrapKind::IntegerDivisionByZero,
        (Some(TrapCode::IntegerOverflow), _) => TrapKind::IntegerOverflow,
        (Some(TrapCode::BadConversionToInteger), _) => TrapKind::BadConversionToInteger,
        (Some(TrapCode::BadSignature), _) => TrapKind::BadSignature,
        (Some(TrapCode::StackOverflow), _) => return Outcome::Exhausted,
        _ => return Outcome::Failed(error.to_string()),
    };
    Outcome::Trapped(kind)
}

fn state_of(store: &Store<()>, instance: &Instance) -> State {
    let mut state = State::default();
    for export in instance.exports(store) {
        let name = export.name().to_string();
        match export.into_extern() {
            Extern::Global(global) => state.globals.push((name, value_of(&global.get(store)))),
            Extern::Memory(memory) => {
                let data = memory.data(store);
                state.memories.push((name, data.len(), hash_bytes(data)));
            }
            Extern::Table(table) => state.tables.push((name, table.size(store))),
            Extern::Func(_) => {}
        }
    }
    state.sorted()
}
