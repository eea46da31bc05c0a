//! Spec-script values: arguments to kite values, and results against expected patterns
//! (exact bits, `nan:canonical`, `nan:arithmetic`, reference kinds, `v128` lane by lane).

use anyhow::{Result, bail};
use kite_runtime::{ExternRef, Store, Val};
use wast::WastRet;
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};

pub fn arg(store: &mut Store<()>, arg: &WastArgCore<'_>) -> Result<Val> {
    Ok(match arg {
        WastArgCore::I32(x) => Val::I32(*x),
        WastArgCore::I64(x) => Val::I64(*x),
        WastArgCore::F32(x) => Val::F32(x.bits),
        WastArgCore::F64(x) => Val::F64(x.bits),
        WastArgCore::V128(x) => Val::V128(u128::from_le_bytes(x.to_le_bytes()).into()),
        WastArgCore::RefNull(
            HeapType::Abstract { ty: AbstractHeapType::Func | AbstractHeapType::NoFunc, .. }
            | HeapType::Concrete(_),
        ) => Val::FuncRef(None),
        WastArgCore::RefNull(HeapType::Abstract {
            ty: AbstractHeapType::Extern | AbstractHeapType::NoExtern,
            ..
        }) => Val::ExternRef(None),
        WastArgCore::RefNull(HeapType::Abstract {
            ty: AbstractHeapType::Exn | AbstractHeapType::NoExn,
            ..
        }) => Val::ExnRef(None),
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(ExternRef::new(&mut *store, *n))),
        other => bail!("unsupported argument {other:?}"),
    })
}

pub fn check_results(store: &Store<()>, want: &[WastRet<'_>], got: &[Val]) -> Result<()> {
    if want.len() != got.len() {
        bail!("expected {} results, got {}: {got:?}", want.len(), got.len());
    }
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        let WastRet::Core(w) = w else { bail!("unsupported expected value") };
        if !matches(store, w, g) {
            bail!("result {i}: expected {w:?}, got {g:?}");
        }
    }
    Ok(())
}

fn matches(store: &Store<()>, want: &WastRetCore<'_>, got: &Val) -> bool {
    match (want, got) {
        (WastRetCore::I32(w), Val::I32(g)) => w == g,
        (WastRetCore::I64(w), Val::I64(g)) => w == g,
        (WastRetCore::F32(w), Val::F32(g)) => f32_matches(w, *g),
        (WastRetCore::F64(w), Val::F64(g)) => f64_matches(w, *g),
        (WastRetCore::V128(w), Val::V128(g)) => v128_matches(w, g.as_u128()),
        (WastRetCore::RefNull(_), Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None)) => true,
        (WastRetCore::RefFunc(_), Val::FuncRef(Some(_))) => true,
        (WastRetCore::RefExtern(None), Val::ExternRef(Some(_))) => true,
        (WastRetCore::RefExtern(Some(n)), Val::ExternRef(Some(r))) => {
            r.data(store).and_then(|d| d.downcast_ref::<u32>()) == Some(n)
        }
        (WastRetCore::Either(options), g) => options.iter().any(|w| matches(store, w, g)),
        _ => false,
    }
}

fn f32_matches(want: &NanPattern<wast::token::F32>, got: u32) -> bool {
    match want {
        NanPattern::CanonicalNan => got & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => got & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == got,
    }
}

fn f64_matches(want: &NanPattern<wast::token::F64>, got: u64) -> bool {
    match want {
        NanPattern::CanonicalNan => got & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => got & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => v.bits == got,
    }
}

/// A `v128` result against its pattern: integer lanes exactly, float lanes each as a float
/// result (so a lane may be `nan:canonical`).
fn v128_matches(want: &V128Pattern, got: u128) -> bool {
    // Lane `i` of width `bits`, as raw bits.
    let lane = |bits: u32, i: usize| (got >> (bits as usize * i)) & ((1u128 << bits) - 1);
    match want {
        V128Pattern::I8x16(w) => w.iter().enumerate().all(|(i, x)| lane(8, i) == u128::from(*x as u8)),
        V128Pattern::I16x8(w) => w.iter().enumerate().all(|(i, x)| lane(16, i) == u128::from(*x as u16)),
        V128Pattern::I32x4(w) => w.iter().enumerate().all(|(i, x)| lane(32, i) == u128::from(*x as u32)),
        V128Pattern::I64x2(w) => w.iter().enumerate().all(|(i, x)| lane(64, i) == u128::from(*x as u64)),
        V128Pattern::F32x4(w) => w.iter().enumerate().all(|(i, x)| f32_matches(x, lane(32, i) as u32)),
        V128Pattern::F64x2(w) => w.iter().enumerate().all(|(i, x)| f64_matches(x, lane(64, i) as u64)),
    }
}
