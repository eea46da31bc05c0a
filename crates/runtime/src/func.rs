//! Functions: calling Wasm from the host, defining host functions Wasm can call, and typed calls.

use crate::exceptions::{ExnRef, ThrownException};
use crate::store::{AsContext, AsContextMut, StoreInner};
use crate::traps;
use crate::values::Val;
use crate::vm::{VMFuncRef, VMHostFuncContext};
use anyhow::{Result, bail};
use kite_frontend::{FuncType, TrapKind, ValType};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::NonNull;
use std::sync::Arc;

/// A host function's body: it reads `params` and writes every slot of `results`.
pub type HostFn<T> = dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync;

/// A function of some store: Wasm or host. A thin handle on its `VMFuncRef`; valid while its
/// store lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Func(NonNull<VMFuncRef>);

/// What a host function sees of the store, and of the instance that called it.
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut StoreInner<T>,
    pub(crate) instance: Option<usize>,
}

impl<T> Caller<'_, T> {
    pub fn data(&self) -> &T {
        &self.store.data
    }

    pub fn data_mut(&mut self) -> &mut T {
        &mut self.store.data
    }

    /// An export of the calling instance (WASI finds the caller's `memory` this way).
    pub fn get_export(&self, name: &str) -> Option<crate::Extern> {
        let instance = crate::Instance(self.instance?);
        instance.get_export(self, name)
    }
}

impl Func {
    /// Defines a host function of type `ty` in `store`.
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<Func> {
        let f: Arc<HostFn<T>> = Arc::new(f);
        Func::from_host_fn(store.inner_mut(), ty, f, None)
    }

    pub(crate) fn from_host_fn<T: 'static>(
        store: &mut StoreInner<T>,
        ty: FuncType,
        f: Arc<HostFn<T>>,
        caller: Option<usize>,
    ) -> Result<Func> {
        let trampolines = store.opaque.engine.trampolines(&ty)?;
        let type_id = store.opaque.engine.intern(&ty);
        store.host_funcs.push(f);
        let func = store.host_funcs.len() - 1;
        let store_ptr = (store as *mut StoreInner<T>).cast::<u8>();
        let mut ctx = Box::new(VMHostFuncContext {
            dispatch: dispatch::<T>,
            store: store_ptr,
            func,
            caller,
            funcref: VMFuncRef { code: trampolines.host, vmctx: std::ptr::null_mut(), type_id },
        });
        ctx.funcref.vmctx = (&mut *ctx as *mut VMHostFuncContext).cast();
        let funcref = NonNull::from(&mut ctx.funcref);
        store.opaque.host_funcrefs.insert(funcref.as_ptr() as usize);
        store.opaque.host_contexts.push(ctx);
        Ok(Func(funcref))
    }

    /// The same host function, bound to `caller` as its calling instance.
    pub(crate) fn rebind_host<T: 'static>(
        &self,
        store: &mut StoreInner<T>,
        caller: usize,
    ) -> Option<Result<Func>> {
        if !store.opaque.host_funcrefs.contains(&(self.0.as_ptr() as usize)) {
            return None;
        }
        // SAFETY: a registered host funcref lives inside a VMHostFuncContext of this store.
        let ctx = unsafe {
            &*self
                .0
                .as_ptr()
                .byte_sub(std::mem::offset_of!(VMHostFuncContext, funcref))
                .cast::<VMHostFuncContext>()
        };
        let f = store.host_funcs[ctx.func].clone();
        let ty = store.opaque.engine.func_type(ctx.funcref.type_id);
        Some(Func::from_host_fn(store, ty, f, Some(caller)))
    }

    /// # Safety
    /// `raw` must be null or point to a `VMFuncRef` that lives as long as the handle is used.
    pub unsafe fn from_raw(raw: *mut VMFuncRef) -> Option<Func> {
        NonNull::new(raw).map(Func)
    }

    pub(crate) fn from_nonnull(raw: NonNull<VMFuncRef>) -> Func {
        Func(raw)
    }

    pub fn as_raw(&self) -> *mut VMFuncRef {
        self.0.as_ptr()
    }

    pub(crate) fn funcref(&self) -> VMFuncRef {
        // SAFETY: handles point to live funcrefs while their store lives.
        unsafe { *self.0.as_ptr() }
    }

    pub fn ty(&self, store: impl AsContext) -> FuncType {
        store.opaque_ref().engine.func_type(self.funcref().type_id)
    }

    /// Calls the function, checking the arguments against its type.
    pub fn call(&self, mut store: impl AsContextMut, args: &[Val]) -> Result<Vec<Val>> {
        let opaque = store.opaque();
        let funcref = self.funcref();
        let ty = opaque.engine.func_type(funcref.type_id);
        if args.len() != ty.params.len() {
            bail!("function expects {} arguments, got {}", ty.params.len(), args.len());
        }
        for (i, (arg, want)) in args.iter().zip(&ty.params).enumerate() {
            if !arg.matches(opaque, *want) {
                bail!("argument {i} should be {want}, got {}", arg.ty());
            }
        }
        let mut values: Vec<u128> = args.iter().map(Val::to_raw).collect();
        values.resize(ty.params.len().max(ty.results.len()).max(1), 0);
        let trampolines = opaque.engine.trampolines(&ty)?;
        let max_stack = opaque.engine.config().max_wasm_stack;
        let context: *mut _ = &mut *opaque.context;
        // SAFETY: the trampoline matches the function's type, `values` is big enough for its
        // arguments and results, and the store outlives the call.
        let result = unsafe {
            traps::catch(
                trampolines.entry,
                funcref.vmctx,
                funcref.code,
                values.as_mut_ptr(),
                context,
                max_stack,
            )
        };
        match result {
            Ok(()) => {}
            Err(traps::Unwound::Trap(trap)) => {
                let opaque = store.opaque();
                return Err(match (trap.kind, opaque.pending_error.take()) {
                    (TrapKind::HostError, Some(error)) => error,
                    _ => trap.into(),
                });
            }
            Err(traps::Unwound::Exception(exn)) => {
                // SAFETY: the runtime unwound with an exception object of this store.
                let exn = unsafe { ExnRef::from_raw(exn) }.expect("never null");
                return Err(ThrownException::new(&store, exn).into());
            }
        }
        // SAFETY: results of this type, produced by Wasm code of this store.
        let results: Vec<Val> =
            ty.results.iter().zip(values).map(|(t, raw)| unsafe { Val::from_raw(raw, *t) }).collect();
        let opaque = store.opaque();
        results.iter().for_each(|r| opaque.escape(r));
        Ok(results)
    }

    /// A view of this function with static parameter and result types, checked once here.
    pub fn typed<P: WasmParams, R: WasmResults>(&self, store: impl AsContext) -> Result<TypedFunc<P, R>> {
        let ty = self.ty(store);
        if ty.params != P::types() || ty.results != R::types() {
            bail!("type mismatch: function is {ty}, not {}", FuncType::new(P::types(), R::types()));
        }
        Ok(TypedFunc { func: *self, _marker: PhantomData })
    }
}

