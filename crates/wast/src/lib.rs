//! Runs WebAssembly spec scripts (`.wast`) against kite: every directive of the core spec
//! testsuite up to WebAssembly 2.0 plus tail calls, with the standard `spectest` host module.
//!
//! A directive that fails is counted and described; it never stops the script. Each script runs
//! on its own thread with a generous stack, in its own store, under the engine config given.

mod spectest;
mod values;

use anyhow::{Context, Result, anyhow, bail};
use kite_runtime::{Config, Engine, Extern, Instance, Linker, Module, Store, Trap, TrapKind, Val};
use std::collections::HashMap;
use std::path::Path;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, Wat};

/// The outcome of one script.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub passed: usize,
    pub failed: usize,
    /// One line per failed directive: `file:line:col: what went wrong`.
    pub failures: Vec<String>,
}

/// Runs the script at `path`.
pub fn run_file(path: &Path, config: &Config) -> Result<Report> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    run_text(&path.display().to_string(), text, config)
}

/// Runs a script given as text; `name` appears in failure messages.
pub fn run_text(name: &str, text: String, config: &Config) -> Result<Report> {
    run_text_with(name, text, config, RunOptions::default())
}

/// How to run a script, beyond the engine's config.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Run every module of the script as saved and loaded again (`Module::serialize`, then
    /// `Module::deserialize`), never as compiled: a saved module must behave as the original.
    pub round_trip: bool,
}

/// `run_text`, with `options`.
pub fn run_text_with(name: &str, text: String, config: &Config, options: RunOptions) -> Result<Report> {
    let name = name.to_string();
    let config = config.clone();
    std::thread::Builder::new()
        .name(format!("wast {name}"))
        .stack_size(64 << 20)
        .spawn(move || run_on_this_thread(&name, &text, &config, options))
        .context("spawning the script thread")?
        .join()
        .map_err(|_| anyhow!("the script runner panicked"))?
}

fn run_on_this_thread(name: &str, text: &str, config: &Config, options: RunOptions) -> Result<Report> {
    // The spec's names.wast uses such characters on purpose.
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buffer = ParseBuffer::new_with_lexer(lexer).map_err(|mut e| {
        e.set_text(text);
        anyhow!("{name}: {e}")
    })?;
    let script = parser::parse::<Wast>(&buffer).map_err(|mut e| {
        e.set_text(text);
        anyhow!("{name}: {e}")
    })?;
    let mut runner = Runner::new(config, options)?;
    let mut report = Report::default();
    for directive in script.directives {
        let (line, col) = directive.span().linecol_in(text);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner.directive(directive)));
        match outcome {
            Ok(Ok(Outcome::Pass)) => report.passed += 1,
            Ok(Ok(Outcome::Skip)) => {}
            Ok(Err(e)) => {
                report.failed += 1;
                report.failures.push(format!("{name}:{}:{}: {e:#}", line + 1, col + 1));
            }
            Err(_) => {
                report.failed += 1;
                report.failures.push(format!("{name}:{}:{}: panicked", line + 1, col + 1));
            }
        }
    }
    Ok(report)
}

enum Outcome {
    Pass,
    /// Not a test of anything (a module definition, a registration that worked).
    Skip,
}

struct Runner {
    store: Store<()>,
    linker: Linker<()>,
    current: Option<Instance>,
    instances: HashMap<String, Instance>,
    definitions: HashMap<String, Module>,
    options: RunOptions,
}

impl Runner {
    fn new(config: &Config, options: RunOptions) -> Result<Runner> {
        let engine = Engine::new(config)?;
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        spectest::define(&mut store, &mut linker)?;
        Ok(Runner {
            store,
            linker,
            current: None,
            instances: HashMap::new(),
            definitions: HashMap::new(),
            options,
        })
    }

