//! Disassembly of generated code with capstone, for x86-64 or AArch64 whatever the host.

use anyhow::{Result, anyhow};
use capstone::Capstone;
use capstone::arch::{self, BuildsCapstone, BuildsCapstoneSyntax};
use kite_frontend::Target;

pub fn disassembler(target: Target) -> Result<Capstone> {
    let target = match target {
        Target::Host if cfg!(target_arch = "aarch64") => Target::Aarch64,
        Target::Host => Target::X86_64,
        other => other,
    };
    let cs = match target {
        Target::Aarch64 => Capstone::new().arm64().mode(arch::arm64::ArchMode::Arm).build(),
        _ => {
            Capstone::new().x86().mode(arch::x86::ArchMode::Mode64).syntax(arch::x86::ArchSyntax::Att).build()
        }
    };
    cs.map_err(|e| anyhow!("disassembler: {e}"))
}

/// One line per instruction: offset, mnemonic, operands.
pub fn disassemble(cs: &Capstone, code: &[u8]) -> Result<String> {
    let insns = cs.disasm_all(code, 0).map_err(|e| anyhow!("disassembler: {e}"))?;
    let mut out = String::new();
    for insn in insns.iter() {
        let mnemonic = insn.mnemonic().unwrap_or("?");
        let operands = insn.op_str().unwrap_or("");
        out.push_str(&format!("  {:4x}:  {mnemonic:<7} {operands}\n", insn.address()));
    }
    Ok(out)
}
