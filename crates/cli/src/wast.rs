//! `kite wast FILE...`: runs spec scripts; the last line is `N passed, N failed`.

use crate::options::{CommonOptions, LimitOptions};
use anyhow::Result;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct WastCommand {
    #[command(flatten)]
    common: CommonOptions,
    #[command(flatten)]
    limits: LimitOptions,
    /// Spec scripts to run.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

impl WastCommand {
    pub fn execute(self) -> Result<ExitCode> {
        let mut config = self.common.config()?;
        self.limits.apply(&mut config);
        let (mut passed, mut failed) = (0, 0);
        let mut out = std::io::stdout().lock();
        for file in &self.files {
            match kite_wast::run_file(file, &config) {
                Ok(report) => {
                    for failure in &report.failures {
                        writeln!(out, "FAIL {failure}")?;
                    }
                    writeln!(out, "{}: {} passed, {} failed", file.display(), report.passed, report.failed)?;
                    passed += report.passed;
                    failed += report.failed;
                }
                Err(error) => {
                    writeln!(out, "FAIL {}: {}", file.display(), crate::one_line(&error))?;
                    failed += 1;
                }
            }
        }
        writeln!(out, "{passed} passed, {failed} failed")?;
        Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
    }
}
