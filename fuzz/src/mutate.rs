//! The mutation mode: modules damaged from valid ones (bytes flipped, replaced, inserted, cut
//! off) fed to kite's parser, compiler and instantiation. An error is the right answer to most;
//! a panic, a signal or a hang is a bug.

use kite_runtime::{Engine, Linker, Module, Store};

/// How far kite got with a damaged module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Rejected,
    /// Compiled, and not instantiated: it has a start function, which damage may have made loop
    /// forever (wasm-smith's termination check can be damaged too).
    Compiled,
    Instantiated,
    /// Compiled, and instantiation failed (a trap in a segment, a limit).
    NotInstantiated,
}

/// `wasm` with one to four random edits, mostly past the 8-byte header (damage there is
/// rejected at once and tests nothing).
pub fn mutant(rng: &mut fastrand::Rng, wasm: &[u8]) -> Vec<u8> {
    let mut bytes = wasm.to_vec();
    for _ in 0..rng.usize(1..=4) {
        let start = if bytes.len() > 8 && rng.u8(..8) != 0 { 8 } else { 0 };
        if bytes.len() <= start {
            bytes.push(rng.u8(..));
            continue;
        }
        let at = rng.usize(start..bytes.len());
        match rng.u8(..8) {
            0..=2 => bytes[at] ^= 1 << rng.u8(..8),
            3..=4 => bytes[at] = [0x00, 0x01, 0x7f, 0x80, 0xff, rng.u8(..)][rng.usize(..6)],
            5..=6 => bytes.insert(at, rng.u8(..)),
            _ => bytes.truncate(at),
        }
    }
    bytes
}

/// Parses, compiles and (without a start function) instantiates `bytes`.
pub fn check(engine: &Engine, bytes: &[u8]) -> Verdict {
    let Ok(module) = Module::from_binary(engine, bytes) else { return Verdict::Rejected };
    if module.info().start.is_some() {
        return Verdict::Compiled;
    }
    let mut store = Store::new(engine, ());
    match Linker::new(engine).instantiate(&mut store, &module) {
        Ok(_) => Verdict::Instantiated,
        Err(_) => Verdict::NotInstantiated,
    }
}
