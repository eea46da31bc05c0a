//! The trap kinds kite reports, and their encoding as Cranelift trap codes.
//!
//! Generated code traps with these codes; the runtime's signal handler maps the faulting
//! instruction back to its code through the trap table, then to a [`TrapKind`].

use cranelift_codegen::ir::TrapCode;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why WebAssembly execution stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TrapKind {
    StackOverflow,
    MemoryOutOfBounds,
    IntegerOverflow,
    IntegerDivisionByZero,
    BadConversionToInteger,
    Unreachable,
    /// `call_indirect` past the end of its table.
    UndefinedElement,
    /// `call_indirect` through a null entry.
    UninitializedElement,
    BadSignature,
    /// `table.get/set/fill/copy/init` or an element segment out of bounds.
    TableOutOfBounds,
    /// `ref.as_non_null` of null.
    NullReference,
    /// `call_ref` or `return_call_ref` of null.
    NullFunctionReference,
    /// `throw_ref` of null.
    NullExceptionReference,
    /// A host function returned an error; the runtime keeps the error itself.
    HostError,
    /// The store's fuel ran out (`Config::consume_fuel`).
    OutOfFuel,
    /// The engine's epoch reached the store's deadline (`Config::epoch_interruption`).
    Interrupt,
}

impl TrapKind {
    pub const ALL: [TrapKind; 16] = [
        TrapKind::StackOverflow,
        TrapKind::MemoryOutOfBounds,
        TrapKind::IntegerOverflow,
        TrapKind::IntegerDivisionByZero,
        TrapKind::BadConversionToInteger,
        TrapKind::Unreachable,
        TrapKind::UndefinedElement,
        TrapKind::UninitializedElement,
        TrapKind::BadSignature,
        TrapKind::TableOutOfBounds,
        TrapKind::NullReference,
        TrapKind::NullFunctionReference,
        TrapKind::NullExceptionReference,
        TrapKind::HostError,
        TrapKind::OutOfFuel,
        TrapKind::Interrupt,
    ];

    pub fn code(self) -> TrapCode {
        match self {
            TrapKind::StackOverflow => TrapCode::STACK_OVERFLOW,
            TrapKind::MemoryOutOfBounds => TrapCode::HEAP_OUT_OF_BOUNDS,
            TrapKind::IntegerOverflow => TrapCode::INTEGER_OVERFLOW,
            TrapKind::IntegerDivisionByZero => TrapCode::INTEGER_DIVISION_BY_ZERO,
            TrapKind::BadConversionToInteger => TrapCode::BAD_CONVERSION_TO_INTEGER,
            TrapKind::Unreachable => TrapCode::unwrap_user(1),
            TrapKind::UndefinedElement => TrapCode::unwrap_user(2),
            TrapKind::UninitializedElement => TrapCode::unwrap_user(3),
            TrapKind::BadSignature => TrapCode::unwrap_user(4),
            TrapKind::TableOutOfBounds => TrapCode::unwrap_user(5),
            TrapKind::NullReference => TrapCode::unwrap_user(6),
            TrapKind::HostError => TrapCode::unwrap_user(7),
            TrapKind::OutOfFuel => TrapCode::unwrap_user(8),
            TrapKind::Interrupt => TrapCode::unwrap_user(9),
            TrapKind::NullFunctionReference => TrapCode::unwrap_user(10),
            TrapKind::NullExceptionReference => TrapCode::unwrap_user(11),
        }
    }

    pub fn from_code(code: TrapCode) -> Option<TrapKind> {
        TrapKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The message the spec testsuite expects for this trap.
    pub fn message(self) -> &'static str {
        match self {
            TrapKind::StackOverflow => "call stack exhausted",
            TrapKind::MemoryOutOfBounds => "out of bounds memory access",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::IntegerDivisionByZero => "integer divide by zero",
            TrapKind::BadConversionToInteger => "invalid conversion to integer",
            TrapKind::Unreachable => "unreachable",
            TrapKind::UndefinedElement => "undefined element",
            TrapKind::UninitializedElement => "uninitialized element",
            TrapKind::BadSignature => "indirect call type mismatch",
            TrapKind::TableOutOfBounds => "out of bounds table access",
            TrapKind::NullReference => "null reference",
            TrapKind::NullFunctionReference => "null function reference",
            TrapKind::NullExceptionReference => "null exception reference",
            TrapKind::HostError => "host function error",
            TrapKind::OutOfFuel => "all fuel consumed",
            TrapKind::Interrupt => "interrupted",
        }
    }
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trap_codes_round_trip_and_are_distinct() {
        for kind in TrapKind::ALL {
            assert_eq!(TrapKind::from_code(kind.code()), Some(kind));
        }
        let mut codes: Vec<_> = TrapKind::ALL.iter().map(|k| k.code()).collect();
        codes.dedup();
        assert_eq!(codes.len(), TrapKind::ALL.len());
    }
}
