//! Module-wide facts the calling conventions rely on, gathered by one cheap pass over the
//! function bodies before translation:
//!
//! - which functions make ordinary (non-tail) calls, and so must check the stack limit: a
//!   function that only tail-calls replaces its frame and cannot grow the stack;
//! - which tables never change after instantiation: defined (not imported), not exported, and
//!   never the target of `table.set/grow/fill/copy/init`. Their size is their minimum and their
//!   contents are fixed by the element segments, so the runtime can prepare dispatch for them.
//!
//! A body that fails to parse just stops its scan: validation reports it properly later.

use crate::module::{EntityIndex, FunctionInput, ModuleInfo};
use wasmparser::Operator as O;

#[derive(Clone, Debug, Default)]
pub struct ModuleFacts {
    /// Per defined function: whether it makes a non-tail call.
    pub makes_calls: Vec<bool>,
    /// Per table: whether its contents are fixed once the module is instantiated.
    pub immutable_tables: Vec<bool>,
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
        for input in bodies {
            let mut calls = false;
            let Ok(mut reader) = input.body.get_operators_reader() else {
                makes_calls.push(true);
                continue;
            };
            while !reader.eof() {
                let Ok(op) = reader.read() else { break };
                let written = match op {
                    O::Call { .. } | O::CallIndirect { .. } => {
                        calls = true;
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
        ModuleFacts { makes_calls, immutable_tables }
    }
}
