//! Parsing and validation of a whole module into [`ModuleInfo`]: everything about a module except its
//! function bodies, owned, so the runtime can keep it after the bytes are gone.
//!
//! wasmparser validates every section as it is read; function bodies are validated later, while
//! they are translated, by the [`FuncToValidate`] handed out with each body.

use crate::error::{CompileError, Result};
use crate::types::{
    CompositeType, FuncType, GlobalType, HeapType, Limits, MemoryType, RefType, SubType, TableType,
    TypeIndex, ValType, canonical_group, is_declared_subtype,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use wasmparser::{
    ExternalKind, FuncToValidate, FunctionBody, KnownCustom, Name, Parser, Payload, TypeRef, ValidPayload,
    Validator, ValidatorResources, WasmFeatures,
};

/// The Wasm features kite accepts: WebAssembly 2.0 (SIMD included), and of 3.0 tail calls,
/// typed function references, relaxed SIMD, multi-memory, memory64, extended constant
/// expressions and exception handling (with the legacy `try`/`catch` instructions that
/// toolchains still emit).
///
/// GC is on for validation because wasmparser puts under it what 3.0 has beyond function
/// references and kite supports: recursion groups, `sub` declarations, `global.get` of defined
/// globals in constant expressions. GC's own types are refused where they are read (struct and
/// array definitions in `read_payload`, abstract heap types such as `any` in `ref_type`, its
/// instructions by the translator), each with a one-line "unsupported" error.
pub fn features() -> WasmFeatures {
    WasmFeatures::WASM2
        | WasmFeatures::TAIL_CALL
        | WasmFeatures::FUNCTION_REFERENCES
        | WasmFeatures::GC
        | WasmFeatures::RELAXED_SIMD
        | WasmFeatures::MULTI_MEMORY
        | WasmFeatures::EXTENDED_CONST
        | WasmFeatures::MEMORY64
        | WasmFeatures::EXCEPTIONS
        | WasmFeatures::LEGACY_EXCEPTIONS
}

/// One instruction of a constant expression (global initializers, segment offsets and items).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ConstOp {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    RefNull,
    RefFunc(u32),
    GlobalGet(u32),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
}

