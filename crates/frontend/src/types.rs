//! kite's type machinery: value types (typed references included), function types, and type
//! definitions with their recursion groups and declared supertypes; owned, hashable,
//! independent of the parser's lifetimes.
//!
//! Types are equal iso-recursively: two recursion groups define the same types when their
//! [`canonical_group`] keys are equal. The module (`ModuleInfo::canonical`) and the runtime's
//! engine-wide registry (`Engine::register_types`) both canonicalize with it, so a
//! `call_indirect` signature check is one compare of ids. [`CompositeType`] is where GC's
//! struct and array types go.

use cranelift_codegen::ir::{Endianness, InstBuilder, MemFlagsData, Opcode, Type, Value, types};
use cranelift_frontend::FunctionBuilder;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A WebAssembly value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    /// 128 bits of SIMD data, whatever its lanes.
    V128,
    Ref(RefType),
}

/// `v`'s bits seen as a value of Cranelift type `ty` of the same size (an integer in a float
/// register, a `v128` as lanes of another shape). A `bitcast` of a bitcast back to the first
/// type is the first value: Cranelift would keep both, two register moves. Lanes are numbered in
/// memory order on every target (little-endian), as Wasm numbers them.
pub fn reinterpret(b: &mut FunctionBuilder<'_>, v: Value, ty: Type) -> Value {
    if b.func.dfg.value_type(v) == ty {
        return v;
    }
    if let Some(inst) = b.func.dfg.value_def(v).inst()
        && b.func.dfg.insts[inst].opcode() == Opcode::Bitcast
    {
        let source = b.func.dfg.inst_args(inst)[0];
        if b.func.dfg.value_type(source) == ty {
            return source;
        }
    }
    b.ins().bitcast(ty, MemFlagsData::new().with_endianness(Endianness::Little), v)
}

/// A reference type: whether it admits null, and what it refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RefType {
    pub nullable: bool,
    pub heap: HeapType,
}

/// What a reference refers to. Every function reference is a pointer to a `VMFuncRef` at run
/// time, every extern reference a host value, whatever its static type: the types only
/// matter to validation and to the checks at calls, imports and the embedding API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HeapType {
    /// Any function (`func`).
    Func,
    /// Any host reference (`extern`).
    Extern,
    /// No function: only null (`nofunc`, the bottom of the function types).
    NoFunc,
    /// No host reference: only null (`noextern`).
    NoExtern,
    /// Any exception (`exn`): a thrown exception's tag and values.
    Exn,
    /// No exception: only null (`noexn`).
    NoExn,
    /// A defined type (a function type until GC adds struct and array types).
    Concrete(TypeIndex),
}

/// Which defined type a `HeapType::Concrete` names. A module's own description uses module
/// indices; the engine's registry renames them to engine-wide ids, and within the key of a
/// recursion group to positions in that group (see [`canonical_group`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TypeIndex {
    /// An index into the module's type section.
    Module(u32),
    /// An engine-wide id (`Engine::type_id`).
    Engine(u32),
    /// A position in the recursion group that holds the reference.
    RecGroup(u32),
}

impl ValType {
    /// `funcref`: `(ref null func)`.
    pub const FUNCREF: ValType = ValType::Ref(RefType { nullable: true, heap: HeapType::Func });
    /// `externref`: `(ref null extern)`.
    pub const EXTERNREF: ValType = ValType::Ref(RefType { nullable: true, heap: HeapType::Extern });
    /// `exnref`: `(ref null exn)`.
    pub const EXNREF: ValType = ValType::Ref(RefType { nullable: true, heap: HeapType::Exn });

