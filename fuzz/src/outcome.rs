//! What both sides of a differential run report, in one vocabulary: values, call outcomes, the
//! state exported after each call, and when two of them count as the same.
//!
//! Floats are compared by bits except that any NaN equals any NaN (Wasm leaves NaN payloads
//! nondeterministic), references by null-ness only (their identities are engine-private),
//! `v128`s by bits (modules with SIMD canonicalize their NaNs, see `generate`).

use kite_runtime::TrapKind;

/// A value crossing the embedding boundary. Floats are bits; references only say whether they
/// are null (arguments are always null references).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    FuncRef { null: bool },
    ExternRef { null: bool },
}

impl Value {
    pub fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::F32(a), Value::F32(b)) => {
                a == b || (f32::from_bits(*a).is_nan() && f32::from_bits(*b).is_nan())
            }
            (Value::F64(a), Value::F64(b)) => {
                a == b || (f64::from_bits(*a).is_nan() && f64::from_bits(*b).is_nan())
            }
            (a, b) => a == b,
        }
    }
}

/// How a call (or an instantiation, which may run a start function) ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    Returned(Vec<Value>),
    Trapped(TrapKind),
    /// Out of stack: engines legitimately differ in depth limits, so nothing after it is compared.
    Exhausted,
    /// An error that is not a trap (a resource limit, a link error), with its message.
    Failed(String),
}

impl Outcome {
    pub fn same(&self, other: &Outcome) -> bool {
        match (self, other) {
            (Outcome::Returned(a), Outcome::Returned(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.same(b))
            }
            (Outcome::Trapped(a), Outcome::Trapped(b)) => comparable(*a) == comparable(*b),
            (Outcome::Exhausted, Outcome::Exhausted) | (Outcome::Failed(_), Outcome::Failed(_)) => true,
            _ => false,
        }
    }

    /// Whether the instance may be out of fuel (wasm-smith's termination check traps with
    /// `unreachable`) or in an unknown state, so that the next call needs a fresh instance.
    pub fn needs_fresh_instance(&self) -> bool {
        matches!(self, Outcome::Trapped(TrapKind::Unreachable) | Outcome::Exhausted | Outcome::Failed(_))
    }
}

/// The trap kinds both engines can tell apart: wasmi reports a `call_indirect` past the end of
/// its table as any other table access out of bounds, kite as an undefined element.
fn comparable(kind: TrapKind) -> TrapKind {
    match kind {
        TrapKind::UndefinedElement => TrapKind::TableOutOfBounds,
        other => other,
    }
}

/// What an instance exports besides functions, as seen after a call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub globals: Vec<(String, Value)>,
    /// Each exported memory's name, size in bytes and [`hash_bytes`] of its contents.
    pub memories: Vec<(String, usize, u64)>,
    pub tables: Vec<(String, u64)>,
}

impl State {
    /// Sorts by export name: engines list an instance's exports in different orders.
    pub fn sorted(mut self) -> State {
        self.globals.sort_by(|a, b| a.0.cmp(&b.0));
        self.memories.sort_by(|a, b| a.0.cmp(&b.0));
        self.tables.sort_by(|a, b| a.0.cmp(&b.0));
        self
    }

    /// The first difference from `other`, described.
    pub fn difference(&self, other: &State) -> Option<String> {
        for ((name, a), (_, b)) in self.globals.iter().zip(&other.globals) {
            if !a.same(b) {
                return Some(format!("global `{name}` is {a:?}, expected {b:?}"));
            }
        }
        for ((name, size_a, hash_a), (_, size_b, hash_b)) in self.memories.iter().zip(&other.memories) {
            if (size_a, hash_a) != (size_b, hash_b) {
                return Some(format!("memory `{name}` differs (sizes {size_a} and {size_b} bytes)"));
            }
        }
        for ((name, a), (_, b)) in self.tables.iter().zip(&other.tables) {
            if a != b {
                return Some(format!("table `{name}` has {a} elements, expected {b}"));
            }
        }
        let counts = |s: &State| (s.globals.len(), s.memories.len(), s.tables.len());
        (counts(self) != counts(other)).then(|| "the instances export different things".to_string())
    }
}

/// A fast, non-cryptographic hash of a memory's contents, a word at a time: it runs after every
/// call on every side, so it must cost far less than the call.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut hash = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        hash = (hash ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
    for byte in words.remainder() {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
    hash
}

/// One step of running a module's call plan, in the order the oracle took them.
#[derive(Clone, Debug)]
pub enum Event {
    /// A fresh instance (in a fresh store): at the start, and after a call that
    /// [`Outcome::needs_fresh_instance`].
    Instantiate(Outcome),
    /// The call `plan[call]`, and the state after it.
    Call { call: usize, outcome: Outcome, state: State },
}
