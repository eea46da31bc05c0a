//! Exceptions: tags ([`Tag`]), exception objects ([`ExnRef`]), the error a call ends with when
//! nobody catches one ([`ThrownException`]), and the search for a handler.
//!
//! Generated code throws through `Builtin::Throw` (`kite_frontend::translate::exceptions` says
//! how a handler is laid out). [`throw`] walks frame pointers from the thrower's caller: the
//! return address of each frame's call is looked up in the code registry's handler tables; the
//! first with a handler gets the exception in the store context and control at its landing
//! block, with the stack pointer the frame had at the call. Host frames end the search: at
//! the entry from the host, the exception becomes the call's error (`traps::catch`), and a host
//! function that returns that error (or one of its own, [`ThrownException`]) rethrows it into
//! its Wasm caller from the host trampoline's frame.
//!
//! Exception objects belong to their store, which frees the dead ones (`exn_heap`).

use crate::code_memory;
use crate::store::{AsContext, AsContextMut, StoreOpaque};
use crate::values::Val;
use crate::vm::VMStoreContext;
use anyhow::{Result, bail};
use kite_frontend::FuncType;
use std::fmt;
use std::ptr::NonNull;

/// What a tag is at run time. Generated code compares addresses of these, never reads one.
#[derive(Debug)]
pub(crate) struct VMTag {
    pub type_id: u32,
    /// How many values its exceptions carry (its type's parameters), for `NewException`.
    pub values: usize,
    /// How errors name it: the export name it was defined under, or its index and module.
    pub name: String,
}

/// A tag of a store: the identity of a kind of exception, with the types of its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag(pub(crate) usize);

impl Tag {
    /// A new tag whose exceptions carry values of `ty`'s parameter types (`ty` has no results).
    pub fn new(mut store: impl AsContextMut, ty: &FuncType) -> Result<Tag> {
        if !ty.results.is_empty() {
            bail!("a tag's type has no results, {ty} has");
        }
        let store = store.opaque();
        let type_id = store.engine.intern(ty);
        Ok(store.new_tag(type_id, "host tag".into()))
    }

    /// The function type whose parameters are the tag's values.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let store = store.opaque_ref();
        store.engine.func_type(store.tags[self.0].type_id)
    }

    pub(crate) fn address(&self, store: &StoreOpaque) -> *const VMTag {
        &*store.tags[self.0]
    }
}

impl StoreOpaque {
    pub(crate) fn new_tag(&mut self, type_id: u32, name: String) -> Tag {
        let values = self.engine.func_type(type_id).params.len();
        self.tags.push(Box::new(VMTag { type_id, values, name }));
        Tag(self.tags.len() - 1)
    }

    /// The tag whose identity is `address`.
    fn tag_at(&self, address: usize) -> Tag {
        let i = self.tags.iter().position(|t| &**t as *const VMTag as usize == address);
        Tag(i.expect("an exception's tag belongs to its store"))
    }

    /// A new exception object of `tag` with `values` (as raw slots), owned by the store.
    pub(crate) fn new_exception(&mut self, tag: Tag, values: impl ExactSizeIterator<Item = u128>) -> *mut u8 {
        let header = tag.address(self) as usize as u128;
        self.exceptions.allocate(std::iter::once(header).chain(values))
    }

    /// How many exception objects the store holds, live or not yet found dead (for tests and
    /// diagnostics).
    pub fn exception_objects(&self) -> usize {
        self.exceptions.len()
    }

    /// Keeps an exception reference the host is given alive for good (see `exn_heap`).
    pub(crate) fn escape(&self, value: &Val) {
        if let Val::ExnRef(Some(exn)) = value {
            self.exceptions.escape(exn.as_raw() as usize);
        }
    }

    /// Frees the exception objects nothing refers to any more (see `exn_heap`). Called only from
    /// a builtin, with Wasm frames and the Rust frames that called them up the stack.
    fn collect_exceptions(&mut self) {
        let mut roots = crate::sys::callee_saved_registers();
        roots.push(self.context.pending_exception as usize);
        if let Some(thrown) = self.pending_error.as_ref().and_then(|e| e.downcast_ref::<ThrownException>()) {
            roots.push(thrown.exn.as_raw() as usize);
        }
        for table in self.tables.iter().filter(|t| t.ty.element.is_ref() && !t.ty.element.is_func_ref()) {
            roots.extend(table.elements().iter().map(|e| *e as usize));
        }
        for instance in &self.instances {
            // SAFETY: a global's cell lives as long as the store.
            roots.extend(instance.globals.iter().map(|g| unsafe { *g.ptr.as_ptr() } as u64 as usize));
        }
        roots.extend(self.globals.iter().map(|g| **g as u64 as usize));
        // Every word from here to the top of the stack: the Wasm frames, and what the Rust frames
        // between them and here saved of the callee-saved registers.
        let here = &roots as *const Vec<usize> as usize;
        let (_, top) = crate::traps::stack_bounds();
        // SAFETY: the words between a local of this frame and the top of this thread's stack are
        // the live frames of this thread.
        let stack = (here.next_multiple_of(8)..top).step_by(8).map(|a| unsafe { *(a as *const usize) });
        let roots: Vec<usize> = roots.iter().copied().chain(stack).collect();
        self.exceptions.collect(roots.into_iter());
    }
}

/// A reference to an exception object of some store (`exnref`), valid while the store lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExnRef(NonNull<u8>);

// SAFETY: a handle, like `Func`: only an address, used through its store.
unsafe impl Send for ExnRef {}
// SAFETY: as above.
unsafe impl Sync for ExnRef {}

