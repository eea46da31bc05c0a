//! How the module's own function types travel: for each type that never leaves the module,
//! whether its functions are only ever called normally (never by a tail call), and which of its
//! parameters are hot. A convention may use these facts, since every caller and callee of such a
//! type is compiled with them (`cc::Convention`):
//!
//! - **Ordinary types.** `wide` passes arguments with kite's `preserve_none`, which saves no
//!   register: right for handlers that only tail-call, wrong for a recursive function, whose
//!   callers then spill every live value around every call (quicksort ran 11% slower). A type
//!   whose functions make no tail calls and are the target of none keeps Cranelift's `tail`,
//!   with its callee-saved registers.
//! - **Hot parameters**: used by at least half of the module's functions of the type, where
//!   passing a parameter on unchanged, in its own position, to a tail call of the same type is no
//!   use. An interpreter's handlers share one type with 10-12 words of state, and most handlers
//!   touch only some of it (the program counter, the stack pointer and the dispatch table's
//!   address always; the return stack or a frame pointer only in calls and returns). With every
//!   integer parameter in an integer register, a handler that needs scratch registers of its own
//!   spills parameters it never looked at to the stack and back; in a float lane such a
//!   parameter costs nothing unless it is used. Only for types with more integer parameters
//!   than [`MIN_INT_PARAMS`].
//!
//! A type never leaves the module when no function of it is imported, exported, the start
//! function, in an element segment other than an active one of a static table (see `facts`),
//! named by `ref.func`, or in a global's initializer; no indirect call of the type goes through a
//! table that is not static (it could reach a function of another module), and no `call_ref`
//! of it is made (but one right after a `table.get` of a static table, which is an indirect call
//! through that table); and no other `table.get` reads a static table (the funcref could be
//! stored where others reach it). Types that leave the module, and a group function's own type,
//! get no plan: the convention's default. A module that declares subtypes gets no plans at all.

use crate::facts::ModuleFacts;
use crate::module::{ConstExpr, ConstOp, EntityIndex, FunctionInput, ModuleInfo, SegmentMode};
use crate::types::{FuncType, ValType};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use wasmparser::Operator as O;

/// Types with at most this many integer parameters get no hot parameters: every convention has
/// integer registers for them.
pub const MIN_INT_PARAMS: usize = 6;

/// What the module knows of one of its own function types.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypePlan {
    /// Its functions are called only normally, never by a tail call, and make no tail calls.
    pub ordinary: bool,
    /// Per parameter, whether it is hot; `None` for types with few integer parameters.
    pub hot: Option<Vec<bool>>,
}

/// The plan of every function type that never leaves the module.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TypePlans(HashMap<FuncType, TypePlan>);

impl TypePlans {
    /// The plan for `ty`, if it never leaves the module.
    pub fn plan(&self, ty: &FuncType) -> Option<&TypePlan> {
        self.0.get(ty)
    }

    /// The planned types.
    pub fn iter(&self) -> impl Iterator<Item = (&FuncType, &TypePlan)> {
        self.0.iter()
    }

