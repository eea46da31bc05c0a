//! The contract between generated code and the runtime: the layout of an instance's context
//! (`VMContext`), of the records it points to, and the runtime functions ("builtins") that
//! generated code calls.
//!
//! This is defined once, here. The runtime lays out its `#[repr(C)]` structs to match and checks
//! them against these offsets with `offset_of!` tests; the frontend never depends on the runtime.
//!
//! A `VMContext` is one allocation per instance:
//!
//! | offset | what |
//! |---|---|
//! | 0 | `*mut VMStoreContext` (stack limit) |
//! | 8 | `*const [fn; Builtin::COUNT]` |
//! | 16 | the runtime's instance pointer (opaque here) |
//! | 24 | `[u32; types]`: engine-wide id of each type index, for signature checks |
//! | ... | `[*mut u8; memories]`: the base of each memory (it never moves) |
//! | ... | `[*mut VMMemoryDefinition; memories]` |
//! | ... | `[*mut VMTableDefinition; tables]` |
//! | ... | `[*const VMTag; tags]`: a tag's identity, the same for its importers |
//! | ... | `[*mut u128; imported globals]` |
//! | ... | `[u128; defined globals]`, 16-byte aligned: a global's value, any type, in its low bytes |
//! | ... | `[VMFuncRef; functions]`: code, context and type id of every function |
//! | ... | `[*const *const u8; dispatch arrays]`: code pointers of a static table, per type |
//! | ... | `[VMGroup; fused groups]`: where each group's code is now, and its profile |
//!
//! Memories and tables are always reached through a pointer, defined or imported alike: their
//! definitions live in the store, where importers and the embedder find them too. Hot paths do
//! not pay for it: a memory's base never changes, so it is loaded once per function.

use crate::module::ModuleInfo;
use cranelift_codegen::ir::{Type, types};
use serde::{Deserialize, Serialize};

pub const VMCTX_STORE_CONTEXT: u32 = 0;
/// The bytes of one global's value, defined or imported (a `u128`: large enough for `v128`).
pub const GLOBAL_SIZE: u32 = 16;
pub const VMCTX_BUILTINS: u32 = 8;
pub const VMCTX_INSTANCE: u32 = 16;
const VMCTX_TYPE_IDS: u32 = 24;

/// `VMStoreContext`: per-store state that every instance of the store shares.
pub mod store_context {
    /// The lowest address the stack pointer may reach in Wasm code, or, once an epoch deadline
    /// has come, 2^63: above every stack, and the only limit with its sign bit set (see
    /// `translate::interrupts`).
    pub const STACK_LIMIT: u32 = 0;
    /// Fuel consumed, counted up from minus the fuel left (`i64`): the guest is out of fuel
    /// when it is above zero (see `translate::interrupts`).
    pub const FUEL_CONSUMED: u32 = 8;
    /// The epoch at which the guest is interrupted (`u64`).
    pub const EPOCH_DEADLINE: u32 = 16;
    /// Address of the engine's current epoch (`u64`, only ever increased).
    pub const EPOCH_COUNTER: u32 = 24;
    /// The exception being thrown (an exception object, see [`super::exception`]): the runtime
    /// leaves it here before it resumes at a handler, whose landing code reads it.
    pub const PENDING_EXCEPTION: u32 = 32;
    /// The part generated code knows of; the runtime's own fields follow.
    pub const SIZE: u32 = 40;
}

/// `VMFuncRef`: what a `funcref` points to, and what an import slot holds.
pub mod funcref {
    pub const CODE: u32 = 0;
    pub const VMCTX: u32 = 8;
    pub const TYPE_ID: u32 = 16;
    pub const SIZE: u32 = 24;
}

/// `VMMemoryDefinition`: a linear memory's base (fixed for its lifetime) and current byte length.
pub mod memory_definition {
    pub const BASE: u32 = 0;
    pub const LENGTH: u32 = 8;
    pub const SIZE: u32 = 16;
}

/// `VMTableDefinition`: a table's elements (64-bit raw references) and current length.
pub mod table_definition {
    pub const BASE: u32 = 0;
    pub const LENGTH: u32 = 8;
    pub const SIZE: u32 = 16;
}

