//! What the component tests share: the component, the emulator, credentials on either engine.

use std::sync::Arc;

use azmi_core::{Config, EnvSnapshot};
use azmi_emulator::{Emulator, EmulatorConfig};
use azmi_host::component::{ComponentInstance, ComponentRuntime};
use azmi_host::{Engine, EnvSource, ManagedIdentityCredential};

pub(crate) const DEFAULT_START: u64 = 1_700_000_000_000;
pub(crate) const ARM: &str = "https://management.azure.com/";

pub(crate) fn runtime() -> Arc<ComponentRuntime> {
    ComponentRuntime::shared().unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn instance() -> Arc<ComponentInstance> {
    runtime().instantiate().expect("the component instantiates")
}

pub(crate) fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).expect("emulator starts on loopback")
}

pub(crate) fn requests_to(emu: &Emulator, endpoint: &str) -> usize {
    emu.requests().iter().filter(|r| r.endpoint == endpoint).count()
}

/// The emulator's IMDS variables, checked to point at loopback.
pub(crate) fn imds_env(emu: &Emulator) -> EnvSource {
    let vars = emu.env_for("imds");
    for (name, value) in &vars {
        if name.ends_with("HOST") || name.ends_with("ENDPOINT") {
            assert!(value.contains("127.0.0.1"), "{name}={value} must point at loopback");
        }
    }
    EnvSource::Fixed(EnvSnapshot::from_vars(vars))
}

/// The one credential on `engine`, against the emulator's IMDS.
pub(crate) fn credential(emu: &Emulator, engine: Engine) -> ManagedIdentityCredential {
    let builder = ManagedIdentityCredential::builder(Config::default()).env(imds_env(emu));
    builder.engine(engine).build().expect("the engine detects the source")
}

/// The one credential on the component engine, in `instance`.
pub(crate) fn credential_on(
    emu: &Emulator,
    instance: Arc<ComponentInstance>,
) -> ManagedIdentityCredential {
    credential(emu, Engine::component(instance))
}

pub(crate) fn tempdir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("azmi-component-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
