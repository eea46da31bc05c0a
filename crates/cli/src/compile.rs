//! `kite compile MODULE -o FILE [--target x86_64|aarch64]`: the compiled module, for `kite run
//! FILE` (or `Module::deserialize`) on a machine of that target, in `kite_runtime::artifact`'s
//! format.
//!
//! `kite compile MODULE --emit clif|asm|vcode [--target x86_64|aarch64] [--func NAME]`: the code
//! kite generates, listed.

use crate::options::CommonOptions;
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use kite_frontend::tiering::GroupTier;
use kite_frontend::{Target, compile_module};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum)]
enum Emit {
    /// Cranelift IR, as kite's frontend produced it.
    Clif,
    /// The machine code, disassembled (calls between functions are not yet relocated).
    Asm,
    /// Cranelift's own listing of its machine instructions after register allocation.
    Vcode,
}

#[derive(Args)]
pub struct CompileCommand {
    #[command(flatten)]
    common: CommonOptions,
    /// What to print.
    #[arg(long, value_enum, required_unless_present = "output", conflicts_with = "output")]
    emit: Option<Emit>,
    /// Write the compiled module to FILE, for `kite run FILE`.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The target architecture: host, x86_64 or aarch64.
    #[arg(long, default_value = "host")]
    target: String,
    /// Only this function (export name, name-section name, or index).
    #[arg(long, value_name = "NAME", requires = "emit")]
    func: Option<String>,
    /// Compile with the epoch checks `kite run --timeout` needs.
    #[arg(long)]
    epochs: bool,
    /// Compile with the fuel accounting `kite run --fuel` needs.
    #[arg(long)]
    fuel: bool,
    /// The module, binary (.wasm) or text (.wat).
    module: PathBuf,
}