/// A constant expression, evaluated by the runtime at instantiation.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct ConstExpr(pub Vec<ConstOp>);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntityIndex {
    Func(u32),
    Table(u32),
    Memory(u32),
    Global(u32),
    Tag(u32),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Import {
    pub module: String,
    pub name: String,
    /// The index the import occupies in its own index space.
    pub index: EntityIndex,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum SegmentMode<Target> {
    Active { target: Target, offset: ConstExpr },
    Passive,
    Declared,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ElementSegment {
    pub mode: SegmentMode<u32>,
    pub ty: ValType,
    pub items: Vec<ConstExpr>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DataSegment {
    pub mode: SegmentMode<u32>,
    #[serde(with = "crate::byte_buf")]
    pub bytes: Vec<u8>,
}

/// Everything about a module but its code. Index spaces put imports first, as Wasm does.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// The type section's definitions, recursion groups one after another.
    pub types: Vec<SubType>,
    /// Where each recursion group starts in `types`.
    pub rec_groups: Vec<u32>,
    /// Per type index, the first index of a type equal to it (iso-recursively): two indices
    /// name the same type exactly when their canonical indices are equal.
    pub canonical: Vec<u32>,
    /// The type index of every function, imported ones first.
    pub funcs: Vec<u32>,
    pub tables: Vec<TableType>,
    pub memories: Vec<MemoryType>,
    pub globals: Vec<GlobalType>,
    /// The function type (its parameters: an exception's values) of every tag, imported first.
    pub tags: Vec<u32>,
    pub num_imported_funcs: u32,
    pub num_imported_tables: u32,
    pub num_imported_memories: u32,
    pub num_imported_globals: u32,
    pub num_imported_tags: u32,
    /// Initializers of the defined globals.
    pub global_inits: Vec<ConstExpr>,
    /// Initial element of each defined table.
    pub table_inits: Vec<ConstExpr>,
    pub imports: Vec<Import>,
    pub exports: Vec<(String, EntityIndex)>,
    pub start: Option<u32>,
    pub elements: Vec<ElementSegment>,
    pub data: Vec<DataSegment>,
    pub module_name: Option<String>,
    pub func_names: HashMap<u32, String>,
    /// Functions whose reference can be taken (`ref.func`, element segments, exports).
    pub escaping_funcs: Vec<bool>,
    /// Total size of the function bodies in bytes, for compile-throughput figures.
    pub code_bytes: usize,
}

impl ModuleInfo {
    /// The function type of function `func`.
    pub fn func_type(&self, func: u32) -> &FuncType {
        self.types[self.funcs[func as usize] as usize].func()
    }

    /// The function type defined at type index `index`.
    pub fn func_type_at(&self, index: u32) -> &FuncType {
        self.types[index as usize].func()
    }

    /// Whether type `sub` is type `sup` or one of its declared subtypes.
    pub fn is_subtype(&self, sub: u32, sup: u32) -> bool {
        is_declared_subtype(
            sub,
            sup,
            |a, b| self.canonical[a as usize] == self.canonical[b as usize],
            |index| match self.types[index as usize].supertype {
                Some(TypeIndex::Module(parent)) => Some(parent),
                _ => None,
            },
        )
    }

    /// The module indices of each recursion group's types.
    pub fn rec_group_ranges(&self) -> impl Iterator<Item = std::ops::Range<u32>> + '_ {
        rec_group_ranges(&self.rec_groups, self.types.len())
    }

    /// Whether a `return_call_ref` of type `type_index` may reach function `func` and pass its
    /// arguments as they are: `func` is of that exact type and its reference can be taken.
    pub fn ref_call_may_reach(&self, func: u32, type_index: u32) -> bool {
        self.escaping_funcs[func as usize]
            && self.canonical[self.funcs[func as usize] as usize] == self.canonical[type_index as usize]
    }

    /// Whether any type declares a supertype or leaves itself open to subtypes: then a call
    /// through a type may reach functions of other types.
    pub fn has_subtyping(&self) -> bool {
        self.types.iter().any(|t| t.supertype.is_some() || !t.is_final)
    }

    /// The function type whose parameters are the values of tag `tag`'s exceptions.
    pub fn tag_type(&self, tag: u32) -> &FuncType {
        self.func_type_at(self.tags[tag as usize])
    }

    pub fn is_imported_func(&self, func: u32) -> bool {
        func < self.num_imported_funcs
    }

    pub fn num_defined_funcs(&self) -> u32 {
        self.funcs.len() as u32 - self.num_imported_funcs
    }

    /// A readable name for a function: its name-section name, else its export name, else its index.
    pub fn func_display_name(&self, func: u32) -> String {
        if let Some(name) = self.func_names.get(&func) {
            return name.clone();
        }
        for (name, index) in &self.exports {
            if *index == EntityIndex::Func(func) {
                return name.clone();
            }
        }
        format!("func[{func}]")
    }

    pub fn export(&self, name: &str) -> Option<EntityIndex> {
        self.exports.iter().find(|(n, _)| n == name).map(|(_, i)| *i)
    }
}

/// A function body waiting to be validated and translated.
pub struct FunctionInput<'a> {
    pub func_index: u32,
    pub validator: FuncToValidate<ValidatorResources>,
    pub body: FunctionBody<'a>,
}

// By hand: wasmparser's `FuncToValidate` is not `Clone`, though all its fields are (the
// resources are a shared pointer). A function translated twice is validated twice.
impl Clone for FunctionInput<'_> {
    fn clone(&self) -> Self {
        let v = &self.validator;
        FunctionInput {
            func_index: self.func_index,
            validator: FuncToValidate {
                resources: v.resources.clone(),
                index: v.index,
                ty: v.ty,
                features: v.features,
            },
            body: self.body.clone(),
        }
    }
}

/// The result of reading a module: its description and its function bodies.
pub struct ParsedModule<'a> {
    pub info: ModuleInfo,
    pub bodies: Vec<FunctionInput<'a>>,
}

