//! Options shared by every subcommand that compiles Wasm.

use anyhow::Result;
use clap::Args;
use kite_runtime::Config;

#[derive(Args, Clone, Debug)]
pub struct CommonOptions {
    /// Calling convention for Wasm functions: fused (the default), wide or baseline.
    #[arg(long = "tail-cc", value_name = "NAME", default_value = "fused")]
    pub tail_cc: String,
    /// Run Cranelift's verifier on the generated code.
    #[arg(long)]
    pub verify: bool,
    /// Under fused: recompile a group of functions that tail-call each other after this many
    /// indirect tail calls, each testing first where it went most often; `never` to compile
    /// once, without profiling.
    #[arg(long = "tier-up-after", value_name = "CALLS|never", value_parser = parse_tier_up_after)]
    pub tier_up_after: Option<TierUpAfter>,
}

/// The value of `--tier-up-after`.
#[derive(Clone, Copy, Debug)]
pub struct TierUpAfter(Option<u32>);

fn parse_tier_up_after(text: &str) -> Result<TierUpAfter, String> {
    match text {
        "never" => Ok(TierUpAfter(None)),
        _ => match text.parse::<u32>() {
            Ok(calls) if calls > 0 => Ok(TierUpAfter(Some(calls))),
            _ => Err(format!("expected a number of calls from 1 to {} or `never`", u32::MAX)),
        },
    }
}

impl CommonOptions {
    pub fn config(&self) -> Result<Config> {
        let mut config = Config::new();
        config.tail_cc(&self.tail_cc)?;
        config.verify(self.verify);
        if let Some(TierUpAfter(calls)) = self.tier_up_after {
            config.tier_up_after(calls);
        }
        Ok(config)
    }
}

/// What a WASI program is given, as `wasmtime run` takes it.
#[derive(Args, Clone, Debug, Default)]
pub struct WasiOptions {
    /// Set an environment variable for the program: NAME=VALUE, or NAME to pass on this
    /// process's value (repeatable).
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    pub env: Vec<String>,
    /// Let the program reach host directory HOST, under the name GUEST (default: HOST);
    /// nothing outside it (repeatable).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dirs: Vec<String>,
}

impl WasiOptions {
    /// `(name, value)` pairs; a bare NAME takes this process's value, or is left out.
    pub fn env_pairs(&self) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for e in &self.env {
            match e.split_once('=') {
                Some(("", _)) => anyhow::bail!("invalid --env `{e}`: empty name"),
                Some((name, value)) => out.push((name.to_string(), value.to_string())),
                None => {
                    if let Ok(value) = std::env::var(e) {
                        out.push((e.clone(), value));
                    }
                }
            }
        }
        Ok(out)
    }

    /// `(host, guest)` pairs from `HOST[::GUEST]`.
    pub fn dir_pairs(&self) -> Vec<(String, String)> {
        self.dirs
            .iter()
            .map(|d| match d.split_once("::") {
                Some((host, guest)) => (host.to_string(), guest.to_string()),
                None => (d.clone(), d.clone()),
            })
            .collect()
    }
}