    fn directive(&mut self, directive: WastDirective<'_>) -> Result<Outcome> {
        match directive {
            WastDirective::Module(mut module) => {
                let id = module_id(&module);
                // Until this module stands, nothing may run against the one before it: a failed
                // module would otherwise show up as wrong answers from its predecessor.
                self.current = None;
                if let Some(id) = &id {
                    self.instances.remove(id);
                }
                let module = self.compile(&mut module)?;
                let instance = self.linker.instantiate(&mut self.store, &module)?;
                self.current = Some(instance);
                if let Some(id) = id {
                    self.instances.insert(id, instance);
                }
                Ok(Outcome::Pass)
            }
            WastDirective::ModuleDefinition(mut module) => {
                let id = module_id(&module);
                let module = self.compile(&mut module)?;
                if let Some(id) = id {
                    self.definitions.insert(id, module);
                }
                Ok(Outcome::Pass)
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                let name = module.map(|m| m.name().to_string()).context("instance of an unnamed module")?;
                let module =
                    self.definitions.get(&name).with_context(|| format!("no module `{name}`"))?.clone();
                let new = self.linker.instantiate(&mut self.store, &module)?;
                self.current = Some(new);
                if let Some(id) = instance {
                    self.instances.insert(id.name().to_string(), new);
                }
                Ok(Outcome::Pass)
            }
            WastDirective::Register { name, module, .. } => {
                let instance = self.instance(module.map(|m| m.name()))?;
                self.linker.instance(&mut self.store, name, instance);
                Ok(Outcome::Skip)
            }
            WastDirective::Invoke(invoke) => {
                self.invoke(&invoke)?;
                Ok(Outcome::Pass)
            }
            WastDirective::AssertReturn { exec, results, .. } => {
                let got = self.execute(exec)?;
                values::check_results(&self.store, &results, &got)?;
                Ok(Outcome::Pass)
            }
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec) {
                Ok(values) => bail!("expected trap `{message}`, got {values:?}"),
                Err(e) => expect_trap(&e, message),
            },
            WastDirective::AssertException { exec, .. } => match self.execute(exec) {
                Ok(values) => bail!("expected an exception, got {values:?}"),
                Err(e) if e.downcast_ref::<kite_runtime::ThrownException>().is_some() => Ok(Outcome::Pass),
                Err(e) => bail!("expected an exception, got `{e:#}`"),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Ok(values) => bail!("expected `{message}`, got {values:?}"),
                Err(e) => match e.downcast_ref::<Trap>() {
                    Some(trap) if trap.kind == TrapKind::StackOverflow => Ok(Outcome::Pass),
                    _ => bail!("expected `{message}`, got `{e:#}`"),
                },
            },
            WastDirective::AssertInvalid { mut module, message, .. }
            | WastDirective::AssertMalformed { mut module, message, .. } => match self.compile(&mut module) {
                Ok(_) => bail!("expected an invalid module (`{message}`), but it compiled"),
                Err(_) => Ok(Outcome::Pass),
            },
            WastDirective::AssertUnlinkable { mut module, message, .. } => {
                let bytes = module.encode()?;
                let module = self.load(bytes)?;
                match self.linker.instantiate(&mut self.store, &module) {
                    Ok(_) => bail!("expected a link error (`{message}`), but it instantiated"),
                    Err(e) if e.downcast_ref::<Trap>().is_some() => {
                        bail!("expected a link error, got `{e:#}`")
                    }
                    Err(_) => Ok(Outcome::Pass),
                }
            }
            WastDirective::AssertInvalidCustom { .. } | WastDirective::AssertMalformedCustom { .. } => {
                Ok(Outcome::Skip)
            }
            other => bail!("unsupported directive {:?}", other.span()),
        }
    }

    fn compile(&mut self, module: &mut QuoteWat<'_>) -> Result<Module> {
        let bytes = module.encode()?;
        self.load(bytes)
    }

    /// Compiles a module, and saves and loads it again if the options say so.
    fn load(&self, bytes: Vec<u8>) -> Result<Module> {
        let engine = self.store.engine();
        let module = Module::new(engine, bytes)?;
        if !self.options.round_trip {
            return Ok(module);
        }
        let saved = module.serialize()?;
        // SAFETY: saved just now by this engine.
        unsafe { Module::deserialize(engine, &saved) }
    }

    fn instance(&self, name: Option<&str>) -> Result<Instance> {
        match name {
            Some(name) => self.instances.get(name).copied().with_context(|| format!("no instance `{name}`")),
            None => self.current.context("no module: none instantiated yet, or the last module failed"),
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<Val>> {
        let instance = self.instance(invoke.module.map(|m| m.name()))?;
        let func = instance
            .get_func(&self.store, invoke.name)
            .with_context(|| format!("no exported function `{}`", invoke.name))?;
        let args = invoke.args.iter().map(|a| self.arg(a)).collect::<Result<Vec<_>>>()?;
        func.call(&mut self.store, &args)
    }

    fn arg(&mut self, arg: &WastArg<'_>) -> Result<Val> {
        match arg {
            WastArg::Core(core) => values::arg(&mut self.store, core),
            #[allow(unreachable_patterns)]
            other => bail!("unsupported argument {other:?}"),
        }
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Vec<Val>> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module.map(|m| m.name()))?;
                match instance.get_export(&self.store, global) {
                    Some(Extern::Global(g)) => Ok(vec![g.get(&self.store)]),
                    _ => bail!("no exported global `{global}`"),
                }
            }
            WastExecute::Wat(mut wat) => {
                let module = self.load(wat.encode()?)?;
                self.linker.instantiate(&mut self.store, &module)?;
                Ok(vec![])
            }
        }
    }
}

