//! What a guest pays to be stoppable: fuel (a count of operators run, traps when the store's
//! fuel is spent) and epochs (traps once the engine's epoch reaches the store's deadline).
//!
//! Both are off unless `CompileOptions::interrupts` asks for them, and then the code is as
//! without them. An epoch deadline reaches the code through the store's stack limit, which the
//! runtime raises above every stack when the deadline comes: the stack checks at the entries of
//! functions that make calls catch it for free, and the other check points test the limit's
//! sign bit (see `check`). Both check at the same points: a function's entry (in a fused group,
//! each member's entry, which every tail call between members jumps to) and each loop header, so
//! no guest can run for long without passing a check, and the checks stand where they do
//! under every convention.
//!
//! Fuel follows Wasmtime: every operator costs one unit except those that only shape control
//! or do nothing (`nop`, `drop`, `block`, `loop`, `else`, `end`, `unreachable`). The counter
//! (`store_context::FUEL_CONSUMED`) starts at minus the fuel and counts up; the translator adds
//! a straight run's cost before the operator that ends it (a branch, a call, a loop header,
//! `end`), so that a check sees everything run before it. A guest is out of fuel when the
//! counter is above zero, and traps at the first check after that: a loop whose iteration
//! costs c units, given N, traps at the header after N / c + 1 iterations, under every
//! convention (`tests/all/interrupts.rs`).

use super::Translator;
use crate::trap::TrapKind;
use crate::vmctx::{VMCTX_STORE_CONTEXT, store_context};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value, condcodes::IntCC, types};
use wasmparser::Operator as O;

/// Which interruptions compiled code supports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Interrupts {
    /// Count operators against the store's fuel (`Config::consume_fuel`).
    pub fuel: bool,
    /// Compare the engine's epoch with the store's deadline (`Config::epoch_interruption`).
    pub epochs: bool,
}

/// The fuel an operator costs.
fn cost(op: &O<'_>) -> u32 {
    match op {
        O::Nop | O::Drop | O::Block { .. } | O::Loop { .. } | O::Else | O::End | O::Unreachable => 0,
        _ => 1,
    }
}

/// Whether `op` ends a straight run of code: it branches, calls, throws, opens or switches a
/// handler's scope, or starts a loop's header.
/// The fuel of the run is added before it.
fn ends_run(op: &O<'_>) -> bool {
    matches!(
        op,
        O::Loop { .. }
            | O::If { .. }
            | O::Else
            | O::End
            | O::Br { .. }
            | O::BrIf { .. }
            | O::BrTable { .. }
            | O::BrOnNull { .. }
            | O::BrOnNonNull { .. }
            | O::Return
            | O::Call { .. }
            | O::CallIndirect { .. }
            | O::CallRef { .. }
            | O::ReturnCall { .. }
            | O::ReturnCallIndirect { .. }
            | O::ReturnCallRef { .. }
            | O::TryTable { .. }
            | O::Try { .. }
            | O::Catch { .. }
            | O::CatchAll { .. }
            | O::Delegate { .. }
            | O::Throw { .. }
            | O::ThrowRef
            | O::Rethrow { .. }
    ) || is_builtin_call(op)
}

/// Operators that call into the runtime, which may call back into Wasm (`memory.grow` does not,
/// but the rule is kept simple: anything that leaves the function's code flushes).
fn is_builtin_call(op: &O<'_>) -> bool {
    matches!(
        op,
        O::MemoryGrow { .. }
            | O::MemoryFill { .. }
            | O::MemoryCopy { .. }
            | O::MemoryInit { .. }
            | O::TableGrow { .. }
            | O::TableFill { .. }
            | O::TableCopy { .. }
            | O::TableInit { .. }
    )
}

/// Accounts for `op` before it is translated: adds its cost to the run, and at the end of a
/// run adds the run's fuel to the counter.
pub(super) fn before_operator(t: &mut Translator<'_, '_>, op: &O<'_>) {
    if !t.env.interrupts.fuel {
        return;
    }
    t.fuel_pending += cost(op);
    if ends_run(op) {
        flush_fuel(t);
    }
}

