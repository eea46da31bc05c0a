//! The `spectest` host module every spec script may import.

use anyhow::Result;
use kite_runtime::{
    FuncType, Global, GlobalType, Limits, Linker, Memory, MemoryType, Store, Table, TableType, Val, ValType,
};

pub fn define(store: &mut Store<()>, linker: &mut Linker<()>) -> Result<()> {
    use ValType::{F32, F64, I32, I64};
    let prints: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[I32]),
        ("print_i64", &[I64]),
        ("print_f32", &[F32]),
        ("print_f64", &[F64]),
        ("print_i32_f32", &[I32, F32]),
        ("print_f64_f64", &[F64, F64]),
    ];
    for (name, params) in prints {
        linker.func_new("spectest", name, FuncType::new(params.iter().copied(), []), |_, _, _| Ok(()));
    }
    let globals = [
        ("global_i32", I32, Val::I32(666)),
        ("global_i64", I64, Val::I64(666)),
        ("global_f32", F32, Val::from(666.6f32)),
        ("global_f64", F64, Val::from(666.6f64)),
    ];
    for (name, ty, value) in globals {
        let global = Global::new(&mut *store, GlobalType { content: ty, mutable: false }, value)?;
        linker.define("spectest", name, global);
    }
    let table_ty = TableType { element: ValType::FUNCREF, limits: Limits { min: 10, max: Some(20) } };
    let table = Table::new(&mut *store, table_ty, Val::FuncRef(None))?;
    linker.define("spectest", "table", table);
    let memory = Memory::new(&mut *store, MemoryType::new(Limits { min: 1, max: Some(2) }))?;
    linker.define("spectest", "memory", memory);
    Ok(())
}