impl ExnRef {
    /// A new exception of `tag` carrying `values`, checked against the tag's type.
    pub fn new(mut store: impl AsContextMut, tag: &Tag, values: &[Val]) -> Result<ExnRef> {
        let ty = tag.ty(&store);
        let store = store.opaque();
        if values.len() != ty.params.len() {
            bail!("tag carries {} values, got {}", ty.params.len(), values.len());
        }
        for (i, (v, want)) in values.iter().zip(&ty.params).enumerate() {
            if !v.matches(store, *want) {
                bail!("value {i} should be {want}, got {}", v.ty());
            }
        }
        let ptr = store.new_exception(*tag, values.iter().map(Val::to_raw));
        store.exceptions.escape(ptr as usize);
        Ok(ExnRef(NonNull::new(ptr).expect("a box is never null")))
    }

    /// # Safety
    /// `raw` must be null or an exception object of a live store.
    pub unsafe fn from_raw(raw: *mut u8) -> Option<ExnRef> {
        NonNull::new(raw).map(ExnRef)
    }

    pub fn as_raw(&self) -> *mut u8 {
        self.0.as_ptr()
    }

    fn slots(&self) -> *const u128 {
        self.0.as_ptr().cast()
    }

    pub fn tag(&self, store: impl AsContext) -> Tag {
        // SAFETY: an exception object starts with its tag's identity.
        let address = unsafe { *self.slots() } as usize;
        store.opaque_ref().tag_at(address)
    }

    /// The exception's values, in the order of its tag's parameters.
    pub fn values(&self, store: impl AsContext) -> Vec<Val> {
        let ty = self.tag(&store).ty(&store);
        // SAFETY: the object has one slot per parameter of its tag, after the header, holding
        // values of those types.
        ty.params
            .iter()
            .enumerate()
            .map(|(i, t)| unsafe { Val::from_raw(*self.slots().add(1 + i), *t) })
            .collect()
    }
}

/// An exception thrown and not caught: the error of a call from the host that it ended, and
/// what a host function returns to throw one into its Wasm caller.
#[derive(Debug)]
pub struct ThrownException {
    pub exn: ExnRef,
    tag_name: String,
}

impl ThrownException {
    pub fn new(store: impl AsContext, exn: ExnRef) -> ThrownException {
        let tag = exn.tag(&store);
        let store = store.opaque_ref();
        store.exceptions.escape(exn.as_raw() as usize);
        ThrownException { exn, tag_name: store.tags[tag.0].name.clone() }
    }
}

impl fmt::Display for ThrownException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uncaught exception of tag {}", self.tag_name)
    }
}

impl std::error::Error for ThrownException {}

/// Throws `exn` to the callers of the frame whose frame pointer is `fp`: resumes at the first
/// handler among them, or, meeting the host first, unwinds to the innermost entry from the
/// host with the exception as its result.
///
/// # Safety
/// `fp` must be the frame pointer of a Wasm frame (or a host trampoline's) of this thread whose
/// callers lie between it and the innermost `traps::catch`; `context` must be their store's.
/// Frames skipped own nothing that needs dropping (Wasm frames and trampolines never do; a Rust
/// caller drops everything before calling).
pub(crate) unsafe fn throw(context: *mut VMStoreContext, exn: *mut u8, mut fp: usize) -> ! {
    let (low, high) = crate::traps::stack_bounds();
    while fp >= low && fp + 16 <= high && fp.is_multiple_of(8) {
        // SAFETY: `fp` lies within this thread's stack, checked above, and is a frame record.
        let (caller_fp, ret) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
        let Some(code) = code_memory::lookup(ret) else { break };
        if let Some((landing, fp_to_sp)) = code.handler_at(ret) {
            drop(code);
            // SAFETY: the caller's guarantee; the landing block reads the exception from here.
            unsafe {
                (*context).pending_exception = exn;
                crate::sys::resume(landing, caller_fp - fp_to_sp, caller_fp)
            }
        }
        if caller_fp <= fp {
            break;
        }
        fp = caller_fp;
    }
    // SAFETY: the caller's guarantee: an entry from the host is below us.
    unsafe { crate::traps::unwind_with_exception(exn) }
}

/// `Builtin::NewException`.
pub(crate) unsafe extern "C" fn new_exception_builtin(vmctx: *mut u8, tag: u32) -> *mut u8 {
    // SAFETY: called from the code of `vmctx`'s instance; Wasm code holds no Rust references
    // into the store.
    unsafe {
        let instance = crate::instance::InstanceData::from_vmctx(vmctx);
        let tag = instance.tags[tag as usize];
        let store = instance.store();
        if store.exceptions.wants_collection() {
            store.collect_exceptions();
        }
        let values = store.tags[tag.0].values;
        store.new_exception(tag, std::iter::repeat_n(0, values))
    }
}

/// `Builtin::Throw`.
pub(crate) unsafe extern "C" fn throw_builtin(vmctx: *mut u8, exn: *mut u8, fp: usize) {
    // SAFETY: called from Wasm code with its own frame pointer; the store context is the first
    // field of the `VMContext`.
    unsafe {
        let context = *vmctx.cast::<*mut VMStoreContext>();
        throw(context, exn, fp)
    }
}

/// What a host function's error means for its Wasm caller: an exception to throw on, if it is
/// one.
pub(crate) fn thrown(error: &anyhow::Error) -> Option<*mut u8> {
    error.downcast_ref::<ThrownException>().map(|t| t.exn.as_raw())
}