    pub fn find(info: &ModuleInfo, facts: &ModuleFacts, bodies: &[FunctionInput<'_>]) -> TypePlans {
        if info.has_subtyping() {
            // A call through a type may reach functions of its subtypes, whose plans differ.
            return TypePlans::default();
        }
        let static_table = |t: u32| facts.is_static(t);
        // The types of functions reachable from outside the module.
        let mut leaves: HashSet<&FuncType> = HashSet::new();
        let mut reachable: Vec<u32> = (0..info.num_imported_funcs).collect();
        reachable.extend(info.exports.iter().filter_map(|(_, index)| match index {
            EntityIndex::Func(f) => Some(*f),
            _ => None,
        }));
        reachable.extend(info.start);
        let mut referenced: Vec<&ConstExpr> = info.global_inits.iter().collect();
        for segment in &info.elements {
            match &segment.mode {
                SegmentMode::Active { target, .. } if static_table(*target) => {}
                _ => referenced.extend(&segment.items),
            }
        }
        for (defined, init) in info.table_inits.iter().enumerate() {
            if !static_table(info.num_imported_tables + defined as u32) {
                referenced.push(init);
            }
        }
        for expr in referenced {
            reachable.extend(expr.0.iter().filter_map(|op| match op {
                ConstOp::RefFunc(f) => Some(*f),
                _ => None,
            }));
        }

        // Types that make or take tail calls; per type with many integer parameters, how many
        // of its functions use each parameter, and how many functions it has.
        let mut tail_linked: HashSet<&FuncType> = HashSet::new();
        let mut users: HashMap<&FuncType, Vec<usize>> = HashMap::new();
        let mut functions: HashMap<&FuncType, usize> = HashMap::new();
        let many_ints = |ty: &FuncType| ty.params.iter().filter(|p| is_int(p)).count() > MIN_INT_PARAMS;
        for input in bodies {
            let ty = info.func_type(input.func_index);
            let Ok(mut reader) = input.body.get_operators_reader() else { return TypePlans::default() };
            let mut uses = ParamUses::new(ty.params.len());
            // A `table.get` of a static table not consumed at once by a call (see
            // `facts::ref_call_through_table`), where the reference could go anywhere.
            let mut pending_get = false;
            let mut previous = O::Nop;
            while !reader.eof() {
                let Ok(op) = reader.read() else { return TypePlans::default() };
                let through_table = crate::facts::ref_call_through_table(&previous, &op)
                    .is_some_and(|(t, _)| static_table(t));
                if pending_get && !through_table {
                    return TypePlans::default();
                }
                pending_get = matches!(op, O::TableGet { table } if static_table(table));
                let callee = match op {
                    O::ReturnCall { function_index } => {
                        info.funcs.get(function_index as usize).map(|_| info.func_type(function_index))
                    }
                    O::ReturnCallIndirect { type_index, .. } | O::ReturnCallRef { type_index } => {
                        info.types.get(type_index as usize).map(|t| t.func())
                    }
                    _ => None,
                };
                if let Some(callee) = callee {
                    tail_linked.insert(ty);
                    tail_linked.insert(callee);
                }
                uses.step(&op, callee == Some(ty));
                match op {
                    O::RefFunc { function_index } => reachable.push(function_index),
                    O::CallIndirect { type_index, table_index }
                    | O::ReturnCallIndirect { type_index, table_index }
                        if !static_table(table_index) =>
                    {
                        leaves.extend(info.types.get(type_index as usize).map(|t| t.func()));
                    }
                    // A function reference may come from anywhere, another module included, unless
                    // it was read from a static table just before.
                    O::CallRef { type_index } | O::ReturnCallRef { type_index } if !through_table => {
                        leaves.extend(info.types.get(type_index as usize).map(|t| t.func()));
                    }
                    _ => {}
                }
                previous = op;
            }
            if pending_get {
                return TypePlans::default();
            }
            if many_ints(ty) {
                *functions.entry(ty).or_default() += 1;
                let counts = users.entry(ty).or_insert_with(|| vec![0; ty.params.len()]);
                for (count, used) in counts.iter_mut().zip(uses.used()) {
                    *count += usize::from(used);
                }
            }
        }

        leaves.extend(
            reachable
                .into_iter()
                .filter_map(|f| Some(info.types.get(*info.funcs.get(f as usize)? as usize)?.func())),
        );
        let mut plans = HashMap::new();
        for ty in info.types.iter().map(|t| t.func()).filter(|ty| !leaves.contains(*ty)) {
            let hot = users.get(ty).map(|counts| {
                let n = functions[ty];
                counts.iter().map(|c| 2 * c >= n).collect::<Vec<bool>>()
            });
            plans.insert(ty.clone(), TypePlan { ordinary: !tail_linked.contains(ty), hot });
        }
        TypePlans(plans)
    }
}

/// How one function uses its parameters. A straight run of code is followed with a model of
/// the operand stack that knows which values are parameters as they came in (`local.get`), so
/// that a tail call's arguments can be recognised as passed on; at anything the model does not
/// know (control flow, calls, float and memory-management operators) it forgets the stack.
struct ParamUses {
    reads: Vec<usize>,
    passed_on: Vec<usize>,
    written: Vec<bool>,
    /// The operand stack of the current straight run: `Some(p)` for parameter `p` unchanged.
    stack: Vec<Option<u32>>,
}

impl ParamUses {
    fn new(params: usize) -> Self {
        ParamUses {
            reads: vec![0; params],
            passed_on: vec![0; params],
            written: vec![false; params],
            stack: vec![],
        }
    }

    fn pop(&mut self) -> Option<u32> {
        self.stack.pop().flatten()
    }

