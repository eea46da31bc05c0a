//! Values as the embedder sees them, and their 128-bit raw form in generated code's buffers and
//! global cells (the value in the low bits).

use crate::func::Func;
use crate::store::{AsContext, AsContextMut};
use kite_frontend::{HeapType, RefType, TypeIndex, ValType};
use std::any::Any;
use std::num::NonZeroU64;

/// A WebAssembly value. Floats are kept as bits, so NaN payloads survive a round trip.
#[derive(Clone, Copy, Debug)]
pub enum Val {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(V128),
    FuncRef(Option<Func>),
    ExternRef(Option<ExternRef>),
    ExnRef(Option<crate::ExnRef>),
}

/// A `v128` value: 16 bytes, lane 0 in the least significant bits (Wasm's byte order in memory,
/// read little-endian).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct V128(u128);

impl std::fmt::Debug for V128 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "V128({:#034x})", self.0)
    }
}

impl V128 {
    pub fn as_u128(&self) -> u128 {
        self.0
    }

    /// The bytes in memory order: byte lane 0 first.
    pub fn to_le_bytes(&self) -> [u8; 16] {
        self.0.to_le_bytes()
    }
}

impl From<u128> for V128 {
    fn from(x: u128) -> V128 {
        V128(x)
    }
}

impl Val {
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FUNCREF,
            Val::ExternRef(_) => ValType::EXTERNREF,
            Val::ExnRef(_) => ValType::EXNREF,
        }
    }

    /// The zero value of a type (null for references).
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(V128(0)),
            ValType::Ref(r) if r.heap.is_func() => Val::FuncRef(None),
            ValType::Ref(r) if r.heap.is_exn() => Val::ExnRef(None),
            ValType::Ref(_) => Val::ExternRef(None),
        }
    }

    pub fn to_raw(&self) -> u128 {
        match *self {
            Val::I32(x) => u128::from(x as u32),
            Val::I64(x) => u128::from(x as u64),
            Val::F32(x) => u128::from(x),
            Val::F64(x) => u128::from(x),
            Val::V128(x) => x.0,
            Val::FuncRef(f) => f.map_or(0, |f| f.as_raw() as u128),
            Val::ExternRef(r) => r.map_or(0, |r| u128::from(r.0.get())),
            Val::ExnRef(e) => e.map_or(0, |e| e.as_raw() as u128),
        }
    }

    /// The raw form of a reference, as tables hold it (a pointer or an index: 64 bits).
    pub fn to_raw_ref(&self) -> u64 {
        self.to_raw() as u64
    }

    /// # Safety
    /// A non-null `funcref` must point to a live `VMFuncRef`, a non-null `exnref` to an
    /// exception object of a live store.
    pub unsafe fn from_raw(raw: u128, ty: ValType) -> Val {
        let low = raw as u64;
        match ty {
            ValType::I32 => Val::I32(low as u32 as i32),
            ValType::I64 => Val::I64(low as i64),
            ValType::F32 => Val::F32(low as u32),
            ValType::F64 => Val::F64(low),
            ValType::V128 => Val::V128(V128(raw)),
            // SAFETY: the caller's guarantee.
            ValType::Ref(r) if r.heap.is_func() => {
                Val::FuncRef(unsafe { Func::from_raw(low as usize as *mut _) })
            }
            // SAFETY: the caller's guarantee.
            ValType::Ref(r) if r.heap.is_exn() => {
                Val::ExnRef(unsafe { crate::ExnRef::from_raw(low as usize as *mut u8) })
            }
            ValType::Ref(_) => Val::ExternRef(NonZeroU64::new(low).map(ExternRef)),
        }
    }

    /// Whether this value is a value of type `ty` (whose references name engine ids): a null
    /// of a nullable reference type of its kind, or a function of the type or a subtype.
    pub(crate) fn matches(&self, store: &crate::store::StoreOpaque, ty: ValType) -> bool {
        let ValType::Ref(r) = ty else { return self.ty() == ty };
        match self {
            Val::FuncRef(None) => r.nullable && r.heap.is_func(),
            Val::ExternRef(None) => r.nullable && !r.heap.is_func() && !r.heap.is_exn(),
            Val::ExnRef(None) => r.nullable && r.heap.is_exn(),
            Val::ExnRef(Some(_)) => r.heap == HeapType::Exn,
            Val::FuncRef(Some(f)) => {
                let have = ValType::Ref(RefType {
                    nullable: false,
                    heap: HeapType::Concrete(TypeIndex::Engine(f.funcref().type_id)),
                });
                store.engine.val_is_subtype(have, ty)
            }
            Val::ExternRef(Some(_)) => matches!(r.heap, HeapType::Extern),
            _ => false,
        }
    }

    pub fn unwrap_i32(&self) -> i32 {
        match self {
            Val::I32(x) => *x,
            other => panic!("expected i32, found {other:?}"),
        }
    }

    pub fn unwrap_i64(&self) -> i64 {
        match self {
            Val::I64(x) => *x,
            other => panic!("expected i64, found {other:?}"),
        }
    }
}

impl From<i32> for Val {
    fn from(x: i32) -> Val {
        Val::I32(x)
    }
}

impl From<i64> for Val {
    fn from(x: i64) -> Val {
        Val::I64(x)
    }
}

impl From<f32> for Val {
    fn from(x: f32) -> Val {
        Val::F32(x.to_bits())
    }
}

impl From<V128> for Val {
    fn from(x: V128) -> Val {
        Val::V128(x)
    }
}

impl From<f64> for Val {
    fn from(x: f64) -> Val {
        Val::F64(x.to_bits())
    }
}

/// A reference to host data, owned by a store. Its raw form is its index in the store plus one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExternRef(NonZeroU64);

impl ExternRef {
    pub fn new(mut store: impl AsContextMut, data: impl Any + Send + Sync) -> ExternRef {
        let refs = &mut store.opaque().externrefs;
        refs.push(Box::new(data));
        ExternRef(NonZeroU64::new(refs.len() as u64).expect("nonzero"))
    }

    pub fn data<'a, S: AsContext + ?Sized>(&self, store: &'a S) -> Option<&'a (dyn Any + Send + Sync)> {
        let index = self.0.get() as usize - 1;
        store.opaque_ref().externrefs.get(index).map(|b| &**b)
    }
}
