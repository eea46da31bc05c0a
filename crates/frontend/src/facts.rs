//! Module-wide facts the calling conventions rely on, gathered by one cheap pass over the
//! function bodies before translation:
//!
//! - which functions make ordinary (non-tail) calls, and so must check the stack limit: a
//!   function that only tail-calls replaces its frame and cannot grow the stack;
//! - which tables never change after instantiation: defined (not imported), not exported, and
//!   never the target of `table.set/grow/fill/copy/init`. Their size is their minimum and their
//!   contents are fixed by the element segments, so the runtime can prepare dispatch for them;
//! - which of those hold only this module's own functions (or null): "static" tables. An
//!   indirect call through one needs no bounds load, no null or signature check and no context
//!   switch: it indexes a code-pointer array the runtime fills at instantiation, one per
//!   (table, type) pair called through, with trap stubs where the type does not match. The
//!   arrays live inside the `VMContext`, so a dispatch is one load at a fixed offset from it;
//!   tables larger than [`MAX_STATIC_TABLE_ELEMENTS`] are not static, to keep it small.
//!
//! A module that declares subtypes has no static tables: a call through a type may reach
//! functions of its subtypes, which arrays filled by exact type would send to a trap.
//!
//! A `call_ref` or `return_call_ref` right after a `table.get` of a static table (a typed
//! table's dispatch, as in `(return_call_ref $t (table.get $handlers ...))`) is an indirect call
//! through that table ([`ref_call_through_table`]): it gets a dispatch array of its own, whose
//! null entries trap as a null reference does, and its type does not leave the module for it
//! (`plans`).
//!
//! A body that fails to parse just stops its scan: validation reports it properly later.

use crate::module::{ConstExpr, ConstOp, EntityIndex, FunctionInput, ModuleInfo, SegmentMode};
use serde::{Deserialize, Serialize};
use wasmparser::Operator as O;

/// The largest table whose indirect calls index a code-pointer array (2 MiB of `VMContext` per
/// type called through). Interpreters' tables have hundreds to a few thousand elements.
pub const MAX_STATIC_TABLE_ELEMENTS: u64 = 1 << 18;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ModuleFacts {
    /// Per defined function: whether it makes a non-tail call.
    pub makes_calls: Vec<bool>,
    /// Per table: whether its contents are fixed once the module is instantiated.
    pub immutable_tables: Vec<bool>,
    /// Per table: immutable, and holding only null or functions defined in this module.
    pub static_tables: Vec<bool>,
    /// The indirect calls through static tables, in first-use order: each gets a dispatch array.
    pub dispatch_arrays: Vec<DispatchArray>,
}

/// A code-pointer array for indirect calls of one type through one static table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DispatchArray {
    pub table: u32,
    pub type_index: u32,
    /// For `call_ref`s of references read from the table (`ref_call_through_table`), which trap
    /// on null as a null reference, not as an uninitialized element: its null entries are the
    /// stub of that trap.
    pub by_reference: bool,
}

impl ModuleFacts {
    pub fn gather(info: &ModuleInfo, bodies: &[FunctionInput<'_>]) -> ModuleFacts {
        let mut immutable_tables: Vec<bool> =
            (0..info.tables.len() as u32).map(|t| t >= info.num_imported_tables).collect();
        for (_, index) in &info.exports {
            if let EntityIndex::Table(t) = index {
                immutable_tables[*t as usize] = false;
            }
        }
        let mut makes_calls = Vec::with_capacity(bodies.len());
        let mut indirect_calls = Vec::new();
        for input in bodies {
            let mut calls = false;
            let Ok(mut reader) = input.body.get_operators_reader() else {
                makes_calls.push(true);
                continue;
            };
            let mut previous = O::Nop;
            while !reader.eof() {
                let Ok(op) = reader.read() else { break };
                if let Some((table, type_index)) = ref_call_through_table(&previous, &op) {
                    indirect_calls.push(DispatchArray { table, type_index, by_reference: true });
                }
                previous = op.clone();
                let written = match op {
                    O::Call { .. } | O::CallRef { .. } => {
                        calls = true;
                        None
                    }
                    O::CallIndirect { type_index, table_index } => {
                        calls = true;
                        indirect_calls.push(DispatchArray {
                            table: table_index,
                            type_index,
                            by_reference: false,
                        });
                        None
                    }
                    O::ReturnCallIndirect { type_index, table_index } => {
                        indirect_calls.push(DispatchArray {
                            table: table_index,
                            type_index,
                            by_reference: false,
                        });
                        None
                    }
                    O::TableSet { table }
                    | O::TableGrow { table }
                    | O::TableFill { table }
                    | O::TableInit { table, .. } => Some(table),
                    O::TableCopy { dst_table, .. } => Some(dst_table),
                    _ => None,
                };
                if let Some(slot) = written.and_then(|t| immutable_tables.get_mut(t as usize)) {
                    *slot = false;
                }
            }
            makes_calls.push(calls);
        }
        let own = |expr: &ConstExpr| match expr.0.as_slice() {
            [ConstOp::RefNull] => true,
            [ConstOp::RefFunc(f)] => *f >= info.num_imported_funcs,
            _ => false,
        };
        // With subtyping, a call through a type may reach functions of other types: the
        // dispatch arrays, filled by exact type, would trap on them.
        let subtyping = info.has_subtyping();
        let static_tables: Vec<bool> = (0..info.tables.len())
            .map(|t| {
                let defined = t.checked_sub(info.num_imported_tables as usize);
                !subtyping
                    && immutable_tables[t]
                    && info.tables[t].limits.min <= MAX_STATIC_TABLE_ELEMENTS
                    && defined.is_some_and(|d| own(&info.table_inits[d]))
                    && info.elements.iter().all(|segment| match &segment.mode {
                        SegmentMode::Active { target, .. } if *target as usize == t => {
                            segment.items.iter().all(own)
                        }
                        _ => true,
                    })
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        let dispatch_arrays = indirect_calls
            .into_iter()
            .filter(|array| static_tables.get(array.table as usize) == Some(&true) && seen.insert(*array))
            .collect();
        ModuleFacts { makes_calls, immutable_tables, static_tables, dispatch_arrays }
    }

    /// The number of entries of each dispatch array: its table's size.
    pub fn dispatch_array_lens(&self, info: &ModuleInfo) -> Vec<u32> {
        self.dispatch_arrays.iter().map(|array| info.tables[array.table as usize].limits.min as u32).collect()
    }

    /// Whether table `table` is static (see the module's comment).
    pub fn is_static(&self, table: u32) -> bool {
        self.static_tables.get(table as usize) == Some(&true)
    }

    /// The dispatch array for an indirect call (`by_reference`: a `call_ref` of a reference read
    /// from the table), if its table is static.
    pub fn dispatch_array(&self, table: u32, type_index: u32, by_reference: bool) -> Option<u32> {
        let wanted = DispatchArray { table, type_index, by_reference };
        self.dispatch_arrays.iter().position(|a| *a == wanted).map(|i| i as u32)
    }
}

/// `(table, type index)` when `op`, a `call_ref` or `return_call_ref`, calls the reference the
/// operator before it, `previous`, read from a table: an indirect call through that table by
/// index, if the table is static.
pub fn ref_call_through_table(previous: &O<'_>, op: &O<'_>) -> Option<(u32, u32)> {
    match (previous, op) {
        (O::TableGet { table }, O::CallRef { type_index } | O::ReturnCallRef { type_index }) => {
            Some((*table, *type_index))
        }
        _ => None,
    }
}
