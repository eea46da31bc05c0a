//! Choosing the target machine and Cranelift's settings for it.
//!
//! Settings every convention relies on: frame pointers are kept (Cranelift's x86-64 tail calls
//! require them, and the runtime walks them for backtraces), many results return through an
//! implicit return area, and no probestack (the prologue's stack-limit check covers large frames).

use crate::error::{CompileError, Result};
use cranelift_codegen::isa::{self, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use std::str::FromStr;
use target_lexicon::Triple;

/// The machine code is generated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Target {
    /// This machine, with the CPU features it reports.
    #[default]
    Host,
    X86_64,
    Aarch64,
}

impl FromStr for Target {
    type Err = CompileError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "host" | "native" => Ok(Target::Host),
            "x86_64" | "x86-64" | "x64" => Ok(Target::X86_64),
            "aarch64" | "arm64" => Ok(Target::Aarch64),
            other => Err(CompileError::Target(format!(
                "unknown target `{other}` (expected host, x86_64 or aarch64)"
            ))),
        }
    }
}

/// Cranelift settings that vary per engine.
#[derive(Clone, Copy, Debug, Default)]
pub struct IsaOptions {
    /// Run Cranelift's IR verifier on every function (slower; on in tests).
    pub verify: bool,
    /// Reserve the pinned register (r15 / x21) for the convention that keeps context in it.
    pub pinned_reg: bool,
}

pub fn build_isa(target: Target, options: IsaOptions) -> Result<OwnedTargetIsa> {
    let mut flags = settings::builder();
    let set = |flags: &mut settings::Builder, name: &str, value: &str| {
        flags.set(name, value).map_err(|e| CompileError::Target(format!("setting {name}: {e}")))
    };
    set(&mut flags, "opt_level", "speed")?;
    set(&mut flags, "preserve_frame_pointers", "true")?;
    set(&mut flags, "enable_multi_ret_implicit_sret", "true")?;
    set(&mut flags, "enable_probestack", "false")?;
    set(&mut flags, "unwind_info", "false")?;
    set(&mut flags, "enable_verifier", if options.verify { "true" } else { "false" })?;
    set(&mut flags, "enable_pinned_reg", if options.pinned_reg { "true" } else { "false" })?;
    let flags = settings::Flags::new(flags);
    let builder = match target {
        Target::Host => cranelift_native::builder().map_err(|e| CompileError::Target(e.to_string()))?,
        Target::X86_64 => {
            // SSE4.1 is kite's x86-64 baseline for SIMD (every x86-64 CPU since 2008 has it):
            // without it Cranelift lowers vector rounding and some conversions to calls of
            // libm, which kite's code does not link. The host's builder detects it and more.
            let mut builder = lookup("x86_64-unknown-linux-gnu")?;
            for feature in ["has_sse3", "has_ssse3", "has_sse41"] {
                builder.enable(feature).map_err(|e| CompileError::Target(format!("{feature}: {e}")))?;
            }
            builder
        }
        Target::Aarch64 => lookup("aarch64-unknown-linux-gnu")?,
    };
    builder.finish(flags).map_err(|e| CompileError::Target(e.to_string()))
}

fn lookup(triple: &str) -> Result<isa::Builder> {
    let triple = Triple::from_str(triple).map_err(|e| CompileError::Target(e.to_string()))?;
    isa::lookup(triple).map_err(|e| CompileError::Target(e.to_string()))
}
