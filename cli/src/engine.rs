//! `--engine`: the core compiled into `azmi` (native), or the same core as the WebAssembly
//! component (`component/azmi.wasm`, or the file `AZMI_COMPONENT` names) run by wasmtime, with
//! the same transport. The component engine needs `azmi` built with the `component` feature.

use std::sync::Arc;

use azmi_core::{AccessToken, Config, Detection, Resource};
use clap::ValueEnum;

use crate::Failure;

/// Which build of the core makes the decisions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum Engine {
    /// The core compiled into azmi.
    #[default]
    Native,
    /// The core as a WebAssembly component, run by wasmtime.
    Component,
}

/// A token through the component, and the source it used.
#[cfg(feature = "component")]
pub(crate) fn token(
    cfg: Config,
    resource: &Resource,
) -> Result<(Arc<AccessToken>, Detection), Failure> {
    let credential = azmi_host::component::ComponentCredential::new(cfg)?;
    let token = credential.get_token_for(resource)?;
    Ok((token, credential.detection()))
}

#[cfg(not(feature = "component"))]
pub(crate) fn token(_: Config, _: &Resource) -> Result<(Arc<AccessToken>, Detection), Failure> {
    Err(not_built())
}

#[cfg(not(feature = "component"))]
pub(crate) fn not_built() -> Failure {
    Failure::new(
        "config",
        "this azmi was built without the component engine; build it with \
         `cargo build -p azmi-cli --features component` or use --engine native",
    )
}

#[cfg(feature = "component")]
impl From<azmi_host::component::ComponentError> for Failure {
    fn from(e: azmi_host::component::ComponentError) -> Self {
        Failure::new(e.code(), e.to_string())
    }
}
