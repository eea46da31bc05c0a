//! Locals (Cranelift variables, so SSA construction is cranelift-frontend's job) and globals
//! (stored in the `VMContext`, or behind a pointer there when imported).

use super::{Region, Translator, invariant};
use crate::error::Result;
use cranelift_codegen::ir::{InstBuilder, Value};
use wasmparser::Operator as O;

pub(super) fn translate(t: &mut Translator<'_, '_>, op: &O<'_>) -> Result<bool> {
    match op {
        O::LocalGet { local_index } => {
            let v = t.b.use_var(t.locals[*local_index as usize].0);
            t.push(v);
        }
        O::LocalSet { local_index } => {
            let v = t.pop();
            t.b.def_var(t.locals[*local_index as usize].0, v);
        }
        O::LocalTee { local_index } => {
            let v = *t.stack.last().expect("validated");
            t.b.def_var(t.locals[*local_index as usize].0, v);
        }
        O::GlobalGet { global_index } => {
            let ty = t.env.info.globals[*global_index as usize];
            let (addr, offset) = global_address(t, *global_index);
            // Immutable globals are set once at instantiation.
            let flags = if ty.mutable { t.trusted_in(Region::Globals) } else { invariant() };
            let v = t.ins().load(ty.content.clif(), flags, addr, offset);
            t.push(v);
        }
        O::GlobalSet { global_index } => {
            let v = t.pop();
            let (addr, offset) = global_address(t, *global_index);
            let flags = t.trusted_in(Region::Globals);
            t.ins().store(flags, v, addr, offset);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Base and offset of global `index`'s value.
fn global_address(t: &mut Translator<'_, '_>, index: u32) -> (Value, i32) {
    match t.env.offsets.global(index) {
        Ok(offset) => (t.vmctx, offset as i32),
        Err(slot) => {
            let ptr = t.pointer_type();
            let vmctx = t.vmctx;
            let addr = t.ins().load(ptr, invariant(), vmctx, slot as i32);
            (addr, 0)
        }
    }
}
