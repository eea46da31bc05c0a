//! `typed_dispatch IN OUT`: rewrites a tail-calling interpreter that dispatches with
//! `return_call_indirect` through a `funcref` table into one that dispatches with
//! `return_call_ref` through the same table typed `(ref null $handler)`, `$handler` being the
//! handlers' function type. `benches/programs/build.sh` makes `wasm/tailvm_ref.wasm` from
//! `wasm/tailvm.wasm` with it, because clang cannot emit `return_call_ref`.
//!
//! It owns the rewrite and its preconditions, nothing else: every other section is copied as it
//! is (wasm-encoder's `reencode`), so the two modules differ only in the dispatch.
//!
//! - `$handler` and the table are those of the module's `return_call_indirect`s; they must all
//!   name the same type and table.
//! - The table is retyped in place, which is correct only if it can hold nothing but handlers:
//!   it must be defined in the module and not exported, every element segment for it active with
//!   only functions of type `$handler` (written as `ref.func` expressions typed
//!   `(ref null $handler)`), and no instruction but the dispatches may name it. A table that mixes
//!   types (as clang's does when other functions are address-taken) would need a second, typed
//!   table holding only the handlers; tailvm's does not, so the tool refuses such a module rather
//!   than carry a path nothing exercises.
//! - `return_call_indirect (type $handler)` becomes `table.get` + `return_call_ref $handler`,
//!   `call_indirect (type $handler)` becomes `table.get` + `call_ref $handler`. For a correct
//!   program this traps alike: out of bounds in `table.get`, on null in the call; a signature
//!   mismatch cannot happen in a table that holds only handlers.
//!
//! The result is validated with wasmparser (WebAssembly 2.0, tail calls, function references).

use anyhow::{Context, Result, bail, ensure};
use std::collections::BTreeSet;
use wasm_encoder::reencode::{self, Reencode};
use wasmparser::{
    ElementItems, ElementKind, ExternalKind, Operator, Parser, Payload, TableInit, TypeRef, WasmFeatures,
};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        bail!("usage: typed_dispatch IN.wasm OUT.wasm");
    };
    let bytes = std::fs::read(input).with_context(|| format!("reading {input}"))?;
    let plan = Plan::of(&bytes).with_context(|| input.clone())?;
    let mut rewriter = Rewriter { plan, tables_seen: 0, dispatches: 0, calls: 0 };
    let mut module = wasm_encoder::Module::new();
    rewriter
        .parse_core_module(&mut module, Parser::new(0), &bytes)
        .map_err(anyhow_error)
        .context("rewriting")?;
    let out = module.finish();
    let features = WasmFeatures::WASM2 | WasmFeatures::TAIL_CALL | WasmFeatures::FUNCTION_REFERENCES;
    wasmparser::Validator::new_with_features(features)
        .validate_all(&out)
        .context("the rewritten module does not validate")?;
    std::fs::write(output, &out).with_context(|| format!("writing {output}"))?;
    eprintln!(
        "typed_dispatch: {output}: table {} typed (ref null {}), {} return_call_indirect -> return_call_ref, \
         {} call_indirect -> call_ref",
        rewriter.plan.table, rewriter.plan.handler, rewriter.dispatches, rewriter.calls
    );
    Ok(())
}

/// The reencoder's error with its cause (its `Display` drops a parse error's message).
fn anyhow_error(error: reencode::Error<anyhow::Error>) -> anyhow::Error {
    match error {
        reencode::Error::ParseError(e) => e.into(),
        reencode::Error::UserError(e) => e,
        other => anyhow::anyhow!("{other}"),
    }
}

/// What the rewrite changes, found (and its preconditions checked) in a first pass.
struct Plan {
    /// The handlers' type index.
    handler: u32,
    /// The dispatch table's index (imported tables first).
    table: u32,
    /// Tables imported: the first defined table's index.
    imported_tables: u32,
}

