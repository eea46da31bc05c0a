//! Options shared by every subcommand that compiles Wasm.

use anyhow::Result;
use clap::Args;
use kite_runtime::{Config, InstanceAllocationStrategy, PoolingAllocationConfig};
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
    /// Take linear memories from a pool (Wasmtime's pooling allocator: 1,000 memories of up to
    /// 4 GiB), with a bounds check compiled into every memory access instead of guard pages.
    #[arg(long)]
    pub pooling: bool,
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
        if self.pooling {
            config
                .allocation_strategy(InstanceAllocationStrategy::Pooling(PoolingAllocationConfig::default()));
        }
        Ok(config)
    }
}

/// Limits on what a guest may take, on `run` and `wast`.
#[derive(Args, Clone, Debug, Default)]
pub struct LimitOptions {
    /// The most bytes any linear memory may grow to (`64MiB`, `4GiB`, or bytes), rounded down
    /// to whole 64 KiB pages: a `memory.grow` past it returns -1, and a module whose memory
    /// starts larger fails to instantiate.
    #[arg(long = "max-memory", value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// The most elements any table may grow to.
    #[arg(long = "max-table-elements", value_name = "N")]
    pub max_table_elements: Option<u64>,
    /// The most native stack Wasm code may use (`512KiB`, `8MiB`, or bytes) before it traps
    /// with "call stack exhausted".
    #[arg(long = "max-wasm-stack", value_name = "SIZE", value_parser = parse_size)]
    pub max_wasm_stack: Option<u64>,
}

impl LimitOptions {
    pub fn apply(&self, config: &mut Config) {
        if let Some(bytes) = self.max_memory {
            config.max_memory_pages(bytes / kite_runtime::WASM_PAGE_SIZE);
        }
        if let Some(elements) = self.max_table_elements {
            config.max_table_elements(elements);
        }
        if let Some(bytes) = self.max_wasm_stack {
            config.max_wasm_stack(usize::try_from(bytes).unwrap_or(usize::MAX));
        }
    }
}

/// A size in bytes: a number with an optional binary unit (`K`/`KiB`, `M`/`MiB`, `G`/`GiB`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let scale: u64 = match unit {
        "" | "B" => 1,
        "K" | "KiB" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        _ => return Err(format!("expected a size such as `65536`, `64MiB` or `4GiB`, not `{text}`")),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("expected a size such as `65536`, `64MiB` or `4GiB`, not `{text}`"))
}

/// A duration: a decimal number and a unit (`ms`, `s`, `m`): `1.5s`, `200ms`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("expected a duration such as `1.5s` or `200ms`, not `{text}`");
    let at = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
    let (number, unit) = text.split_at(at);
    let seconds_per_unit = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        _ => return Err(bad()),
    };
    let number: f64 = number.parse().map_err(|_| bad())?;
    std::time::Duration::try_from_secs_f64(number * seconds_per_unit).map_err(|_| bad())
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
    /// Trim the cache's least recently used entries past this size (`512MiB`, `1G`, or bytes).
    #[arg(long = "cache-max-size", value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub cache_max_size: u64,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        for bad in ["", "MiB", "1.5GiB", "12TB", "-1", "99999999999999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        for bad in ["", "5", "s", "1..5s", "-1s", "3h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