impl CompileCommand {
    pub fn execute(self) -> Result<ExitCode> {
        let target: Target = self.target.parse()?;
        let mut config = self.common.config()?;
        config.epoch_interruption(self.epochs).consume_fuel(self.fuel);
        let bytes = std::fs::read(&self.module)
            .with_context(|| format!("cannot read `{}`", self.module.display()))?;
        if let Some(output) = &self.output {
            let saved = kite_runtime::precompile(&config, target, &bytes).map_err(|e| {
                match e.downcast::<wat::Error>() {
                    Ok(mut e) => {
                        e.set_path(&self.module);
                        e.into()
                    }
                    Err(e) => e,
                }
            })?;
            std::fs::write(output, saved).with_context(|| format!("cannot write `{}`", output.display()))?;
            return Ok(ExitCode::SUCCESS);
        }
        let emit = self.emit.context("--emit or -o is required")?;
        let bytes = wat::parse_bytes(&bytes).map_err(|mut e| {
            e.set_path(&self.module);
            e
        })?;
        let mut options = config.compile_options_for(target);
        options.keep_text = true;
        let compiled = compile_module(&bytes, &options)?;
        let info = &compiled.info;
        let cs = crate::disasm::disassembler(target)?;
        let cc = options.convention;
        // Locked and fallible, so that a closed pipe (`kite compile ... | head`) ends the
        // listing as an error `main` recognises, not as a panic in `println!`.
        let mut out = std::io::stdout().lock();
        writeln!(out, ";; convention {}: {}", cc.name(), cc.summary())?;
        let isa = options.build_isa()?;
        for line in module_facts(&compiled, cc, &*isa, options.tier_up) {
            writeln!(out, ";; {line}")?;
        }
        writeln!(out)?;
        let mut shown = 0;
        for f in &compiled.functions {
            let name = info.func_display_name(f.func_index);
            if let Some(wanted) = &self.func {
                let exported = info
                    .exports
                    .iter()
                    .any(|(n, i)| n == wanted && *i == kite_frontend::EntityIndex::Func(f.func_index));
                if *wanted != name && !exported && *wanted != f.func_index.to_string() {
                    continue;
                }
            }
            shown += 1;
            let defined = (f.func_index - info.num_imported_funcs) as usize;
            let stack = match (cc.pinned_context(), compiled.facts.makes_calls[defined]) {
                _ if compiled.groups.group_of.get(defined).is_some_and(Option::is_some) => {
                    "entry stub of a fused group: tail-calls the group function with its selector"
                }
                (false, _) => "stack check in the prologue",
                (true, _) if f.prologue_stack_check => {
                    "stack check in the prologue: its frame is larger than an unchecked one may be"
                }
                (true, true) => "stack check at entry: makes ordinary calls",
                (true, false) => "no stack check: makes no ordinary calls",
            };
            writeln!(
                out,
                ";; function {name} (index {}), convention {}, {} bytes; {stack}",
                f.func_index, compiled.convention, f.len
            )?;
            let text = match emit {
                Emit::Clif => f.clif.clone().unwrap_or_default(),
                Emit::Vcode => f.disasm.clone().unwrap_or_default(),
                Emit::Asm => {
                    let code = &compiled.blob.code[f.offset as usize..(f.offset + f.len) as usize];
                    crate::disasm::disassemble(&cs, code)?
                }
            };
            writeln!(out, "{}", text.trim_end())?;
            writeln!(out)?;
        }
        for (index, (group, code)) in compiled.groups.groups.iter().zip(&compiled.group_code).enumerate() {
            let members: Vec<String> = group.members.iter().map(|m| info.func_display_name(*m)).collect();
            if let Some(wanted) = &self.func
                && !members.contains(wanted)
            {
                continue;
            }
            shown += 1;
            writeln!(out, ";; fused group {index}: {} bytes; members {}", code.len, members.join(", "))?;
            let text = match emit {
                Emit::Clif => code.clif.clone().unwrap_or_default(),
                Emit::Vcode => code.disasm.clone().unwrap_or_default(),
                Emit::Asm => {
                    let bytes = &compiled.blob.code[code.offset as usize..(code.offset + code.len) as usize];
                    let mut listing = String::new();
                    for (start, end, func) in &code.members {
                        listing.push_str(&format!(";; {}\n", info.func_display_name(*func)));
                        let part = crate::disasm::disassemble_at(
                            &cs,
                            &bytes[*start as usize..*end as usize],
                            *start,
                        )?;
                        listing.push_str(&part);
                    }
                    listing
                }
            };
            writeln!(out, "{}", text.trim_end())?;
            writeln!(out)?;
        }
        if shown == 0 {
            match &self.func {
                Some(name) => bail!("no function `{name}` in the module"),
                None => writeln!(out, ";; the module defines no functions")?,
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// What the convention made of the module as a whole, and why.
fn module_facts(
    compiled: &kite_frontend::CompiledModule,
    cc: &dyn kite_frontend::Convention,
    isa: &dyn kite_frontend::TargetIsa,
    tier_up: bool,
) -> Vec<String> {
    let facts = &compiled.facts;
    let mut lines = Vec::new();
    let mut planned: Vec<_> = compiled
        .plans
        .iter()
        .filter(|(ty, plan)| cc.signature(ty, Some(plan), isa) != cc.signature(ty, None, isa))
        .collect();
    planned.sort_by_key(|(ty, _)| format!("{ty:?}"));
    for (ty, plan) in planned {
        let list = |v: &[usize]| v.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(" ");
        let mut how = Vec::new();
        if plan.ordinary {
            how.push("called only normally: `tail`, with callee-saved registers".to_string());
        }
        if let Some(hot) = &plan.hot {
            let (hot, cold): (Vec<usize>, Vec<usize>) = (0..hot.len()).partition(|p| hot[*p]);
            if !cold.is_empty() {
                how.push(format!(
                    "integer lanes for the parameters most of its functions use ({}), not for {}",
                    list(&hot),
                    list(&cold)
                ));
            }
        }
        lines.push(format!("type {ty}: never leaves the module; {}", how.join("; ")));
    }
    if cc.pinned_context() {
        lines.push(match compiled.context_prefix {
            Some(prefix) => format!(
                "context: memory 0's base in the pinned register; VMContext {prefix:#x} bytes below it"
            ),
            None => {
                "context: the VMContext in the pinned register (the module defines no memory)".to_string()
            }
        });
    }
    for (table, static_table) in facts.static_tables.iter().enumerate() {
        let why = if *static_table {
            "never changes and holds only this module's functions".to_string()
        } else if facts.immutable_tables[table] {
            "never changes, but may hold functions of other instances".to_string()
        } else {
            "may change at run time (imported, exported or written)".to_string()
        };
        let dispatch = if *static_table && cc.static_dispatch() {
            let arrays = facts.dispatch_arrays.iter().filter(|a| a.table as usize == table).count();
            format!(": indirect calls index a code-pointer array ({arrays} per-type arrays)")
        } else {
            ": indirect calls check bounds, null and signature".to_string()
        };
        lines.push(format!("table {table}: {why}{dispatch}"));
    }
    let info = &compiled.info;
    let names = |members: &[u32]| {
        let mut names: Vec<String> = members.iter().take(6).map(|m| info.func_display_name(*m)).collect();
        if members.len() > 6 {
            names.push(format!("and {} more", members.len() - 6));
        }
        names.join(", ")
    };
    for (index, group) in compiled.groups.groups.iter().enumerate() {
        let dispatch = match group.indirect_sites {
            0 => "no indirect tail calls".to_string(),
            n => format!("{n} indirect tail calls, each a br_table over the members"),
        };
        let tiers = tier_up && GroupTier::Profiling.for_group(group) == GroupTier::Profiling;
        let stack = if compiled.group_code[index].prologue_stack_check {
            "stack check in the prologue: its frame is larger than an unchecked one may be"
        } else if group.makes_calls || tiers {
            "stack check at entry"
        } else {
            "no stack check"
        };
        let tiering = if tiers {
            "; listed as first compiled, profiling: at run time recompiled to test each br_table's \
             most frequent target first (--tier-up-after)"
        } else {
            ""
        };
        lines.push(format!(
            "fused group {index}: {} functions that tail-call each other ({}); {dispatch}; {stack}{tiering}",
            group.members.len(),
            names(&group.members)
        ));
    }
    for (members, why) in &compiled.groups.unfused {
        lines.push(format!("not fused: {} ({why})", names(members)));
    }
    lines
}
