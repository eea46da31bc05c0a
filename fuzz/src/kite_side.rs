//! kite's sides: one engine per configuration under test, each replaying the oracle's events
//! on the same module and stopping at the first step where it disagrees.

use crate::generate::Call;
use crate::outcome::{Event, Outcome, State, Value, hash_bytes};
use kite_runtime::{Config, Engine, Extern, Instance, Linker, Module, Store, Trap, TrapKind, Val};

/// A configuration of kite under test.
pub struct Side {
    pub name: &'static str,
    engine: Engine,
}

/// What one side did with one module.
#[derive(Default)]
pub struct Replay {
    /// kite's own events, each with the index of the oracle's event it answers.
    pub events: Vec<(usize, Event)>,
    /// Calls whose outcome and state were compared with the oracle's.
    pub compared: usize,
    /// Calls not compared: one side ran out of stack on it or earlier in its instance.
    pub skipped: usize,
    pub divergence: Option<Divergence>,
}

/// Where kite first disagreed with the oracle.
pub struct Divergence {
    /// The index of the oracle's event; `None` if kite did not even compile the module.
    pub step: Option<usize>,
    pub what: String,
}

/// Every calling convention, and `fused` recompiling its groups at their first indirect tail
/// call, so that the tiered code runs as well. Each side compiles on one thread: the sides run
/// in parallel instead.
pub fn sides() -> Vec<Side> {
    let configure = |name: &'static str, convention: &str, tier_up_after: Option<u32>| {
        let mut config = Config::new();
        config
            .tail_cc(convention)
            .expect("a known convention")
            .tier_up_after(tier_up_after)
            .parallel_compilation(false)
            .verify(true);
        Side { name, engine: Engine::new(&config).expect("the host is a supported target") }
    };
    let tier_up_after = Some(kite_runtime::DEFAULT_TIER_UP_AFTER);
    vec![
        configure("baseline", "baseline", tier_up_after),
        configure("wide", "wide", tier_up_after),
        configure("fused", "fused", tier_up_after),
        configure("fused-tiering", "fused", Some(1)),
    ]
}

impl Side {
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Replays the oracle's `events` on `wasm`: a fresh instance where the oracle made one, the
    /// same calls, comparing each outcome and the state after it.
    pub fn replay(&self, wasm: &[u8], plan: &[Call], oracle: &[Event]) -> Replay {
        let mut replay = Replay::default();
        let module = match Module::from_binary(&self.engine, wasm) {
            Ok(module) => module,
            Err(error) => {
                let what = format!("kite rejects a module wasmi accepts: {error:#}");
                replay.divergence = Some(Divergence { step: None, what });
                return replay;
            }
        };
        let mut current: Option<(Store<()>, Instance)> = None;
        // After either side ran out of stack, until the oracle's next fresh instance.
        let mut skipping = false;
        for (step, event) in oracle.iter().enumerate() {
            match event {
                Event::Instantiate(want) => {
                    skipping = false;
                    let mut store = Store::new(&self.engine, ());
                    let got = match Linker::new(&self.engine).instantiate(&mut store, &module) {
                        Ok(instance) => {
                            current = Some((store, instance));
                            Outcome::Returned(vec![])
                        }
                        Err(error) => {
                            current = None;
                            outcome_of_error(&error)
                        }
                    };
                    replay.events.push((step, Event::Instantiate(got.clone())));
                    if matches!(got, Outcome::Exhausted) || matches!(want, Outcome::Exhausted) {
                        skipping = true;
                    } else if !got.same(want) {
                        let what = format!("instantiation: kite {got:?}, wasmi {want:?}");
                        replay.divergence = Some(Divergence { step: Some(step), what });
                        return replay;
                    }
                }
                Event::Call { call, outcome: want, state: want_state } => {
                    let Some((store, instance)) = current.as_mut().filter(|_| !skipping) else {
                        replay.skipped += 1;
                        continue;
                    };
                    let export = &plan[*call].export;
                    let func = instance.get_func(&*store, export).expect("wasmi and kite agree on exports");
                    let args: Vec<Val> = plan[*call].args.iter().map(val_of).collect();
                    let got = match func.call(&mut *store, &args) {
                        Ok(results) => Outcome::Returned(results.iter().map(value_of).collect()),
                        Err(error) => outcome_of_error(&error),
                    };
                    let state = state_of(store, instance);
                    let difference = state.difference(want_state);
                    replay.events.push((step, Event::Call { call: *call, outcome: got.clone(), state }));
                    if matches!(got, Outcome::Exhausted) || matches!(want, Outcome::Exhausted) {
                        skipping = true;
                        replay.skipped += 1;
                        continue;
                    }
                    replay.compared += 1;
                    let what = if !got.same(want) {
                        format!("call `{export}`: kite {got:?}, wasmi {want:?}")
                    } else if let Some(difference) = difference {
                        format!("after call `{export}`: {difference}")
                    } else {
                        continue;
                    };
                    replay.divergence = Some(Divergence { step: Some(step), what });
                    return replay;
                }
            }
        }
        replay
    }
}

fn val_of(value: &Value) -> Val {
    match *value {
        Value::I32(x) => Val::I32(x),
        Value::I64(x) => Val::I64(x),
        Value::F32(bits) => Val::F32(bits),
        Value::F64(bits) => Val::F64(bits),
        Value::V128(bits) => Val::V128(bits.into()),
        Value::FuncRef { .. } => Val::FuncRef(None),
        Value::ExternRef { .. } => Val::ExternRef(None),
    }
}

fn value_of(val: &Val) -> Value {
    match val {
        Val::I32(x) => Value::I32(*x),
        Val::I64(x) => Value::I64(*x),
        Val::F32(bits) => Value::F32(*bits),
        Val::F64(bits) => Value::F64(*bits),
        Val::V128(v) => Value::V128(v.as_u128()),
        Val::FuncRef(f) => Value::FuncRef { null: f.is_none() },
        Val::ExternRef(r) => Value::ExternRef { null: r.is_none() },
        Val::ExnRef(_) => unreachable!("the fuzzer's modules have no exceptions"),
    }
}

fn outcome_of_error(error: &anyhow::Error) -> Outcome {
    match error.downcast_ref::<Trap>() {
        Some(trap) if trap.kind == TrapKind::StackOverflow => Outcome::Exhausted,
        Some(trap) => Outcome::Trapped(trap.kind),
        None => Outcome::Failed(format!("{error:#}")),
    }
}

fn state_of(store: &Store<()>, instance: &Instance) -> State {
    let mut state = State::default();
    for (name, export) in instance.exports(store) {
        match export {
            Extern::Global(global) => state.globals.push((name, value_of(&global.get(store)))),
            Extern::Memory(memory) => {
                let data = memory.data(store);
                state.memories.push((name, data.len(), hash_bytes(data)));
            }
            Extern::Table(table) => state.tables.push((name, table.size(store))),
            Extern::Func(_) | Extern::Tag(_) => {}
        }
    }
    state.sorted()
}
