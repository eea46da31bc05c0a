//! Serde for the Cranelift types a compiled module holds: relocation kinds and libcalls.
//!
//! Each is mapped to an enum of kite's own, listing only what kite's code contains and the
//! runtime can resolve, so that a saved module does not depend on the order of Cranelift's
//! variants, and a kind kite never produced cannot be read back.

use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::LibCall;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Generates an enum of kite's own mirroring some of a Cranelift enum's variants, and the
/// `serialize`/`deserialize` functions of a module for `#[serde(with = ...)]`.
macro_rules! mirror {
    ($module:ident, $cranelift:ident, $what:literal, [$($variant:ident),* $(,)?]) => {
        pub mod $module {
            use super::*;

            #[derive(Serialize, Deserialize)]
            enum Saved {
                $($variant),*
            }

            pub fn serialize<S: Serializer>(value: &$cranelift, serializer: S) -> Result<S::Ok, S::Error> {
                let saved = match value {
                    $($cranelift::$variant => Saved::$variant,)*
                    #[allow(unreachable_patterns)]
                    other => {
                        return Err(serde::ser::Error::custom(format!(
                            concat!("cannot save ", $what, " {:?}"),
                            other
                        )))
                    }
                };
                saved.serialize(serializer)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<$cranelift, D::Error> {
                Ok(match Saved::deserialize(deserializer)? {
                    $(Saved::$variant => $cranelift::$variant),*
                })
            }
        }
    };
}

// The relocations `code_memory` in the runtime applies.
mirror!(reloc, Reloc, "relocation", [Abs8, X86CallPCRel4, X86CallPLTRel4, X86PCRel4, Arm64Call]);

// The helpers the runtime provides for instructions a target lacks.
mirror!(
    libcall,
    LibCall,
    "libcall",
    [FloorF32, FloorF64, CeilF32, CeilF64, TruncF32, TruncF64, NearestF32, NearestF64, FmaF32, FmaF64]
);