    fn step(&mut self, op: &O<'_>, own_tail_call: bool) {
        let params = self.reads.len();
        match *op {
            O::LocalGet { local_index } => {
                let param = (local_index as usize) < params;
                if param {
                    self.reads[local_index as usize] += 1;
                }
                self.stack.push(param.then_some(local_index));
            }
            O::LocalSet { local_index } | O::LocalTee { local_index } => {
                if let Some(w) = self.written.get_mut(local_index as usize) {
                    *w = true;
                }
                self.pop();
                if matches!(op, O::LocalTee { .. }) {
                    self.stack.push(None);
                }
            }
            O::ReturnCall { .. } | O::ReturnCallIndirect { .. } | O::ReturnCallRef { .. }
                if own_tail_call =>
            {
                // The table index, or the reference.
                if !matches!(op, O::ReturnCall { .. }) {
                    self.pop();
                }
                for position in (0..params).rev() {
                    if self.pop() == Some(position as u32) {
                        self.passed_on[position] += 1;
                    }
                }
                self.stack.clear();
            }
            _ => match arity(op) {
                Some((pops, pushes)) => {
                    for _ in 0..pops {
                        self.pop();
                    }
                    self.stack.extend(std::iter::repeat_n(None, pushes));
                }
                None => self.stack.clear(),
            },
        }
    }

    /// Per parameter: written, or read other than to be passed on.
    fn used(&self) -> impl Iterator<Item = bool> + '_ {
        (0..self.reads.len()).map(|p| self.written[p] || self.reads[p] > self.passed_on[p])
    }
}

/// (values popped, values pushed) of the integer operators interpreters' handlers are made of;
/// `None` for any other.
fn arity(op: &O<'_>) -> Option<(usize, usize)> {
    Some(match op {
        O::I32Const { .. } | O::I64Const { .. } | O::GlobalGet { .. } => (0, 1),
        O::Drop | O::GlobalSet { .. } => (1, 0),
        O::Select | O::TypedSelect { .. } => (3, 1),
        O::I32Load { .. }
        | O::I64Load { .. }
        | O::I32Load8S { .. }
        | O::I32Load8U { .. }
        | O::I32Load16S { .. }
        | O::I32Load16U { .. }
        | O::I64Load8S { .. }
        | O::I64Load8U { .. }
        | O::I64Load16S { .. }
        | O::I64Load16U { .. }
        | O::I64Load32S { .. }
        | O::I64Load32U { .. }
        | O::I32Eqz
        | O::I64Eqz
        | O::I32Clz
        | O::I32Ctz
        | O::I32Popcnt
        | O::I64Clz
        | O::I64Ctz
        | O::I64Popcnt
        | O::I32WrapI64
        | O::I64ExtendI32S
        | O::I64ExtendI32U
        | O::I32Extend8S
        | O::I32Extend16S
        | O::I64Extend8S
        | O::I64Extend16S
        | O::I64Extend32S
        | O::TableGet { .. } => (1, 1),
        O::I32Store { .. }
        | O::I64Store { .. }
        | O::I32Store8 { .. }
        | O::I32Store16 { .. }
        | O::I64Store8 { .. }
        | O::I64Store16 { .. }
        | O::I64Store32 { .. } => (2, 0),
        O::I32Add
        | O::I32Sub
        | O::I32Mul
        | O::I32DivS
        | O::I32DivU
        | O::I32RemS
        | O::I32RemU
        | O::I32And
        | O::I32Or
        | O::I32Xor
        | O::I32Shl
        | O::I32ShrS
        | O::I32ShrU
        | O::I32Rotl
        | O::I32Rotr
        | O::I32Eq
        | O::I32Ne
        | O::I32LtS
        | O::I32LtU
        | O::I32GtS
        | O::I32GtU
        | O::I32LeS
        | O::I32LeU
        | O::I32GeS
        | O::I32GeU
        | O::I64Add
        | O::I64Sub
        | O::I64Mul
        | O::I64DivS
        | O::I64DivU
        | O::I64RemS
        | O::I64RemU
        | O::I64And
        | O::I64Or
        | O::I64Xor
        | O::I64Shl
        | O::I64ShrS
        | O::I64ShrU
        | O::I64Rotl
        | O::I64Rotr
        | O::I64Eq
        | O::I64Ne
        | O::I64LtS
        | O::I64LtU
        | O::I64GtS
        | O::I64GtU
        | O::I64LeS
        | O::I64LeU
        | O::I64GeS
        | O::I64GeU => (2, 1),
        _ => return None,
    })
}

