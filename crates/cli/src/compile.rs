//! `kite compile MODULE --emit clif|asm [--target x86_64|aarch64] [--func NAME]`.

use crate::options::CommonOptions;
use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use kite_frontend::{Target, compile_module};
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
    #[arg(long, value_enum)]
    emit: Emit,
    /// The target architecture: host, x86_64 or aarch64.
    #[arg(long, default_value = "host")]
    target: String,
    /// Only this function (export name, name-section name, or index).
    #[arg(long, value_name = "NAME")]
    func: Option<String>,
    /// The module, binary (.wasm) or text (.wat).
    module: PathBuf,
}

impl CompileCommand {
    pub fn execute(self) -> Result<ExitCode> {
        let target: Target = self.target.parse()?;
        let bytes = std::fs::read(&self.module)
            .with_context(|| format!("cannot read `{}`", self.module.display()))?;
        let bytes = wat::parse_bytes(&bytes).map_err(|mut e| {
            e.set_path(&self.module);
            e
        })?;
        let mut options = self.common.config()?.compile_options_for(target);
        options.keep_text = true;
        let compiled = compile_module(&bytes, &options)?;
        let info = &compiled.info;
        let cs = crate::disasm::disassembler(target)?;
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
            println!(
                ";; function {name} (index {}), convention {}, {} bytes",
                f.func_index, compiled.convention, f.len
            );
            let text = match self.emit {
                Emit::Clif => f.clif.clone().unwrap_or_default(),
                Emit::Vcode => f.disasm.clone().unwrap_or_default(),
                Emit::Asm => {
                    let code = &compiled.blob.code[f.offset as usize..(f.offset + f.len) as usize];
                    crate::disasm::disassemble(&cs, code)?
                }
            };
            println!("{}", text.trim_end());
            println!();
        }
        if shown == 0 {
            match &self.func {
                Some(name) => bail!("no function `{name}` in the module"),
                None => println!(";; the module defines no functions"),
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
