//! Values as the embedder sees them, and their 64-bit raw form in generated code's buffers.

use crate::func::Func;
use crate::store::{AsContext, AsContextMut};
use kite_frontend::ValType;
use std::any::Any;
use std::num::NonZeroU64;

/// A WebAssembly value. Floats are kept as bits, so NaN payloads survive a round trip.
#[derive(Clone, Copy, Debug)]
pub enum Val {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    FuncRef(Option<Func>),
    ExternRef(Option<ExternRef>),
}

impl Val {
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// The zero value of a type (null for references).
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
        }
    }

    pub fn to_raw(&self) -> u64 {
        match *self {
            Val::I32(x) => u64::from(x as u32),
            Val::I64(x) => x as u64,
            Val::F32(x) => u64::from(x),
            Val::F64(x) => x,
            Val::FuncRef(f) => f.map_or(0, |f| f.as_raw() as u64),
            Val::ExternRef(r) => r.map_or(0, |r| r.0.get()),
        }
    }

    /// # Safety
    /// A non-null `funcref` must point to a live `VMFuncRef`.
    pub unsafe fn from_raw(raw: u64, ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw as u32 as i32),
            ValType::I64 => Val::I64(raw as i64),
            ValType::F32 => Val::F32(raw as u32),
            ValType::F64 => Val::F64(raw),
            // SAFETY: the caller's guarantee.
            ValType::FuncRef => Val::FuncRef(unsafe { Func::from_raw(raw as usize as *mut _) }),
            ValType::ExternRef => Val::ExternRef(NonZeroU64::new(raw).map(ExternRef)),
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
