//! Spec-script values: arguments to kite values, and results against expected patterns
//! (exact bits, `nan:canonical`, `nan:arithmetic`, reference kinds).

use anyhow::{Result, bail};
use kite_runtime::{ExternRef, Store, Val};
use wast::WastRet;
use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};

pub fn arg(store: &mut Store<()>, arg: &WastArgCore<'_>) -> Result<Val> {
    Ok(match arg {
        WastArgCore::I32(x) => Val::I32(*x),
        WastArgCore::I64(x) => Val::I64(*x),
        WastArgCore::F32(x) => Val::F32(x.bits),
        WastArgCore::F64(x) => Val::F64(x.bits),
        WastArgCore::RefNull(HeapType::Abstract { ty: AbstractHeapType::Func, .. }) => Val::FuncRef(None),
        WastArgCore::RefNull(HeapType::Abstract { ty: AbstractHeapType::Extern, .. }) => Val::ExternRef(None),
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
        (WastRetCore::F32(w), Val::F32(g)) => match w {
            NanPattern::CanonicalNan => g & 0x7fff_ffff == 0x7fc0_0000,
            NanPattern::ArithmeticNan => g & 0x7fc0_0000 == 0x7fc0_0000,
            NanPattern::Value(v) => v.bits == *g,
        },
        (WastRetCore::F64(w), Val::F64(g)) => match w {
            NanPattern::CanonicalNan => g & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
            NanPattern::ArithmeticNan => g & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
            NanPattern::Value(v) => v.bits == *g,
        },
        (WastRetCore::RefNull(_), Val::FuncRef(None) | Val::ExternRef(None)) => true,
        (WastRetCore::RefFunc(_), Val::FuncRef(Some(_))) => true,
        (WastRetCore::RefExtern(None), Val::ExternRef(Some(_))) => true,
        (WastRetCore::RefExtern(Some(n)), Val::ExternRef(Some(r))) => {
            r.data(store).and_then(|d| d.downcast_ref::<u32>()) == Some(n)
        }
        (WastRetCore::Either(options), g) => options.iter().any(|w| matches(store, w, g)),
        _ => false,
    }
}
