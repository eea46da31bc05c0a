//! Errors of parsing, validating, translating and compiling a module.

/// Why a module could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The bytes are not a valid module (malformed or invalid); wasmparser's message names the
    /// byte offset. Transparent: with `{0}` as its message and `from` as its source, an
    /// error chain would print wasmparser's message twice.
    #[error(transparent)]
    Wasm(#[from] wasmparser::BinaryReaderError),
    #[error("unsupported feature: {0}")]
    Unsupported(String),
    #[error("unsupported feature: {what} (at offset {offset:#x})")]
    UnsupportedAt { what: String, offset: usize },
    #[error("code generation failed in {func}: {message}")]
    Codegen { func: String, message: String },
    #[error("{0}")]
    Target(String),
}

impl CompileError {
    /// Attaches the byte offset of the operator being translated.
    pub fn at(self, offset: usize) -> Self {
        match self {
            CompileError::Unsupported(what) => CompileError::UnsupportedAt { what, offset },
            other => other,
        }
    }
}

pub type Result<T, E = CompileError> = std::result::Result<T, E>;
