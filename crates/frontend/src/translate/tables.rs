//! Tables and references: `table.get/set/size/grow/fill/copy/init`, `elem.drop`, `ref.null`,
//! `ref.is_null`, `ref.as_non_null`, `ref.func`.
//!
//! Table elements are 64-bit raw references: a `funcref` is a pointer to a `VMFuncRef` (null is
//! 0), an `externref` is the runtime's handle (null is 0). Element access is inline; anything that
//! can resize or bulk-write a table goes through a builtin.

use super::{Region, Translator, readonly};
use crate::error::Result;
use crate::trap::TrapKind;
use crate::vmctx::{Builtin, table_definition};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, Value, types};
use wasmparser::Operator as O;

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> Result<bool> {
    use types::{I32, I64};
    match op {
        O::TableGet { table } => {
            let index = t.pop();
            if let Some((_, type_index)) = t.ref_call_next.take()
                && t.env.cc.static_dispatch()
                && t.env.facts.dispatch_array(*table, type_index, true).is_some()
            {
                // The `call_ref` after this calls through the table's dispatch array by index
                // (`calls::call_ref`), checking the bounds as this would, and never looks at the
                // reference.
                let unread = t.ins().iconst(I64, 0);
                t.push(unread);
                t.table_get = Some((unread, *table, index));
                return Ok(true);
            }
            let entry = element_address(t, *table, index);
            // A table that never changes is read-only to the code.
            let flags = if t.env.facts.immutable_tables[*table as usize] {
                readonly()
            } else {
                t.trusted_in(Region::Tables)
            };
            let v = t.ins().load(I64, flags, entry, 0);
            t.push(v);
        }
        O::TableSet { table } => {
            let (index, value) = t.pop2();
            let entry = element_address(t, *table, index);
            let flags = t.trusted_in(Region::Tables);
            t.ins().store(flags, value, entry, 0);
        }
        O::TableSize { table } => {
            let def = t.table_definition(*table);
            let flags = t.trusted_in(Region::Tables);
            let len = t.ins().load(I64, flags, def, table_definition::LENGTH as i32);
            let v = t.ins().ireduce(I32, len);
            t.push(v);
        }
        O::TableGrow { table } => {
            let (init, delta) = t.pop2();
            let table = t.ins().iconst(I32, i64::from(*table));
            let v = t.call_builtin(Builtin::TableGrow, &[table, init, delta]).expect("returns");
            t.push(v);
        }
        O::TableFill { table } => {
            let (dst, value, len) = t.pop3();
            let table = t.ins().iconst(I32, i64::from(*table));
            checked_builtin(t, Builtin::TableFill, &[table, dst, value, len]);
        }
        O::TableCopy { dst_table, src_table } => {
            let (dst, src, len) = t.pop3();
            let dst_table = t.ins().iconst(I32, i64::from(*dst_table));
            let src_table = t.ins().iconst(I32, i64::from(*src_table));
            checked_builtin(t, Builtin::TableCopy, &[dst_table, src_table, dst, src, len]);
        }
        O::TableInit { elem_index, table } => {
            let (dst, src, len) = t.pop3();
            let table = t.ins().iconst(I32, i64::from(*table));
            let segment = t.ins().iconst(I32, i64::from(*elem_index));
            checked_builtin(t, Builtin::TableInit, &[table, segment, dst, src, len]);
        }
        O::ElemDrop { elem_index } => {
            let segment = t.ins().iconst(I32, i64::from(*elem_index));
            t.call_builtin(Builtin::ElemDrop, &[segment]);
        }
        O::RefNull { .. } => {
            let v = t.ins().iconst(I64, 0);
            t.push(v);
        }
        O::RefIsNull => {
            let r = t.pop();
            let is_null = t.ins().icmp_imm_u(IntCC::Equal, r, 0);
            let v = t.ins().uextend(I32, is_null);
            t.push(v);
        }
        O::RefAsNonNull => {
            let r = t.pop();
            t.ins().trapz(r, TrapKind::NullReference.code());
            t.push(r);
        }
        O::RefFunc { function_index } => {
            let offset = t.env.offsets.funcref(*function_index);
            let vmctx = t.vmctx;
            let v = t.ins().iadd_imm_u(vmctx, i64::from(offset));
            t.push(v);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// The address of element `index` of `table`, trapping if it is out of bounds. A table that
/// never changes (`facts`) has a constant size, and its element array a fixed address.
fn element_address(t: &mut Translator<'_, '_>, table: u32, index: Value) -> Value {
    let ptr = t.pointer_type();
    let def = t.table_definition(table);
    // A table's length and element array change only in builtins: its definition goes with its
    // elements, never with memory or globals.
    let flags = t.trusted_in(Region::Tables);
    let index = t.ins().uextend(types::I64, index);
    let fixed = t.env.facts.immutable_tables[table as usize];
    let out_of_bounds = if fixed {
        let size = t.env.info.tables[table as usize].limits.min;
        t.ins().icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, index, size as i64)
    } else {
        let len = t.ins().load(types::I64, flags, def, table_definition::LENGTH as i32);
        t.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, index, len)
    };
    t.trap_if(out_of_bounds, TrapKind::TableOutOfBounds);
    let elements =
        t.ins().load(ptr, if fixed { readonly() } else { flags }, def, table_definition::BASE as i32);
    let byte_offset = t.ins().ishl_imm_u(index, 3);
    t.ins().iadd(elements, byte_offset)
}

fn checked_builtin(t: &mut Translator<'_, '_>, builtin: Builtin, args: &[Value]) {
    let status = t.call_builtin(builtin, args).expect("returns a status");
    t.trap_if(status, TrapKind::TableOutOfBounds);
}
