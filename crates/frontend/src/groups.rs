//! Fused tail-call groups, for the `fused` convention: which functions are compiled together as
//! one Cranelift function, and how a tail call between them dispatches.
//!
//! Functions are linked by their tail calls: `return_call g`, `return_call_indirect` through
//! a static table whose contents are known at compile time (every active segment has a constant
//! offset), to each entry of the call's type, and `return_call_ref`, to each function of its
//! type whose reference can be taken (exported, in an element segment or a global). Each connected set of linked functions is a group
//! (one function tail-calling itself is a group of one). Validation makes every member of a
//! group return the same types, so the group function has one set of results.
//!
//! Inside the group function a tail call to a member is a `jump` to the member's block, and an
//! indirect tail call is a `br_table` over the table's entries. A `br_table` at every call site
//! gives each dispatch its own branch history, but regalloc2's time grows with the edges that
//! carry block arguments (sites x entries): past [`MAX_SITE_EDGES`] a linked set stays separate
//! `wide` functions. (Sharing one dispatch block between the sites was tried and dropped: it
//! funnels every dispatch through one indirect jump, and on real interpreters, wasm3's 502
//! handlers or a Rust VM's 252, it ran 1.4-1.5x slower than `wide`, whose handlers each end in
//! their own indirect jump. With tiering's compare-and-jump in front of the shared block, and
//! members that make calls left out, it still ran 1.1-1.2x slower than `wide` on largevm and
//! wasm3: in one function of 250 members regalloc2 keeps the pass-through state of an 11-word
//! handler in stack slots, 12 loads per dispatch; branch `sparse-groups`.) Groups larger than
//! [`MAX_MEMBERS`] or [`MAX_BODY_BYTES`] stay separate functions too, so that one huge function
//! does not serialise compilation.

use crate::facts::ModuleFacts;
use crate::module::{ConstExpr, ConstOp, FunctionInput, ModuleInfo, SegmentMode};
use crate::types::{FuncType, ValType};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use wasmparser::Operator as O;

/// Fuse while (indirect tail-call sites) x (table entries) stays at most this.
pub const MAX_SITE_EDGES: usize = 256 * 256;
/// Largest group fused, in functions.
pub const MAX_MEMBERS: usize = 1024;
/// Largest group fused, in bytes of function bodies.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// One fused group.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TailGroup {
    /// Function indices, in module order. The group function's selector is a position here.
    pub members: Vec<u32>,
    /// The group function's Wasm-level type: the slots, then the selector (`i32`).
    pub ty: FuncType,
    /// Per member, per parameter: the slot it travels in.
    pub slots: Vec<Vec<usize>>,
    /// Whether a member makes an ordinary call: then the group function checks the stack.
    pub makes_calls: bool,
    /// Indirect tail-call sites in the group.
    pub indirect_sites: usize,
}

impl TailGroup {
    pub fn position(&self, func: u32) -> Option<usize> {
        self.members.iter().position(|m| *m == func)
    }
}

/// The groups of a module, and what kept other linked functions apart.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TailGroups {
    pub groups: Vec<TailGroup>,
    /// Per defined function: the group it belongs to.
    pub group_of: Vec<Option<u32>>,
    /// Per table: its elements, when known at compile time (static, constant segment offsets).
    pub table_contents: Vec<Option<Vec<Option<u32>>>>,
    /// Linked sets left unfused: members and the reason.
    pub unfused: Vec<(Vec<u32>, String)>,
}

impl TailGroups {
    pub fn group_of(&self, info: &ModuleInfo, func: u32) -> Option<u32> {
        let defined = func.checked_sub(info.num_imported_funcs)?;
        self.group_of.get(defined as usize).copied().flatten()
    }