fn is_int(ty: &ValType) -> bool {
    matches!(ty, ValType::I32 | ValType::I64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plans_of(wat: &str) -> (ModuleInfo, TypePlans) {
        let bytes = wat::parse_str(wat).unwrap();
        let parsed = crate::module::parse(&bytes, crate::module::features()).unwrap();
        let facts = ModuleFacts::gather(&parsed.info, &parsed.bodies);
        let plans = TypePlans::find(&parsed.info, &facts, &parsed.bodies);
        (parsed.info, plans)
    }

    /// Handlers of 8 `i32`s through a static table: $a and $b read parameters 0 and 1, $c
    /// also 7; parameters 2-6 are only passed on.
    const HANDLERS: &str = r#"
        (type $h (func (param i32 i32 i32 i32 i32 i32 i32 i32)))
        (table 3 funcref) (elem (i32.const 0) func $a $b $c)
        (func $a (type $h)
            (return_call_indirect (type $h) (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                (local.get 4) (local.get 5) (local.get 6) (local.get 7) (local.get 1)))
        (func $b (type $h)
            (return_call_indirect (type $h) (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                (local.get 4) (local.get 5) (local.get 6) (local.get 7) (local.get 0)))
        (func $c (type $h)
            (return_call_indirect (type $h) (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                (local.get 4) (local.get 5) (local.get 6) (local.get 7) (local.get 1)))"#;

    #[test]
    fn parameters_handlers_only_pass_on_are_cold() {
        let (info, plans) = plans_of(&format!("(module {HANDLERS})"));
        // Parameter 1 indexes the table in two handlers of three, parameter 0 in one.
        let hot = [false, true, false, false, false, false, false, false];
        let plan = plans.plan(info.func_type(0)).unwrap();
        assert_eq!(plan.hot.as_deref(), Some(&hot[..]));
        assert!(!plan.ordinary, "its functions tail-call each other");
    }

    #[test]
    fn parameters_few_functions_touch_are_cold() {
        let (info, plans) = plans_of(
            r#"(module
                (type $h (func (param i32 i32 i32 i32 i32 i32 i32 i32)))
                (table 3 funcref) (elem (i32.const 0) func $a $b $c)
                (func $a (type $h) (local.get 0) (local.get 1) (drop) (drop))
                (func $b (type $h) (local.get 0) (local.get 1) (local.get 7) (drop) (drop) (drop))
                (func $c (type $h) (local.get 1) (local.get 2) (drop) (drop))
                (func (export "run") (param i32)
                    (call_indirect (type $h) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (local.get 0))))"#,
        );
        let ty = info.func_type(0);
        let plan = plans.plan(ty).unwrap();
        assert_eq!(plan.hot.as_deref(), Some(&[true, true, false, false, false, false, false, false][..]));
        assert!(plan.ordinary, "called only by call_indirect");
    }

    #[test]
    fn types_that_leave_the_module_keep_their_lanes() {
        let module = |extra: &str| {
            format!(
                r#"(module
                (type $h (func (param i32 i32 i32 i32 i32 i32 i32 i32)))
                {extra}
                (table $t 3 funcref) (elem (table $t) (i32.const 0) func $a $b $c)
                (func $a (type $h) (local.get 0) (drop))
                (func $b (type $h) (local.get 0) (drop))
                (func $c (type $h) (local.get 0) (drop)))"#
            )
        };
        let (info, plans) = plans_of(&module(""));
        assert!(plans.plan(info.func_type_at(0)).is_some(), "the control case is planned");
        for extra in [
            r#"(export "a" (func $a))"#,
            r#"(import "env" "f" (func (type $h)))"#,
            r#"(elem declare func $b) (func (result funcref) (ref.func $b))"#,
            r#"(table $u (export "u") 1 funcref)
               (func (param i32) (call_indirect $u (type $h) (i32.const 0) (i32.const 0) (i32.const 0)
                   (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (local.get 0)))"#,
            r#"(func (result funcref) (table.get $t (i32.const 0)))"#,
        ] {
            let (info, plans) = plans_of(&module(extra));
            let ty = info.func_type_at(0);
            assert!(plans.plan(ty).is_none(), "planned despite {extra}");
        }
    }

    #[test]
    fn types_that_take_part_in_tail_calls_are_not_ordinary() {
        let (info, plans) = plans_of(
            r#"(module
                (type $leaf (func (param i32) (result i32)))
                (type $tailer (func (param i64) (result i32)))
                (type $tailed (func (param f64) (result i32)))
                (func $leaf (type $leaf) (local.get 0))
                (func $tailer (type $tailer) (return_call $tailed (f64.const 1)))
                (func $tailed (type $tailed) (call $leaf (i32.const 2)))
                (func (export "run") (result i32) (call $tailer (i64.const 0))))"#,
        );
        let ordinary = |t: usize| plans.plan(info.func_type_at(t as u32)).map(|p| p.ordinary);
        assert_eq!(ordinary(0), Some(true));
        assert_eq!(ordinary(1), Some(false), "makes a tail call");
        assert_eq!(ordinary(2), Some(false), "is tail-called");
        assert_eq!(plans.plan(info.func_type_at(0)).unwrap().hot, None, "one integer parameter");
    }
}