fn module_id(module: &QuoteWat<'_>) -> Option<String> {
    match module {
        QuoteWat::Wat(Wat::Module(m)) => m.id.map(|id| id.name().to_string()),
        _ => None,
    }
}

fn expect_trap(error: &anyhow::Error, message: &str) -> Result<Outcome> {
    match error.downcast_ref::<Trap>() {
        Some(trap) if trap.kind.message().contains(message) || message.contains(trap.kind.message()) => {
            Ok(Outcome::Pass)
        }
        Some(trap) => bail!("expected trap `{message}`, got `{trap}`"),
        None => bail!("expected trap `{message}`, got error `{error:#}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(script: &str) -> Report {
        run_text("test.wast", script.to_string(), &Config::new()).unwrap()
    }

    #[test]
    fn wrong_expectations_are_failures() {
        let report = run(r#"
            (module (func (export "one") (result i32) (i32.const 1))
                    (func (export "nan") (result f32) (f32.const nan:0x200000)))
            (assert_return (invoke "one") (i32.const 1))
            (assert_return (invoke "one") (i32.const 2))
            (assert_trap (invoke "one") "unreachable")
            (assert_exhaustion (invoke "one") "call stack exhausted")
            (assert_return (invoke "nan") (f32.const nan:canonical))
            (assert_return (invoke "nan") (f32.const nan:arithmetic))
            (assert_invalid (module (func (result i32) (i32.const 0))) "a valid module")
            (assert_malformed (module quote "(func") "unexpected end")
        "#);
        // Passes: the module, the first assert_return, the assert_malformed. A signalling NaN
        // (quiet bit clear) is neither canonical nor arithmetic.
        assert_eq!((report.passed, report.failed), (3, 6), "{:#?}", report.failures);
        assert!(report.failures[0].starts_with("test.wast:5:"), "{}", report.failures[0]);
    }

    #[test]
    fn traps_must_have_the_expected_kind() {
        let report = run(r#"
            (module (func (export "div") (result i32) (i32.div_s (i32.const 1) (i32.const 0))))
            (assert_trap (invoke "div") "integer divide by zero")
            (assert_trap (invoke "div") "out of bounds memory access")
        "#);
        assert_eq!((report.passed, report.failed), (2, 1), "{:#?}", report.failures);
    }
}