    pub fn find(info: &ModuleInfo, facts: &ModuleFacts, bodies: &[FunctionInput<'_>]) -> TailGroups {
        let table_contents = table_contents(info, facts);
        let defined = bodies.len();
        let first = info.num_imported_funcs;
        let mut links = UnionFind::new(defined);
        let mut linked = vec![false; defined];
        let mut sites = vec![0usize; defined];
        // Per function: whether it makes a `return_call_ref` that may reach members, whose
        // `br_table` spans the module's functions.
        let mut ref_sites = vec![false; defined];
        for (i, input) in bodies.iter().enumerate() {
            let Ok(mut reader) = input.body.get_operators_reader() else { continue };
            while !reader.eof() {
                let Ok(op) = reader.read() else { break };
                match op {
                    // Bodies are not validated yet: an index out of range is left for validation.
                    O::ReturnCall { function_index }
                        if function_index >= first && ((function_index - first) as usize) < defined =>
                    {
                        let callee = (function_index - first) as usize;
                        links.union(i, callee);
                        linked[i] = true;
                        linked[callee] = true;
                    }
                    O::ReturnCallIndirect { type_index, table_index } => {
                        let Some(Some(entries)) = table_contents.get(table_index as usize) else { continue };
                        let Some(&want) = info.canonical.get(type_index as usize) else { continue };
                        let mut any = false;
                        for callee in entries.iter().flatten() {
                            if *callee >= first
                                && info.canonical[info.funcs[*callee as usize] as usize] == want
                            {
                                let callee = (*callee - first) as usize;
                                links.union(i, callee);
                                linked[callee] = true;
                                any = true;
                            }
                        }
                        if any {
                            linked[i] = true;
                            sites[i] += 1;
                        }
                    }
                    // Any function of the type whose reference can be taken.
                    O::ReturnCallRef { type_index } => {
                        if info.canonical.get(type_index as usize).is_none() {
                            continue;
                        }
                        let mut any = false;
                        for (callee, linked_callee) in linked.iter_mut().enumerate() {
                            if info.ref_call_may_reach(first + callee as u32, type_index) {
                                links.union(i, callee);
                                *linked_callee = true;
                                any = true;
                            }
                        }
                        if any {
                            linked[i] = true;
                            sites[i] += 1;
                            ref_sites[i] = true;
                        }
                    }
                    _ => {}
                }
            }
        }

        let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in (0..defined).filter(|i| linked[*i]) {
            by_root.entry(links.find(i)).or_default().push(i);
        }
        let mut sets: Vec<Vec<usize>> = by_root.into_values().collect();
        sets.sort();
        let widest_table = table_contents.iter().flatten().map(Vec::len).max().unwrap_or(0);
        let mut groups = Vec::new();
        let mut group_of = vec![None; defined];
        let mut unfused = Vec::new();
        for set in sets {
            let members: Vec<u32> = set.iter().map(|i| first + *i as u32).collect();
            let bytes: usize = set.iter().map(|i| bodies[*i].body.range().len()).sum();
            let indirect_sites: usize = set.iter().map(|i| sites[*i]).sum();
            let widest_table = if set.iter().any(|i| ref_sites[*i]) {
                widest_table.max(info.funcs.len() + 1)
            } else {
                widest_table
            };
            if set.len() > MAX_MEMBERS || bytes > MAX_BODY_BYTES {
                let why = format!("{} functions, {bytes} bytes: larger than a group may be", set.len());
                unfused.push((members, why));
                continue;
            }
            if indirect_sites * widest_table > MAX_SITE_EDGES {
                let why = format!(
                    "{indirect_sites} indirect tail calls x {widest_table} table elements: \
                     more br_table edges than compile in reasonable time"
                );
                unfused.push((members, why));
                continue;
            }
            for i in &set {
                group_of[*i] = Some(groups.len() as u32);
            }
            let (ty, slots) = slot_layout(info, &members);
            groups.push(TailGroup {
                makes_calls: set.iter().any(|i| facts.makes_calls[*i]),
                members,
                ty,
                slots,
                indirect_sites,
            });
        }
        TailGroups { groups, group_of, table_contents, unfused }
    }
}

/// The group function's parameters: for each value type, as many slots as the member with the
/// most parameters of that type needs; members with the same signature use the same slots in
/// the same order, so their entry stubs only add the selector.
fn slot_layout(info: &ModuleInfo, members: &[u32]) -> (FuncType, Vec<Vec<usize>>) {
    let mut slot_types: Vec<ValType> = Vec::new();
    let mut slots = Vec::with_capacity(members.len());
    for &m in members {
        let ty = info.func_type(m);
        let mut used = vec![false; slot_types.len()];
        let mut mine = Vec::with_capacity(ty.params.len());
        for p in &ty.params {
            let slot = match (0..slot_types.len()).find(|s| !used[*s] && slot_types[*s] == *p) {
                Some(s) => s,
                None => {
                    slot_types.push(*p);
                    used.push(false);
                    slot_types.len() - 1
                }
            };
            used[slot] = true;
            mine.push(slot);
        }
        slots.push(mine);
    }
    let mut params = slot_types;
    params.push(ValType::I32);
    let results = info.func_type(members[0]).results.clone();
    (FuncType { params, results }, slots)
}

/// The elements of each static table, when every active segment writing it has a constant
/// offset and fits: then they are exactly what instantiation puts there. (A segment that does
/// not fit fails instantiation, so no code runs against a table we got wrong.)
fn table_contents(info: &ModuleInfo, facts: &ModuleFacts) -> Vec<Option<Vec<Option<u32>>>> {
    let func_of = |expr: &ConstExpr| match expr.0.as_slice() {
        [ConstOp::RefFunc(f)] => Some(Some(*f)),
        [ConstOp::RefNull] => Some(None),
        _ => None,
    };
    (0..info.tables.len())
        .map(|t| {
            if !facts.static_tables[t] {
                return None;
            }
            let defined = t - info.num_imported_tables as usize;
            let init = func_of(&info.table_inits[defined])?;
            let mut entries = vec![init; usize::try_from(info.tables[t].limits.min).ok()?];
            for segment in &info.elements {
                let SegmentMode::Active { target, offset } = &segment.mode else { continue };
                if *target as usize != t {
                    continue;
                }
                let [ConstOp::I32(offset)] = offset.0.as_slice() else { return None };
                let start = *offset as u32 as usize;
                let end = start.checked_add(segment.items.len()).filter(|e| *e <= entries.len())?;
                for (slot, item) in entries[start..end].iter_mut().zip(&segment.items) {
                    *slot = func_of(item)?;
                }
            }
            Some(entries)
        })
        .collect()
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind((0..n).collect())
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        self.0[a.max(b)] = a.min(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups_of(wat: &str) -> (ModuleInfo, TailGroups) {
        let bytes = wat::parse_str(wat).unwrap();
        let parsed = crate::module::parse(&bytes, crate::module::features()).unwrap();
        let facts = ModuleFacts::gather(&parsed.info, &parsed.bodies);
        let groups = TailGroups::find(&parsed.info, &facts, &parsed.bodies);
        (parsed.info, groups)
    }

    #[test]
    fn direct_and_indirect_tail_calls_link_functions() {
        let (_, g) = groups_of(
            r#"(module
                (type $h (func (param i32 i64) (result i32)))
                (table 3 funcref) (elem (i32.const 0) func $a $b $c)
                (func $a (type $h) (return_call $b (local.get 0) (local.get 1)))
                (func $b (type $h) (return_call_indirect (type $h) (local.get 0) (local.get 1) (local.get 0)))
                (func $c (type $h) (local.get 0))
                (func $lonely (result i32) (i32.const 1))
                (func $loop (param i32) (result i32) (return_call $loop (local.get 0))))"#,
        );
        assert_eq!(g.groups.len(), 2);
        assert_eq!(g.groups[0].members, [0, 1, 2]);
        assert_eq!(g.groups[0].indirect_sites, 1);
        assert_eq!(g.groups[1].members, [4]);
        assert_eq!(g.group_of, [Some(0), Some(0), Some(0), None, Some(1)]);
    }

    #[test]
    fn only_entries_of_the_called_type_link() {
        let (_, g) = groups_of(
            r#"(module
                (type $h (func (param i32) (result i32)))
                (table 2 funcref) (elem (i32.const 0) func $a $other)
                (func $a (type $h) (return_call_indirect (type $h) (local.get 0) (local.get 0)))
                (func $other (param i64) (result i32) (i32.const 0)))"#,
        );
        assert_eq!(g.groups.len(), 1);
        assert_eq!(g.groups[0].members, [0]);
        assert_eq!(g.group_of, [Some(0), None]);
    }