/// Parses and validates everything but function bodies, accepting the Wasm features in
/// `features` (at most [`features()`]).
pub fn parse(bytes: &[u8], features: WasmFeatures) -> Result<ParsedModule<'_>> {
    let features = features & self::features();
    let mut validator = Validator::new_with_features(features);
    let mut info = ModuleInfo::default();
    let mut bodies = Vec::new();
    // The parser reads some immediates differently per feature (memory indices, limits).
    let mut parser = Parser::new(0);
    parser.set_features(features);
    for payload in parser.parse_all(bytes) {
        let payload = payload?;
        let valid = validator.payload(&payload)?;
        read_payload(&mut info, &payload)?;
        if let ValidPayload::Func(validator, body) = valid {
            let func_index = info.num_imported_funcs + bodies.len() as u32;
            info.code_bytes += body.range().len();
            bodies.push(FunctionInput { func_index, validator, body });
        }
    }
    info.escaping_funcs.resize(info.funcs.len(), false);
    mark_escaping(&mut info);
    info.canonical = canonical_indices(&info.types, &info.rec_groups);
    Ok(ParsedModule { info, bodies })
}

fn read_payload(info: &mut ModuleInfo, payload: &Payload<'_>) -> Result<()> {
    match payload {
        Payload::TypeSection(reader) => {
            for group in reader.clone() {
                let group = group?;
                info.rec_groups.push(info.types.len() as u32);
                for ty in group.types() {
                    let supertype = ty.supertype_idx.map(|i| {
                        i.as_module_index().map(TypeIndex::Module).ok_or_else(|| {
                            CompileError::Unsupported("a supertype outside the module's types".into())
                        })
                    });
                    let wasmparser::CompositeInnerType::Func(func) = &ty.composite_type.inner else {
                        return Err(CompileError::Unsupported("GC struct and array types".into()));
                    };
                    info.types.push(SubType {
                        is_final: ty.is_final,
                        supertype: supertype.transpose()?,
                        composite: CompositeType::Func(func_type(func)?),
                    });
                }
            }
        }
        Payload::ImportSection(reader) => {
            for import in reader.clone().into_imports() {
                let import = import?;
                let index = match import.ty {
                    TypeRef::Func(ty) | TypeRef::FuncExact(ty) => {
                        info.funcs.push(ty);
                        info.num_imported_funcs += 1;
                        EntityIndex::Func(info.funcs.len() as u32 - 1)
                    }
                    TypeRef::Table(ty) => {
                        info.tables.push(table_type(&ty)?);
                        info.num_imported_tables += 1;
                        EntityIndex::Table(info.tables.len() as u32 - 1)
                    }
                    TypeRef::Memory(ty) => {
                        info.memories.push(memory_type(&ty));
                        info.num_imported_memories += 1;
                        EntityIndex::Memory(info.memories.len() as u32 - 1)
                    }
                    TypeRef::Global(ty) => {
                        info.globals.push(global_type(&ty)?);
                        info.num_imported_globals += 1;
                        EntityIndex::Global(info.globals.len() as u32 - 1)
                    }
                    TypeRef::Tag(ty) => {
                        info.tags.push(ty.func_type_idx);
                        info.num_imported_tags += 1;
                        EntityIndex::Tag(info.tags.len() as u32 - 1)
                    }
                };
                info.imports.push(Import {
                    module: import.module.to_string(),
                    name: import.name.to_string(),
                    index,
                });
            }
        }
        Payload::FunctionSection(reader) => {
            for ty in reader.clone() {
                info.funcs.push(ty?);
            }
        }
        Payload::TableSection(reader) => {
            for table in reader.clone() {
                let table = table?;
                info.tables.push(table_type(&table.ty)?);
                info.table_inits.push(match table.init {
                    wasmparser::TableInit::RefNull => ConstExpr(vec![ConstOp::RefNull]),
                    wasmparser::TableInit::Expr(expr) => const_expr(&expr)?,
                });
            }
        }
        Payload::MemorySection(reader) => {
            for memory in reader.clone() {
                info.memories.push(memory_type(&memory?));
            }
        }
        Payload::GlobalSection(reader) => {
            for global in reader.clone() {
                let global = global?;
                info.globals.push(global_type(&global.ty)?);
                info.global_inits.push(const_expr(&global.init_expr)?);
            }
        }
        Payload::ExportSection(reader) => {
            for export in reader.clone() {
                let export = export?;
                let index = match export.kind {
                    ExternalKind::Func | ExternalKind::FuncExact => EntityIndex::Func(export.index),
                    ExternalKind::Table => EntityIndex::Table(export.index),
                    ExternalKind::Memory => EntityIndex::Memory(export.index),
                    ExternalKind::Global => EntityIndex::Global(export.index),
                    ExternalKind::Tag => EntityIndex::Tag(export.index),
                };
                info.exports.push((export.name.to_string(), index));
            }
        }
        Payload::TagSection(reader) => {
            for tag in reader.clone() {
                info.tags.push(tag?.func_type_idx);
            }
        }
        Payload::StartSection { func, .. } => info.start = Some(*func),
        Payload::ElementSection(reader) => {
            for element in reader.clone() {
                info.elements.push(element_segment(element?)?);
            }
        }
        Payload::DataSection(reader) => {
            for data in reader.clone() {
                let data = data?;
                let mode = match data.kind {
                    wasmparser::DataKind::Passive => SegmentMode::Passive,
                    wasmparser::DataKind::Active { memory_index, offset_expr } => {
                        SegmentMode::Active { target: memory_index, offset: const_expr(&offset_expr)? }
                    }
                };
                info.data.push(DataSegment { mode, bytes: data.data.to_vec() });
            }
        }
        Payload::CustomSection(reader) => {
            if let KnownCustom::Name(names) = reader.as_known() {
                // A malformed name section is ignored, as the spec asks of custom sections.
                let _ = read_names(info, names);
            }
        }
        _ => {}
    }
    Ok(())
}