impl Plan {
    fn of(bytes: &[u8]) -> Result<Plan> {
        let mut func_types: Vec<u32> = Vec::new();
        let mut imported_tables = 0;
        let mut exported_tables = BTreeSet::new();
        // (type, table) of every return_call_indirect and call_indirect.
        let mut dispatches = BTreeSet::new();
        let mut calls = BTreeSet::new();
        // Tables named by any other instruction, and the element segments by table.
        let mut other_uses = BTreeSet::new();
        // Active element segments: their table, and their functions (None for expressions).
        let mut segments: Vec<(u32, Option<Vec<u32>>)> = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload? {
                Payload::ImportSection(imports) => {
                    for import in imports.into_imports() {
                        match import?.ty {
                            TypeRef::Func(t) => func_types.push(t),
                            TypeRef::Table(_) => imported_tables += 1,
                            _ => {}
                        }
                    }
                }
                Payload::FunctionSection(functions) => {
                    for t in functions {
                        func_types.push(t?);
                    }
                }
                Payload::ExportSection(exports) => {
                    for export in exports {
                        let export = export?;
                        if export.kind == ExternalKind::Table {
                            exported_tables.insert(export.index);
                        }
                    }
                }
                Payload::ElementSection(elements) => {
                    for element in elements {
                        let element = element?;
                        // A passive segment can reach a table only through table.init, which
                        // other_uses catches.
                        let ElementKind::Active { table_index, .. } = element.kind else { continue };
                        let funcs = match element.items {
                            ElementItems::Functions(funcs) => {
                                Some(funcs.into_iter().collect::<Result<_, _>>()?)
                            }
                            ElementItems::Expressions(..) => None,
                        };
                        segments.push((table_index.unwrap_or(0), funcs));
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    for op in body.get_operators_reader()? {
                        match op? {
                            Operator::ReturnCallIndirect { type_index, table_index } => {
                                dispatches.insert((type_index, table_index));
                            }
                            Operator::CallIndirect { type_index, table_index } => {
                                calls.insert((type_index, table_index));
                            }
                            Operator::TableGet { table }
                            | Operator::TableSet { table }
                            | Operator::TableGrow { table }
                            | Operator::TableSize { table }
                            | Operator::TableFill { table }
                            | Operator::TableInit { table, .. } => {
                                other_uses.insert(table);
                            }
                            Operator::TableCopy { dst_table, src_table } => {
                                other_uses.extend([dst_table, src_table]);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let (handler, table) = match dispatches.iter().collect::<Vec<_>>().as_slice() {
            [one] => **one,
            [] => bail!("no return_call_indirect: nothing dispatches"),
            many => bail!(
                "return_call_indirect with several (type, table) pairs {many:?}: which is the handlers'?"
            ),
        };
        ensure!(
            table >= imported_tables,
            "table {table} is imported: its type is not the module's to change"
        );
        ensure!(
            !exported_tables.contains(&table),
            "table {table} is exported: the host could store anything in it"
        );
        ensure!(
            !other_uses.contains(&table),
            "table {table} is used by table instructions besides the dispatch"
        );
        if let Some((t, _)) = calls.iter().find(|(ty, tab)| *tab == table && *ty != handler) {
            bail!("call_indirect of type {t} through the handlers' table {table}: it mixes types");
        }
        for (segment_table, funcs) in &segments {
            if *segment_table != table {
                continue;
            }
            // Expressions may be anything (null, a global): not what clang writes.
            let Some(funcs) = funcs else {
                bail!(
                    "an element segment of expressions for table {table}: only function indices are handled"
                )
            };
            if let Some(f) = funcs.iter().find(|&&f| func_types.get(f as usize) != Some(&handler)) {
                bail!(
                    "function {f} in table {table} is not of the handlers' type {handler}: the table mixes types \
                     and would need a second, typed table of the handlers"
                );
            }
        }
        Ok(Plan { handler, table, imported_tables })
    }

    /// `(ref null $handler)`, the table's new element type.
    fn element_type(&self) -> wasm_encoder::RefType {
        wasm_encoder::RefType { nullable: true, heap_type: wasm_encoder::HeapType::Concrete(self.handler) }
    }
}

/// The second pass: wasm-encoder's reencoding, with the table, its segments and the dispatches
/// changed.
struct Rewriter {
    plan: Plan,
    /// Defined tables reencoded so far.
    tables_seen: u32,
    /// Rewritten `return_call_indirect`s and `call_indirect`s.
    dispatches: usize,
    calls: usize,
}

impl Reencode for Rewriter {
    type Error = anyhow::Error;

    fn parse_table(
        &mut self,
        tables: &mut wasm_encoder::TableSection,
        table: wasmparser::Table<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        let index = self.plan.imported_tables + self.tables_seen;
        self.tables_seen += 1;
        if index != self.plan.table {
            return reencode::utils::parse_table(self, tables, table);
        }
        if !matches!(table.init, TableInit::RefNull) {
            return Err(reencode::Error::UserError(anyhow::anyhow!(
                "table {index} has an initializer: only a table of nulls is handled"
            )));
        }
        let mut ty = self.table_type(table.ty)?;
        ty.element_type = self.plan.element_type();
        tables.table(ty);
        Ok(())
    }

    fn parse_element(
        &mut self,
        elements: &mut wasm_encoder::ElementSection,
        element: wasmparser::Element<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        let ElementKind::Active { table_index, offset_expr } = &element.kind else {
            return reencode::utils::parse_element(self, elements, element);
        };
        let table = table_index.unwrap_or(0);
        if table != self.plan.table {
            return reencode::utils::parse_element(self, elements, element);
        }
        // Plan::of accepted only function indices here, all of the handlers' type.
        let ElementItems::Functions(funcs) = element.items else { unreachable!("checked by Plan::of") };
        let mut exprs = Vec::new();
        for f in funcs {
            exprs.push(wasm_encoder::ConstExpr::ref_func(self.function_index(f?)?));
        }
        let offset = self.const_expr(offset_expr.clone())?;
        elements.active(
            Some(table),
            &offset,
            wasm_encoder::Elements::Expressions(self.plan.element_type(), exprs.into()),
        );
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        body: wasmparser::FunctionBody<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        let mut f = self.new_function_with_parsed_locals(&body)?;
        let (handler, table) = (self.plan.handler, self.plan.table);
        for op in body.get_operators_reader()? {
            match op? {
                Operator::ReturnCallIndirect { type_index, table_index }
                    if type_index == handler && table_index == table =>
                {
                    f.instruction(&wasm_encoder::Instruction::TableGet(table));
                    f.instruction(&wasm_encoder::Instruction::ReturnCallRef(handler));
                    self.dispatches += 1;
                }
                Operator::CallIndirect { type_index, table_index }
                    if type_index == handler && table_index == table =>
                {
                    f.instruction(&wasm_encoder::Instruction::TableGet(table));
                    f.instruction(&wasm_encoder::Instruction::CallRef(handler));
                    self.calls += 1;
                }
                op => {
                    f.instruction(&self.instruction(op)?);
                }
            }
        }
        code.function(&f);
        Ok(())
    }
}
