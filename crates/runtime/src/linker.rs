//! The linker: names for imports, and instantiation by name, as `wasmtime::Linker` does it.
//! Host functions defined here belong to no store until a module that imports them is
//! instantiated; then each instantiation gets its own copy, bound to the importing instance.

use crate::engine::Engine;
use crate::externals::Extern;
use crate::func::{Caller, Func, HostFn};
use crate::instance::{Instance, LinkError};
use crate::module::Module;
use crate::store::AsContextMut;
use crate::values::Val;
use anyhow::Result;
use kite_frontend::FuncType;
use std::collections::HashMap;
use std::sync::Arc;

enum Definition<T> {
    Extern(Extern),
    HostFunc(FuncType, Arc<HostFn<T>>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(e) => Definition::Extern(*e),
            Definition::HostFunc(ty, f) => Definition::HostFunc(ty.clone(), f.clone()),
        }
    }
}

pub struct Linker<T> {
    engine: Engine,
    definitions: HashMap<(String, String), Definition<T>>,
}

impl<T: 'static> Linker<T> {
    pub fn new(engine: &Engine) -> Linker<T> {
        Linker { engine: engine.clone(), definitions: HashMap::new() }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Defines `module::name` as an item of some store.
    pub fn define(&mut self, module: &str, name: &str, item: impl Into<Extern>) -> &mut Self {
        self.definitions.insert((module.into(), name.into()), Definition::Extern(item.into()));
        self
    }

    /// Defines `module::name` as a host function of type `ty`.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> &mut Self {
        self.definitions.insert((module.into(), name.into()), Definition::HostFunc(ty, Arc::new(f)));
        self
    }

    /// Defines every export of `instance` under the module name `module`.
    pub fn instance(
        &mut self,
        store: impl AsContextMut<Data = T>,
        module: &str,
        instance: Instance,
    ) -> &mut Self {
        for (name, item) in instance.exports(&store) {
            self.define(module, &name, item);
        }
        self
    }

    /// The item defined as `module::name`, made concrete in `store`.
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Result<Extern>> {
        Some(match self.definitions.get(&(module.to_string(), name.to_string()))?.clone() {
            Definition::Extern(e) => Ok(e),
            Definition::HostFunc(ty, f) => {
                Func::from_host_fn(store.inner_mut(), ty, f, None).map(Extern::Func)
            }
        })
    }

    /// Instantiates `module`, resolving its imports by name.
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>, module: &Module) -> Result<Instance> {
        let mut imports = Vec::with_capacity(module.info().imports.len());
        for import in &module.info().imports {
            let item = self
                .get(&mut store, &import.module, &import.name)
                .ok_or_else(|| LinkError::Unknown(import.module.clone(), import.name.clone()))??;
            imports.push(item);
        }
        Instance::new(store, module, &imports)
    }
}