fn read_names(info: &mut ModuleInfo, names: wasmparser::NameSectionReader<'_>) -> Result<()> {
    for name in names {
        match name? {
            Name::Module { name, .. } => info.module_name = Some(name.to_string()),
            Name::Function(map) => {
                for naming in map {
                    let naming = naming?;
                    info.func_names.insert(naming.index, naming.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn func_type(ty: &wasmparser::FuncType) -> Result<FuncType> {
    let params = ty.params().iter().map(|t| val_type(*t)).collect::<Result<_>>()?;
    let results = ty.results().iter().map(|t| val_type(*t)).collect::<Result<_>>()?;
    Ok(FuncType { params, results })
}

pub(crate) fn val_type(ty: wasmparser::ValType) -> Result<ValType> {
    Ok(match ty {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => ref_type(r)?,
    })
}

fn ref_type(ty: wasmparser::RefType) -> Result<ValType> {
    use wasmparser::AbstractHeapType as A;
    let heap = match ty.heap_type() {
        wasmparser::HeapType::Abstract { shared: false, ty: A::Func } => HeapType::Func,
        wasmparser::HeapType::Abstract { shared: false, ty: A::Extern } => HeapType::Extern,
        wasmparser::HeapType::Abstract { shared: false, ty: A::NoFunc } => HeapType::NoFunc,
        wasmparser::HeapType::Abstract { shared: false, ty: A::NoExtern } => HeapType::NoExtern,
        wasmparser::HeapType::Abstract { shared: false, ty: A::Exn } => HeapType::Exn,
        wasmparser::HeapType::Abstract { shared: false, ty: A::NoExn } => HeapType::NoExn,
        wasmparser::HeapType::Concrete(index) => match index.as_module_index() {
            Some(i) => HeapType::Concrete(TypeIndex::Module(i)),
            None => return Err(CompileError::Unsupported(format!("reference type {ty}"))),
        },
        _ => return Err(CompileError::Unsupported(format!("reference type {ty}"))),
    };
    Ok(ValType::Ref(RefType { nullable: ty.is_nullable(), heap }))
}

/// The type indices of each recursion group, from where each starts (`rec_groups`) and the
/// number of types.
fn rec_group_ranges(rec_groups: &[u32], types: usize) -> impl Iterator<Item = std::ops::Range<u32>> + '_ {
    rec_groups
        .iter()
        .enumerate()
        .map(move |(g, &start)| start..rec_groups.get(g + 1).copied().unwrap_or(types as u32))
}

/// Per type index, the first index of a type equal to it: recursion groups are equal when
/// their [`canonical_group`] keys are, which name types outside the group by their canonical
/// indices (earlier groups, already resolved).
fn canonical_indices(types: &[SubType], rec_groups: &[u32]) -> Vec<u32> {
    let mut canonical: Vec<u32> = Vec::with_capacity(types.len());
    let mut seen: HashMap<Vec<SubType>, u32> = HashMap::new();
    for std::ops::Range { start, end } in rec_group_ranges(rec_groups, types.len()) {
        let group = &types[start as usize..end as usize];
        let key = canonical_group(group, start, |i| {
            TypeIndex::Module(canonical.get(i as usize).copied().unwrap_or(i))
        });
        let first = *seen.entry(key).or_insert(start);
        canonical.extend(first..first + (end - start));
    }
    canonical
}

fn table_type(ty: &wasmparser::TableType) -> Result<TableType> {
    // wasmparser's memory64 feature takes tables addressed with `i64` too; kite's tables are
    // 32-bit so far.
    if ty.table64 {
        return Err(CompileError::Unsupported("tables addressed with i64 (table64)".into()));
    }
    Ok(TableType { element: ref_type(ty.element_type)?, limits: Limits { min: ty.initial, max: ty.maximum } })
}

fn memory_type(ty: &wasmparser::MemoryType) -> MemoryType {
    MemoryType { limits: Limits { min: ty.initial, max: ty.maximum }, memory64: ty.memory64 }
}

fn global_type(ty: &wasmparser::GlobalType) -> Result<GlobalType> {
    Ok(GlobalType { content: val_type(ty.content_type)?, mutable: ty.mutable })
}

fn element_segment(element: wasmparser::Element<'_>) -> Result<ElementSegment> {
    let mode = match element.kind {
        wasmparser::ElementKind::Passive => SegmentMode::Passive,
        wasmparser::ElementKind::Declared => SegmentMode::Declared,
        wasmparser::ElementKind::Active { table_index, offset_expr } => {
            SegmentMode::Active { target: table_index.unwrap_or(0), offset: const_expr(&offset_expr)? }
        }
    };
    let (ty, items) = match element.items {
        wasmparser::ElementItems::Functions(funcs) => {
            let items = funcs
                .into_iter()
                .map(|f| Ok(ConstExpr(vec![ConstOp::RefFunc(f?)])))
                .collect::<Result<_>>()?;
            (ValType::FUNCREF, items)
        }
        wasmparser::ElementItems::Expressions(ty, exprs) => {
            let items = exprs.into_iter().map(|e| const_expr(&e?)).collect::<Result<_>>()?;
            (ref_type(ty)?, items)
        }
    };
    Ok(ElementSegment { mode, ty, items })
}

fn const_expr(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
    use wasmparser::Operator as O;
    let mut ops = Vec::new();
    let mut reader = expr.get_operators_reader();
    while !reader.eof() {
        ops.push(match reader.read()? {
            O::I32Const { value } => ConstOp::I32(value),
            O::I64Const { value } => ConstOp::I64(value),
            O::F32Const { value } => ConstOp::F32(value.bits()),
            O::F64Const { value } => ConstOp::F64(value.bits()),
            O::V128Const { value } => ConstOp::V128(value.i128() as u128),
            O::RefNull { .. } => ConstOp::RefNull,
            O::RefFunc { function_index } => ConstOp::RefFunc(function_index),
            O::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
            O::I32Add => ConstOp::I32Add,
            O::I32Sub => ConstOp::I32Sub,
            O::I32Mul => ConstOp::I32Mul,
            O::I64Add => ConstOp::I64Add,
            O::I64Sub => ConstOp::I64Sub,
            O::I64Mul => ConstOp::I64Mul,
            O::End => break,
            other => {
                return Err(CompileError::Unsupported(format!("constant operator {other:?}")));
            }
        });
    }
    Ok(ConstExpr(ops))
}

/// Marks the functions whose references can escape: exported, in element segments, or named by
/// `ref.func` in a constant expression. (Body `ref.func`s must name a declared function, so they
/// are covered by the element segments.)
fn mark_escaping(info: &mut ModuleInfo) {
    let mark = |expr: &ConstExpr, escaping: &mut Vec<bool>| {
        for op in &expr.0 {
            if let ConstOp::RefFunc(f) = op {
                escaping[*f as usize] = true;
            }
        }
    };
    let mut escaping = std::mem::take(&mut info.escaping_funcs);
    for (_, index) in &info.exports {
        if let EntityIndex::Func(f) = index {
            escaping[*f as usize] = true;
        }
    }
    for segment in &info.elements {
        segment.items.iter().for_each(|e| mark(e, &mut escaping));
    }
    info.global_inits.iter().for_each(|e| mark(e, &mut escaping));
    info.table_inits.iter().for_each(|e| mark(e, &mut escaping));
    info.escaping_funcs = escaping;
}
