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
    disassemble_at(cs, code, 0)
}

/// As [`disassemble`], for code that starts `offset` bytes into a function.
///
/// Cranelift places a `br_table`'s jump table (4-byte offsets) right after its indirect jump;
/// decoded as instructions it would be noise, so it is shown as one line. The table is found
/// from the sequence that reads it: its address from the `lea`/`adr` just before the entry
/// load, its length from the bound the index was clamped to (entries, plus the default).
pub fn disassemble_at(cs: &Capstone, code: &[u8], offset: u32) -> Result<String> {
    let mut out = String::new();
    let mut pos = 0usize;
    let mut bound: Option<u64> = None;
    let mut table: Option<(u64, u64)> = None;
    let mut previous: Option<(String, String, u64)> = None;
    while pos < code.len() {
        let address = u64::from(offset) + pos as u64;
        if let Some((start, entries)) = table
            && start == address
        {
            let len = (entries * 4) as usize;
            out.push_str(&format!("  {address:4x}:  .jump_table {entries} entries\n"));
            pos += len.min(code.len() - pos);
            table = None;
            continue;
        }
        let insns = cs.disasm_count(&code[pos..], address, 1).map_err(|e| anyhow!("disassembler: {e}"))?;
        let Some(insn) = insns.iter().next() else {
            out.push_str(&format!("  {address:4x}:  .byte {:#04x}\n", code[pos]));
            pos += 1;
            continue;
        };
        let mnemonic = insn.mnemonic().unwrap_or("?").to_string();
        let operands = insn.op_str().unwrap_or("").to_string();
        out.push_str(&format!("  {:4x}:  {mnemonic:<7} {operands}\n", insn.address()));
        if let Some(k) = clamp_bound(&mnemonic, &operands) {
            bound = Some(k);
        }
        if let (Some((m, o, end)), Some(k)) = (&previous, bound)
            && (mnemonic == "movslq" || mnemonic == "ldrsw")
            && let Some(start) = table_address(m, o, *end)
        {
            table = Some((start, k + 1));
        }
        pos += insn.bytes().len();
        previous = Some((mnemonic, operands, u64::from(offset) + pos as u64));
    }
    Ok(out)
}

/// The bound a `br_table` index is compared with: `movl $K, %reg` (x86-64) or `cmp wN, #K`.
fn clamp_bound(mnemonic: &str, operands: &str) -> Option<u64> {
    let imm = match mnemonic {
        "movl" => operands.strip_prefix('$')?.split(',').next()?,
        "cmp" => operands.split(", #").nth(1)?,
        _ => return None,
    };
    match imm.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => imm.parse().ok(),
    }
}

/// Where a `leaq D(%rip), %reg` (x86-64, `end` is the address after it) or `adr xN, #A` points.
fn table_address(mnemonic: &str, operands: &str, end: u64) -> Option<u64> {
    let parse = |s: &str| match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    };
    match mnemonic {
        "leaq" => Some(end + parse(operands.split_once("(%rip)")?.0)?),
        "adr" => parse(operands.split_once(", #")?.1),
        _ => None,
    }
}