/// After `op` is translated: a loop's header checks. Code left unreachable runs nothing (a
/// run that ends in `unreachable` or a trap never needs its fuel added).
pub(super) fn after_operator(t: &mut Translator<'_, '_>, op: &O<'_>) {
    if !t.reachable {
        t.fuel_pending = 0;
    } else if matches!(op, O::Loop { .. }) {
        check(t, false);
    }
}

/// At a function's (or group member's) entry: the check.
pub(super) fn at_entry(t: &mut Translator<'_, '_>) {
    check(t, true);
}

/// The store context's address, loaded where it is used. Not an `invariant` load, though it
/// is one: Cranelift would hoist that to the function's entry and keep it (and the epoch
/// counter's address) live across a whole fused group, which costs an interpreter's handlers
/// registers (tailvm under epochs: two more spills per handler, 1.7x slower). For the same
/// reason, where the context is memory 0's base in the pinned register, the `VMContext` is
/// found from a read of the register here rather than from the function's entry.
fn store_context(t: &mut Translator<'_, '_>) -> Value {
    let (base, offset) = match t.env.context_prefix {
        Some(prefix) => (t.b.ins().get_pinned_reg(types::I64), VMCTX_STORE_CONTEXT as i32 - prefix as i32),
        None => (t.vmctx, VMCTX_STORE_CONTEXT as i32),
    };
    t.b.ins().load(types::I64, counter_flags(), base, offset)
}

/// The store context's counters: written by the runtime between calls and by this code; never
/// aliased by anything a guest can reach.
fn counter_flags() -> MemFlagsData {
    super::trusted()
}

fn flush_fuel(t: &mut Translator<'_, '_>) {
    let run = std::mem::take(&mut t.fuel_pending);
    if run == 0 {
        return;
    }
    let store = store_context(t);
    let offset = store_context::FUEL_CONSUMED as i32;
    let consumed = t.b.ins().load(types::I64, counter_flags(), store, offset);
    let consumed = t.b.ins().iadd_imm_s(consumed, i64::from(run));
    t.b.ins().store(counter_flags(), consumed, store, offset);
}

/// Traps if the fuel is spent or the deadline has come. A deadline is seen through the stack
/// limit, which the runtime raises to 2^63, above every stack, when it comes
/// (`kite_runtime`'s `traps::interrupts`): at the entry of a function that checks the stack
/// anyway this costs nothing more; elsewhere the check tests the limit's sign bit, which needs no
/// stack pointer (a value Cranelift would keep in a register across a whole group).
fn check(t: &mut Translator<'_, '_>, entry: bool) {
    let Interrupts { fuel, mut epochs } = t.env.interrupts;
    if entry && t.shared.entry_checks_stack {
        epochs = false;
    }
    if !fuel && !epochs {
        return;
    }
    let store = store_context(t);
    if fuel {
        let offset = store_context::FUEL_CONSUMED as i32;
        let consumed = t.b.ins().load(types::I64, counter_flags(), store, offset);
        let spent = t.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, consumed, 0);
        t.b.ins().trapnz(spent, TrapKind::OutOfFuel.code());
    }
    if epochs {
        // Another thread raises the limit. An atomic load, because Cranelift would take a plain
        // one in a loop without stores for the same as the entry's and never see the change
        // (found by `kite run --timeout` spinning forever); on x86-64 and AArch64 it is an
        // ordinary load instruction all the same.
        let limit_address = t.b.ins().iadd_imm_u(store, i64::from(store_context::STACK_LIMIT));
        let limit = t.b.ins().atomic_load(types::I64, counter_flags(), limit_address);
        let due = t.b.ins().icmp_imm_s(IntCC::SignedLessThan, limit, 0);
        t.b.ins().trapnz(due, TrapKind::Interrupt.code());
    }
}