/// An exception object, what an `exnref` points to: the identity of its tag (the address of the
/// `VMTag` the `VMContext`'s tag slots hold), then its values, one [`VALUE`]-byte slot each (the
/// value in the low bytes), in the order of the tag's parameters.
pub mod exception {
    pub const TAG: u32 = 0;
    pub const VALUES: u32 = 16;
    pub const VALUE: u32 = 16;
}

/// `VMGroup`: one fused group's state in an instance. Entry stubs jump to `CODE`, which tiering
/// moves from the first, profiling, compilation to the recompiled one. Profiling code counts
/// down `COUNTDOWN` at each indirect tail call and calls `Builtin::TierUp` when it reaches zero;
/// `COUNTERS` points to the counts of (site, element) the recompilation reads.
pub mod group {
    pub const CODE: u32 = 0;
    pub const COUNTDOWN: u32 = 8;
    pub const COUNTERS: u32 = 16;
    pub const SIZE: u32 = 24;
}

/// The layout of one module's `VMContext`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VMOffsets {
    memory_bases: u32,
    memories: u32,
    tables: u32,
    tags: u32,
    imported_globals: u32,
    defined_globals: u32,
    funcrefs: u32,
    /// Where each dispatch array starts.
    dispatch_arrays: Vec<u32>,
    groups: u32,
    size: u32,
    num_imported_globals: u32,
}

impl VMOffsets {
    /// `dispatch_array_lens`: the number of entries of each dispatch array (see `facts`).
    pub fn new(info: &ModuleInfo, dispatch_array_lens: &[u32], num_groups: u32) -> Self {
        let align8 = |x: u32| (x + 7) & !7;
        let num_types = info.types.len() as u32;
        let imp_glob = info.num_imported_globals;
        let def_glob = info.globals.len() as u32 - imp_glob;
        let memory_bases = align8(VMCTX_TYPE_IDS + 4 * num_types);
        let memories = memory_bases + 8 * info.memories.len() as u32;
        let tables = memories + 8 * info.memories.len() as u32;
        let tags = tables + 8 * info.tables.len() as u32;
        let imported_globals = tags + 8 * info.tags.len() as u32;
        // 16 bytes a global, so that a `v128` fits; the `VMContext` is 16-byte aligned.
        let defined_globals = (imported_globals + 8 * imp_glob + 15) & !15;
        let funcrefs = defined_globals + GLOBAL_SIZE * def_glob;
        let mut next = funcrefs + funcref::SIZE * info.funcs.len() as u32;
        let dispatch_arrays: Vec<u32> = dispatch_array_lens
            .iter()
            .map(|len| {
                let start = next;
                next += 8 * len;
                start
            })
            .collect();
        let groups = next;
        let size = groups + group::SIZE * num_groups;
        VMOffsets {
            memory_bases,
            memories,
            tables,
            tags,
            imported_globals,
            defined_globals,
            funcrefs,
            dispatch_arrays,
            groups,
            size,
            num_imported_globals: imp_glob,
        }
    }

    pub fn size(&self) -> u32 {
        self.size
    }

    pub fn type_id(&self, type_index: u32) -> u32 {
        VMCTX_TYPE_IDS + 4 * type_index
    }

    /// The slot holding memory `index`'s base address.
    pub fn memory_base(&self, index: u32) -> u32 {
        self.memory_bases + 8 * index
    }

    /// The slot holding a pointer to memory `index`'s `VMMemoryDefinition`.
    pub fn memory(&self, index: u32) -> u32 {
        self.memories + 8 * index
    }

    /// The slot holding a pointer to table `index`'s `VMTableDefinition`.
    pub fn table(&self, index: u32) -> u32 {
        self.tables + 8 * index
    }

    /// The slot holding tag `index`'s identity (a pointer to its `VMTag`).
    pub fn tag(&self, index: u32) -> u32 {
        self.tags + 8 * index
    }

    /// Where global `index` is: `Ok(offset of its value)` if defined here, `Err(offset of the
    /// pointer to it)` if imported.
    pub fn global(&self, index: u32) -> Result<u32, u32> {
        if index < self.num_imported_globals {
            Err(self.imported_globals + 8 * index)
        } else {
            Ok(self.defined_globals + GLOBAL_SIZE * (index - self.num_imported_globals))
        }
    }