    /// The Cranelift type a value of this type lives in. References are pointers. A `v128`
    /// travels as `I8X16` between instructions (in locals, block parameters, calls), whatever
    /// its lanes: each SIMD instruction bitcasts to the lane type it works on (`translate::simd`).
    pub fn clif(self) -> Type {
        match self {
            ValType::I32 => types::I32,
            ValType::I64 => types::I64,
            ValType::F32 => types::F32,
            ValType::F64 => types::F64,
            ValType::V128 => types::I8X16,
            ValType::Ref(_) => types::I64,
        }
    }

    pub fn is_ref(self) -> bool {
        matches!(self, ValType::Ref(_))
    }

    /// Whether values of this type are function references (null or a `VMFuncRef`), as
    /// opposed to host references.
    pub fn is_func_ref(self) -> bool {
        matches!(self, ValType::Ref(r) if r.heap.is_func())
    }

    /// The type with every concrete index renamed by `rename` (module indices to engine ids,
    /// say).
    pub fn map_index(self, rename: &mut impl FnMut(TypeIndex) -> TypeIndex) -> ValType {
        match self {
            ValType::Ref(RefType { nullable, heap: HeapType::Concrete(index) }) => {
                ValType::Ref(RefType { nullable, heap: HeapType::Concrete(rename(index)) })
            }
            other => other,
        }
    }

    /// Whether a value of type `self` is a value of type `other`. `concrete_sub(a, b)` decides
    /// between defined types (declared subtyping; equal canonical indices are equal types).
    pub fn is_subtype_of(self, other: ValType, concrete_sub: &impl Fn(TypeIndex, TypeIndex) -> bool) -> bool {
        match (self, other) {
            (ValType::Ref(a), ValType::Ref(b)) => {
                (!a.nullable || b.nullable) && a.heap.is_subtype_of(b.heap, concrete_sub)
            }
            (a, b) => a == b,
        }
    }
}

impl HeapType {
    /// Whether references of this type are function references.
    pub fn is_func(self) -> bool {
        matches!(self, HeapType::Func | HeapType::NoFunc | HeapType::Concrete(_))
    }

    /// Whether references of this type are exception references.
    pub fn is_exn(self) -> bool {
        matches!(self, HeapType::Exn | HeapType::NoExn)
    }

    fn is_subtype_of(self, other: HeapType, concrete_sub: &impl Fn(TypeIndex, TypeIndex) -> bool) -> bool {
        use HeapType::*;
        match (self, other) {
            (a, b) if a == b => true,
            (NoFunc, b) => b.is_func(),
            (NoExtern, Extern) => true,
            (NoExn, Exn) => true,
            (Concrete(_), Func) => true,
            (Concrete(a), Concrete(b)) => concrete_sub(a, b),
            _ => false,
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValType::I32 => f.write_str("i32"),
            ValType::I64 => f.write_str("i64"),
            ValType::F32 => f.write_str("f32"),
            ValType::F64 => f.write_str("f64"),
            ValType::V128 => f.write_str("v128"),
            &ValType::FUNCREF => f.write_str("funcref"),
            &ValType::EXTERNREF => f.write_str("externref"),
            &ValType::EXNREF => f.write_str("exnref"),
            ValType::Ref(r) => {
                let heap = match r.heap {
                    HeapType::Func => "func".to_string(),
                    HeapType::Extern => "extern".to_string(),
                    HeapType::NoFunc => "nofunc".to_string(),
                    HeapType::NoExtern => "noextern".to_string(),
                    HeapType::Exn => "exn".to_string(),
                    HeapType::NoExn => "noexn".to_string(),
                    HeapType::Concrete(TypeIndex::Module(i)) => i.to_string(),
                    HeapType::Concrete(TypeIndex::Engine(i)) => format!("engine type {i}"),
                    HeapType::Concrete(TypeIndex::RecGroup(i)) => format!("rec {i}"),
                };
                write!(f, "(ref {}{heap})", if r.nullable { "null " } else { "" })
            }
        }
    }
}

/// A type definition: a composite type, whether it may have subtypes, and its declared
/// supertype. Types declared without `sub` are final and have none.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SubType {
    pub is_final: bool,
    pub supertype: Option<TypeIndex>,
    pub composite: CompositeType,
}