    #[test]
    fn tables_that_change_or_are_unknown_do_not_link() {
        let (_, g) = groups_of(
            r#"(module
                (type $h (func (param i32) (result i32)))
                (global $at (import "env" "at") i32)
                (table $t 1 funcref) (elem (table $t) (global.get $at) func $a)
                (table $u 1 funcref) (elem (table $u) (i32.const 0) func $b)
                (func $a (type $h) (return_call_indirect $t (type $h) (local.get 0) (local.get 0)))
                (func $b (type $h) (table.set $u (i32.const 0) (ref.null func))
                    (return_call_indirect $u (type $h) (local.get 0) (local.get 0))))"#,
        );
        assert!(g.groups.is_empty());
        assert_eq!(g.table_contents, [None, None]);
    }

    #[test]
    fn members_with_different_signatures_share_slots_by_type() {
        let (info, g) = groups_of(
            r#"(module
                (func $a (param i32 f64 i32) (return_call $b (i32.const 1) (local.get 0)))
                (func $b (param i64 i32) (return_call $a (i32.const 2) (f64.const 0) (local.get 1))))"#,
        );
        let group = &g.groups[0];
        assert_eq!(group.ty.params, [ValType::I32, ValType::F64, ValType::I32, ValType::I64, ValType::I32]);
        assert_eq!(group.slots, [vec![0, 1, 2], vec![3, 0]]);
        assert!(group.ty.results.is_empty());
        assert_eq!(info.func_type(group.members[1]).params.len(), 2);
    }
}