    pub fn funcref(&self, func: u32) -> u32 {
        self.funcrefs + funcref::SIZE * func
    }

    /// The first entry of dispatch array `index` (see `facts::ModuleFacts`): the arrays lie
    /// inside the `VMContext`, so a static dispatch loads its code pointer at a fixed offset
    /// from the context, with no load of the array's address first.
    pub fn dispatch_array(&self, index: u32) -> u32 {
        self.dispatch_arrays[index as usize]
    }

    /// Fused group `index`'s `VMGroup`.
    pub fn group(&self, index: u32) -> u32 {
        self.groups + group::SIZE * index
    }
}

/// Runtime functions called from generated code, through the table at `VMCTX_BUILTINS`.
/// All take the caller's `VMContext` first and use the platform's C convention. Those that can
/// fail return a nonzero status, on which generated code traps with the builtin's trap kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `(mem, delta) -> old pages or -1`
    MemoryGrow,
    /// `(mem, dst, value, len) -> status`
    MemoryFill,
    /// `(dst_mem, src_mem, dst, src, len) -> status`
    MemoryCopy,
    /// `(mem, segment, dst, src, len) -> status`
    MemoryInit,
    /// `(segment)`
    DataDrop,
    /// `(table, init, delta) -> old size or -1`
    TableGrow,
    /// `(table, dst, value, len) -> status`
    TableFill,
    /// `(dst_table, src_table, dst, src, len) -> status`
    TableCopy,
    /// `(table, segment, dst, src, len) -> status`
    TableInit,
    /// `(segment)`
    ElemDrop,
    /// `(group)`: recompiles fused group `group` from its profile (see `group`).
    TierUp,
    /// `(actual type id, expected type id) -> 1 if actual is expected or a subtype of it, else 0`
    IsSubtype,
    /// `(tag) -> exception`: a new exception object of tag `tag`, its values left for the
    /// caller to store (see `exception`).
    NewException,
    /// `(exception, frame pointer)`: throws `exception` from the frame whose frame pointer is
    /// given to the handlers of its callers; never returns. (A handler in the throwing frame
    /// itself is reached by a jump, never through the runtime.)
    Throw,
}

impl Builtin {
    pub const COUNT: usize = 14;
    pub const ALL: [Builtin; Builtin::COUNT] = [
        Builtin::MemoryGrow,
        Builtin::MemoryFill,
        Builtin::MemoryCopy,
        Builtin::MemoryInit,
        Builtin::DataDrop,
        Builtin::TableGrow,
        Builtin::TableFill,
        Builtin::TableCopy,
        Builtin::TableInit,
        Builtin::ElemDrop,
        Builtin::TierUp,
        Builtin::IsSubtype,
        Builtin::NewException,
        Builtin::Throw,
    ];

    pub fn index(self) -> usize {
        Builtin::ALL.iter().position(|b| *b == self).expect("listed")
    }

    /// Parameter types after the leading `VMContext` pointer.
    pub fn params(self) -> &'static [Type] {
        use types::{I32, I64};
        match self {
            // Addresses and lengths are `i64` for every memory (zero-extended from a 32-bit
            // memory's `i32`): one builtin serves both address types.
            Builtin::MemoryGrow => &[I32, I64],
            Builtin::MemoryFill => &[I32, I64, I32, I64],
            Builtin::MemoryCopy | Builtin::MemoryInit => &[I32, I32, I64, I64, I64],
            Builtin::DataDrop | Builtin::ElemDrop | Builtin::TierUp => &[I32],
            Builtin::TableGrow => &[I32, I64, I32],
            Builtin::TableFill => &[I32, I32, I64, I32],
            Builtin::TableCopy | Builtin::TableInit => &[I32, I32, I32, I32, I32],
            Builtin::IsSubtype => &[I32, I32],
            Builtin::NewException => &[I32],
            Builtin::Throw => &[I64, I64],
        }
    }

    /// The result's type, if any: `memory.grow`'s old size (or -1), a status, or a value.
    pub fn result(self) -> Option<Type> {
        match self {
            Builtin::DataDrop | Builtin::ElemDrop | Builtin::TierUp | Builtin::Throw => None,
            Builtin::MemoryGrow | Builtin::NewException => Some(types::I64),
            _ => Some(types::I32),
        }
    }
}
