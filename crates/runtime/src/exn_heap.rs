//! The store's exception objects, and how the dead ones are freed.
//!
//! An exception object is a boxed slice of 16-byte slots: its tag's identity, then its values
//! (`kite_frontend::vmctx::exception`). Generated code holds `exnref`s as plain pointers, in
//! registers, stack slots, globals, tables and other exception objects, and kite has no stack
//! maps; so collection is conservative. When the number of objects passes a threshold, the next
//! `Builtin::NewException` marks every object whose address appears in a root: a word of the
//! thread's stack from the collector's frame up (Wasm frames, their spill slots, and the
//! callee-saved registers the Rust frames below saved), the callee-saved registers themselves,
//! every table and global that holds exception references, the store context's pending
//! exception and the pending host error; then everything reachable from a marked object's
//! slots. Objects handed to the host (a call's results, a host function's parameters, a
//! global or table read through the API, an uncaught exception, `ExnRef::new`) are roots for
//! good: the host's handles are plain addresses. The rest is freed. A stray word that happens
//! to equal an object's address keeps it alive a while longer; nothing live is ever freed.
//!
//! The threshold doubles with the survivors, so collection costs a constant amortized share of
//! each throw.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// Collect once this many objects exist, at least.
const MIN_THRESHOLD: usize = 16 * 1024;

#[derive(Default)]
pub(crate) struct ExceptionHeap {
    objects: HashMap<usize, Box<[u128]>>,
    /// Addresses the host has seen: never freed.
    escaped: Mutex<HashSet<usize>>,
    threshold: usize,
}

impl ExceptionHeap {
    /// A new object of `slots` slots (header included), zeroed; returns its address.
    pub fn allocate(&mut self, slots: impl Iterator<Item = u128>) -> *mut u8 {
        let mut object: Box<[u128]> = slots.collect();
        let address = object.as_mut_ptr().cast::<u8>();
        self.objects.insert(address as usize, object);
        address
    }

    /// Whether enough objects exist to be worth a collection.
    pub fn wants_collection(&self) -> bool {
        self.objects.len() >= self.threshold.max(MIN_THRESHOLD)
    }

    /// Keeps the object at `address` alive for good: the host has a handle on it.
    pub fn escape(&self, address: usize) {
        if address != 0 {
            self.escaped.lock().expect("not poisoned").insert(address);
        }
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Frees every object not reachable from `roots` (candidate addresses, any of which may be
    /// no object at all) or from an escaped one.
    pub fn collect(&mut self, roots: impl Iterator<Item = usize>) {
        let (low, high) = self.objects.keys().fold((usize::MAX, 0), |(l, h), a| (l.min(*a), h.max(*a)));
        let mut marked: HashSet<usize> = HashSet::new();
        let mut work: Vec<usize> = self.escaped.lock().expect("not poisoned").iter().copied().collect();
        work.extend(roots.filter(|a| *a >= low && *a <= high && a.is_multiple_of(16)));
        while let Some(address) = work.pop() {
            let Some(object) = self.objects.get(&address) else { continue };
            if !marked.insert(address) {
                continue;
            }
            // Values after the header; an `exnref` is in a slot's low 64 bits.
            work.extend(object[1..].iter().map(|slot| *slot as u64 as usize));
        }
        self.objects.retain(|address, _| marked.contains(address));
        self.threshold = 2 * self.objects.len();
    }
}
