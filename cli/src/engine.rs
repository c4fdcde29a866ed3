//! `--engine`: the core compiled into `azmi` (native), or the same core as the WebAssembly
//! component (`component/azmi.wasm`, or the file `AZMI_COMPONENT` names) run by wasmtime, with
//! the same transport. The choice only picks the engine handed to the one credential; the
//! component engine needs `azmi` built with the `component` feature.

use azmi_core::Config;
use azmi_host::{Engine, ManagedIdentityCredential};
use clap::ValueEnum;

use crate::Failure;

/// Which build of the core makes the decisions (the `--engine` argument).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum EngineArg {
    /// The core compiled into azmi.
    #[default]
    Native,
    /// The core as a WebAssembly component, run by wasmtime.
    Component,
}

impl EngineArg {
    /// A credential reading the process environment, in this engine.
    pub(crate) fn credential(self, cfg: Config) -> Result<ManagedIdentityCredential, Failure> {
        Ok(ManagedIdentityCredential::builder(cfg).engine(self.engine()?).build()?)
    }

    fn engine(self) -> Result<Engine, Failure> {
        match self {
            EngineArg::Native => Ok(Engine::native()),
            EngineArg::Component => component(),
        }
    }
}

#[cfg(feature = "component")]
fn component() -> Result<Engine, Failure> {
    Engine::shared_component().map_err(|e| Failure::new(e.code(), e.to_string()))
}

#[cfg(not(feature = "component"))]
fn component() -> Result<Engine, Failure> {
    Err(Failure::new(
        "config",
        "this azmi was built without the component engine; build it with \
         `cargo build -p azmi-cli --features component` or use --engine native",
    ))
}
