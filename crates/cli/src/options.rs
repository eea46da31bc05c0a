//! Options shared by every subcommand that compiles Wasm.

use anyhow::Result;
use clap::Args;
use kite_runtime::Config;

#[derive(Args, Clone, Debug)]
pub struct CommonOptions {
    /// Calling convention for Wasm functions: wide (the default) or baseline.
    #[arg(long = "tail-cc", value_name = "NAME", default_value = "wide")]
    pub tail_cc: String,
    /// Run Cranelift's verifier on the generated code.
    #[arg(long)]
    pub verify: bool,
}

impl CommonOptions {
    pub fn config(&self) -> Result<Config> {
        let mut config = Config::new();
        config.tail_cc(&self.tail_cc)?;
        config.verify(self.verify);
        Ok(config)
    }
}
