//! `kite run MODULE [--invoke NAME] [ARGS...]`.

use crate::options::CommonOptions;
use anyhow::{Context, Result, bail};
use clap::Args;
use kite_runtime::{Engine, Linker, Module, Store, Val, ValType};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct RunCommand {
    #[command(flatten)]
    common: CommonOptions,
    /// Call this export instead of `_start`, with ARGS parsed by its parameter types.
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,
    /// The module, binary (.wasm) or text (.wat).
    module: PathBuf,
    /// Arguments for the invoked function.
    #[arg(allow_hyphen_values = true)]
    args: Vec<String>,
}

impl RunCommand {
    pub fn execute(self) -> Result<ExitCode> {
        let engine = Engine::new(&self.common.config()?)?;
        let module = Module::from_file(&engine, &self.module)?;
        let mut store = Store::new(&engine, ());
        let linker = Linker::new(&engine);
        let instance = linker.instantiate(&mut store, &module)?;
        let name = match &self.invoke {
            Some(name) => name.as_str(),
            None if instance.get_func(&store, "_start").is_some() => "_start",
            None => return Ok(ExitCode::SUCCESS),
        };
        let func =
            instance.get_func(&store, name).with_context(|| format!("no exported function `{name}`"))?;
        let ty = func.ty(&store);
        if self.invoke.is_none() && !self.args.is_empty() {
            bail!("arguments given without --invoke");
        }
        if self.args.len() != ty.params.len() {
            bail!("`{name}` takes {} arguments, {} given", ty.params.len(), self.args.len());
        }
        let args =
            ty.params.iter().zip(&self.args).map(|(t, a)| parse_arg(*t, a)).collect::<Result<Vec<_>>>()?;
        for value in func.call(&mut store, &args)? {
            println!("{}", format_val(&value));
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn parse_arg(ty: ValType, text: &str) -> Result<Val> {
    let bad = || format!("invalid {ty} argument `{text}`");
    Ok(match ty {
        ValType::I32 => Val::I32(
            parse_int(text)
                .and_then(|v| i32::try_from(v).ok().or_else(|| u32::try_from(v).ok().map(|u| u as i32)))
                .with_context(bad)?,
        ),
        ValType::I64 => Val::I64(
            parse_int(text)
                .and_then(|v| i64::try_from(v).ok().or_else(|| u64::try_from(v).ok().map(|u| u as i64)))
                .with_context(bad)?,
        ),
        ValType::F32 => Val::from(text.parse::<f32>().ok().with_context(bad)?),
        ValType::F64 => Val::from(text.parse::<f64>().ok().with_context(bad)?),
        ValType::FuncRef | ValType::ExternRef => bail!("cannot pass a {ty} from the command line"),
    })
}

fn parse_int(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let value = match digits.strip_prefix("0x") {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i128>().ok()?,
    };
    Some(if negative { -value } else { value })
}

fn format_val(value: &Val) -> String {
    match value {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(bits) => f32::from_bits(*bits).to_string(),
        Val::F64(bits) => f64::from_bits(*bits).to_string(),
        Val::FuncRef(None) | Val::ExternRef(None) => "null".into(),
        Val::FuncRef(Some(_)) => "funcref".into(),
        Val::ExternRef(Some(_)) => "externref".into(),
    }
}