/// Called by a host trampoline: runs the closure on the values the trampoline spilled. An
/// exception the closure returns is thrown on from the trampoline's frame (`fp`).
unsafe extern "C" fn dispatch<T: 'static>(ctx: *mut VMHostFuncContext, values: *mut u128, fp: usize) -> u32 {
    // SAFETY: the trampoline's guarantees, passed on.
    let exn = match unsafe { run_host::<T>(ctx, values) } {
        HostOutcome::Status(status) => return status,
        HostOutcome::Throw(exn) => exn,
    };
    // Nothing of this function's is left to drop: the throw skips its frame.
    // SAFETY: `fp` is the frame pointer of the trampoline, a Wasm-convention function called
    // from Wasm; the store context is the one of the store the exception belongs to.
    unsafe {
        let store = &mut *(*ctx).store.cast::<StoreInner<T>>();
        let context: *mut crate::vm::VMStoreContext = &mut *store.opaque.context;
        crate::exceptions::throw(context, exn, fp)
    }
}

enum HostOutcome {
    Status(u32),
    Throw(*mut u8),
}

/// The work of [`dispatch`], whose values are all dropped when it returns.
///
/// # Safety
/// As for [`dispatch`].
unsafe fn run_host<T: 'static>(ctx: *mut VMHostFuncContext, values: *mut u128) -> HostOutcome {
    // SAFETY: the trampoline passes the context it was called with, made by `from_host_fn`, whose
    // store outlives every call into it.
    let (store, func, caller, type_id) = unsafe {
        let ctx = &*ctx;
        (&mut *ctx.store.cast::<StoreInner<T>>(), ctx.func, ctx.caller, ctx.funcref.type_id)
    };
    let ty = store.opaque.engine.func_type(type_id);
    let f = store.host_funcs[func].clone();
    // SAFETY: the trampoline spilled one value per parameter.
    let params: Vec<Val> =
        ty.params.iter().enumerate().map(|(i, t)| unsafe { Val::from_raw(*values.add(i), *t) }).collect();
    params.iter().for_each(|p| store.opaque.escape(p));
    let mut results: Vec<Val> = ty.results.iter().map(|t| Val::default_for(*t)).collect();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        f(Caller { store: &mut *store, instance: caller }, &params, &mut results)
    }));
    let error = match outcome {
        Ok(Ok(())) => match check_results(&store.opaque, &ty.results, &results) {
            Ok(()) => {
                for (i, r) in results.iter().enumerate() {
                    // SAFETY: the buffer has a slot per result.
                    unsafe { *values.add(i) = r.to_raw() };
                }
                return HostOutcome::Status(0);
            }
            Err(e) => e,
        },
        Ok(Err(e)) => e,
        Err(_) => anyhow::anyhow!("host function panicked"),
    };
    if let Some(exn) = crate::exceptions::thrown(&error) {
        return HostOutcome::Throw(exn);
    }
    store.opaque.pending_error = Some(error);
    HostOutcome::Status(1)
}

