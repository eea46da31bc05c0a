//! kite's frontend: WebAssembly in, Cranelift machine code out.
//!
//! It owns parsing and validation ([`module`]), translation of function bodies to Cranelift IR
//! (`translate`, one module per instruction family), the calling conventions ([`cc`]), the
//! contract with the runtime ([`vmctx`], [`trap`]), compilation ([`compile`]) and the
//! recompilation of fused groups on a profile ([`tiering`]).
//! Its tables derive serde's traits, so that the runtime can save a compiled module
//! (`serde_cranelift` encodes the Cranelift types among them).
//!
//! It must never depend on the runtime: it produces code and tables, and the runtime's
//! `#[repr(C)]` structs are checked against [`vmctx`], not the other way round.

pub mod byte_buf;
pub mod cc;
pub mod compile;
pub mod compiled;
pub mod error;
pub mod facts;
pub mod groups;
pub mod isa;
pub mod module;
pub mod plans;
mod serde_cranelift;
pub mod tiering;
pub mod trampoline;
mod translate;
pub mod trap;
pub mod types;
pub mod vmctx;

pub use cc::Convention;
pub use compile::{CompileOptions, compile_module};
pub use compiled::{CodeBlob, CodeSettings, CompiledModule, HandlerSite, RelocTarget, Relocation, TrapSite};
pub use cranelift_codegen::binemit::Reloc;
pub use cranelift_codegen::ir::LibCall;
pub use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
pub use error::CompileError;
pub use isa::{IsaOptions, Target};
pub use module::{ConstExpr, ConstOp, EntityIndex, ModuleInfo, SegmentMode};
pub use translate::interrupts::Interrupts;
pub use trap::TrapKind;
pub use types::{
    CompositeType, FuncType, GlobalType, HeapType, Limits, MemoryType, RefType, SubType, TableType,
    TypeIndex, ValType,
};
