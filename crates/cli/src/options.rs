//! Options shared by every subcommand that compiles Wasm.

use anyhow::Result;
use clap::Args;
use kite_runtime::Config;
use std::path::PathBuf;

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

/// Where `kite run` keeps compiled modules (see `kite_runtime`'s `cache`).
#[derive(Args, Clone, Debug)]
pub struct CacheOptions {
    /// Keep compiled modules in DIR (default: $XDG_CACHE_HOME/kite, else ~/.cache/kite).
    #[arg(long = "cache-dir", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Compile the module without looking in or writing to the cache.
    #[arg(long = "no-cache", conflicts_with = "cache_dir")]
    pub no_cache: bool,
    /// Trim the cache's least recently used entries past this size: bytes, or with a K, M or G
    /// suffix (KiB, MiB, GiB).
    #[arg(long = "cache-max-size", value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub cache_max_size: u64,
}

fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, unit) = match text.char_indices().last() {
        Some((i, 'K' | 'k')) => (&text[..i], 1 << 10),
        Some((i, 'M' | 'm')) => (&text[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&text[..i], 1 << 30),
        _ => (text, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(|| "expected a size in bytes, or with a K, M or G suffix".to_string())
}

impl CacheOptions {
    /// Sets `config`'s cache: the directory given, else the default one, unless --no-cache.
    pub fn apply(&self, config: &mut Config) {
        let dir = if self.no_cache {
            None
        } else {
            self.cache_dir.clone().or_else(kite_runtime::default_cache_dir)
        };
        config.cache_dir(dir).cache_max_size(self.cache_max_size);
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