fn check_results(store: &crate::store::StoreOpaque, want: &[ValType], got: &[Val]) -> Result<()> {
    for (w, g) in want.iter().zip(got) {
        if !g.matches(store, *w) {
            bail!("host function returned {} where {w} was expected", g.ty());
        }
    }
    Ok(())
}

/// A Rust type that is a Wasm value type.
pub trait WasmTy: Sized {
    const TYPE: ValType;
    fn into_val(self) -> Val;
    fn from_val(v: Val) -> Self;
}

macro_rules! wasm_ty {
    ($t:ty, $vt:ident, $into:expr, $from:pat => $out:expr) => {
        impl WasmTy for $t {
            const TYPE: ValType = ValType::$vt;
            fn into_val(self) -> Val {
                #[allow(clippy::redundant_closure_call)]
                ($into)(self)
            }
            fn from_val(v: Val) -> Self {
                match v {
                    $from => $out,
                    other => unreachable!("checked by `typed`: {other:?}"),
                }
            }
        }
    };
}

wasm_ty!(i32, I32, Val::I32, Val::I32(x) => x);
wasm_ty!(i64, I64, Val::I64, Val::I64(x) => x);
wasm_ty!(u32, I32, |x: u32| Val::I32(x as i32), Val::I32(x) => x as u32);
wasm_ty!(u64, I64, |x: u64| Val::I64(x as i64), Val::I64(x) => x as u64);
wasm_ty!(f32, F32, |x: f32| Val::F32(x.to_bits()), Val::F32(x) => f32::from_bits(x));
wasm_ty!(f64, F64, |x: f64| Val::F64(x.to_bits()), Val::F64(x) => f64::from_bits(x));
wasm_ty!(crate::V128, V128, Val::V128, Val::V128(x) => x);

/// Parameters of a typed function: a tuple of [`WasmTy`].
pub trait WasmParams {
    fn types() -> Vec<ValType>;
    fn into_vals(self) -> Vec<Val>;
}

/// Results of a typed function: a [`WasmTy`], or a tuple of them.
pub trait WasmResults: Sized {
    fn types() -> Vec<ValType>;
    fn from_vals(vals: Vec<Val>) -> Self;
}

impl<A: WasmTy> WasmParams for A {
    fn types() -> Vec<ValType> {
        vec![A::TYPE]
    }
    fn into_vals(self) -> Vec<Val> {
        vec![self.into_val()]
    }
}

impl<A: WasmTy> WasmResults for A {
    fn types() -> Vec<ValType> {
        vec![A::TYPE]
    }
    fn from_vals(vals: Vec<Val>) -> Self {
        A::from_val(vals[0])
    }
}

macro_rules! tuples {
    ($($name:ident)*) => {
        impl<$($name: WasmTy),*> WasmParams for ($($name,)*) {
            fn types() -> Vec<ValType> {
                vec![$($name::TYPE),*]
            }
            #[allow(non_snake_case)]
            fn into_vals(self) -> Vec<Val> {
                let ($($name,)*) = self;
                vec![$($name.into_val()),*]
            }
        }
        impl<$($name: WasmTy),*> WasmResults for ($($name,)*) {
            fn types() -> Vec<ValType> {
                vec![$($name::TYPE),*]
            }
            #[allow(unused_mut, unused_variables, clippy::unused_unit)]
            fn from_vals(vals: Vec<Val>) -> Self {
                let mut it = vals.into_iter();
                ($($name::from_val(it.next().expect("checked")),)*)
            }
        }
    };
}

tuples!();
tuples!(A);
tuples!(A B);
tuples!(A B C);
tuples!(A B C D);
tuples!(A B C D E);
tuples!(A B C D E F);
tuples!(A B C D E F G);
tuples!(A B C D E F G H);

/// A function whose type was checked against `P` and `R`.
#[derive(Debug)]
pub struct TypedFunc<P, R> {
    func: Func,
    _marker: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, R> Copy for TypedFunc<P, R> {}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    pub fn call(&self, store: impl AsContextMut, params: P) -> Result<R> {
        let results = self.func.call(store, &params.into_vals())?;
        Ok(R::from_vals(results))
    }

    pub fn func(&self) -> Func {
        self.func
    }
}