/// What a defined type is. GC adds `Struct` and `Array` beside `Func`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CompositeType {
    Func(FuncType),
}

impl SubType {
    /// A final function type with no supertype: what `(type (func ...))` declares, and what the
    /// embedder's function types are.
    pub fn plain(ty: FuncType) -> SubType {
        SubType { is_final: true, supertype: None, composite: CompositeType::Func(ty) }
    }

    pub fn func(&self) -> &FuncType {
        match &self.composite {
            CompositeType::Func(ty) => ty,
        }
    }

    /// The definition with every concrete index renamed by `rename`.
    pub fn map_index(&self, rename: &mut impl FnMut(TypeIndex) -> TypeIndex) -> SubType {
        let CompositeType::Func(ty) = &self.composite;
        SubType {
            is_final: self.is_final,
            supertype: self.supertype.map(&mut *rename),
            composite: CompositeType::Func(FuncType {
                params: ty.params.iter().map(|t| t.map_index(rename)).collect(),
                results: ty.results.iter().map(|t| t.map_index(rename)).collect(),
            }),
        }
    }
}

/// Whether type `sub` is type `sup` or one of its declared subtypes: `same` says when two
/// indices name one type, `supertype` gives a type's declared supertype. The module (by its
/// canonical indices) and the engine's registry (by ids) both ask this.
pub fn is_declared_subtype(
    sub: u32,
    sup: u32,
    same: impl Fn(u32, u32) -> bool,
    supertype: impl Fn(u32) -> Option<u32>,
) -> bool {
    let mut at = Some(sub);
    while let Some(index) = at {
        if same(index, sup) {
            return true;
        }
        at = supertype(index);
    }
    false
}

/// The identity of a recursion group, for iso-recursive type equality: its definitions with
/// references inside the group renamed to positions in it, and references outside it to the
/// canonical index `outside` gives them. Two groups are the same types exactly when their keys
/// are equal. `group` holds module indices `start..start + group.len()`; the runtime's registry
/// and the module's own canonicalization (`ModuleInfo::canonical`) both use this.
pub fn canonical_group(group: &[SubType], start: u32, outside: impl Fn(u32) -> TypeIndex) -> Vec<SubType> {
    let end = start + group.len() as u32;
    let mut rename = |index: TypeIndex| match index {
        TypeIndex::Module(i) if (start..end).contains(&i) => TypeIndex::RecGroup(i - start),
        TypeIndex::Module(i) => outside(i),
        other => other,
    };
    group.iter().map(|ty| ty.map_index(&mut rename)).collect()
}

/// A function type: parameters and results.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct FuncType {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

impl FuncType {
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> Self {
        FuncType { params: params.into_iter().collect(), results: results.into_iter().collect() }
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[ValType]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ");
        write!(f, "(func (param {}) (result {}))", list(&self.params), list(&self.results))
    }
}

/// Size limits of a memory (in 64 KiB pages) or table (in elements).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Limits {
    pub min: u64,
    pub max: Option<u64>,
}

impl Limits {
    /// Import subtyping: an import of `self` accepts an exporter of `actual`.
    pub fn accepts(&self, actual: &Limits) -> bool {
        actual.min >= self.min
            && match (self.max, actual.max) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(want), Some(have)) => have <= want,
            }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MemoryType {
    pub limits: Limits,
    /// Addressed with `i64` (the memory64 proposal), not `i32`.
    pub memory64: bool,
}

impl MemoryType {
    /// A memory addressed with `i32`, as in Wasm 1.0 and 2.0.
    pub fn new(limits: Limits) -> MemoryType {
        MemoryType { limits, memory64: false }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableType {
    pub element: ValType,
    pub limits: Limits,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GlobalType {
    pub content: ValType,
    pub mutable: bool,
}
