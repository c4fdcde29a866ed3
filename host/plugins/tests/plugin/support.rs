//! What the plugin tests share: the compiled example plugin, stores with a policy, the emulator.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use azmi_core::{Config, EnvSnapshot, SourceKind};
use azmi_emulator::{Emulator, EmulatorConfig};
use azmi_host::component::plugin::{add_to_linker, PluginIdentities, PluginIdentity, PluginPolicy};
use azmi_host::EnvSource;
use base64::Engine as _;
use serde_json::Value;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

wasmtime::component::bindgen!({
    world: "azmi:example-plugin/plugin",
    path: "../../component/example-plugin/wit",
    require_store_data_send: true,
    with: {
        "wasi:identity/types@0.1.0-draft": azmi_host::component::plugin::wasi_identity::types,
        "wasi:identity/credentials@0.1.0-draft": azmi_host::component::plugin::wasi_identity::credentials,
    },
});

pub(crate) const ARM: &str = "https://management.azure.com/";
pub(crate) const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// The example plugin: `AZMI_EXAMPLE_PLUGIN`, else scripts/build-component's output.
fn plugin_path() -> PathBuf {
    match std::env::var_os("AZMI_EXAMPLE_PLUGIN") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../component/example-plugin.wasm"),
    }
}

/// The engine, the compiled plugin and a linker with the identity interface, made once.
pub(crate) struct Plugins {
    engine: Engine,
    component: Component,
    linker: Linker<PluginIdentity>,
}

pub(crate) fn plugins() -> &'static Plugins {
    static PLUGINS: OnceLock<Plugins> = OnceLock::new();
    PLUGINS.get_or_init(|| {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model_async(true);
        let engine = Engine::new(&config).expect("engine");
        let path = plugin_path();
        let component = Component::from_file(&engine, &path).unwrap_or_else(|e| {
            panic!("{}: {e:#}; build it with scripts/build-component", path.display())
        });
        let mut linker = Linker::new(&engine);
        add_to_linker(&mut linker, |plugin| plugin).expect("the interface links");
        Plugins { engine, component, linker }
    })
}

/// One plugin instance in its own store.
pub(crate) struct Instance {
    store: Store<PluginIdentity>,
    plugin: Plugin,
}

impl Plugins {
    pub(crate) async fn instance(
        &self,
        policy: PluginPolicy,
        identities: &Arc<PluginIdentities>,
    ) -> Instance {
        let data = PluginIdentity::new(policy, Arc::clone(identities));
        let mut store = Store::new(&self.engine, data);
        let plugin = Plugin::instantiate_async(&mut store, &self.component, &self.linker)
            .await
            .expect("the plugin instantiates");
        Instance { store, plugin }
    }
}

impl Instance {
    /// The plugin's `token` export: the interface's answer as the plugin saw it.
    pub(crate) async fn token(
        &mut self,
        name: &str,
        scopes: &[&str],
    ) -> Result<AccessToken, Error> {
        let plugin = &self.plugin;
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        let call = async |store: &wasmtime::component::Accessor<PluginIdentity>| {
            plugin.call_token(store, name.to_owned(), scopes).await
        };
        self.store.run_concurrent(call).await.expect("no trap").expect("no trap")
    }

    /// The plugin's own job: seconds left on an ARM token from its identity `arm`.
    pub(crate) async fn arm_token(&mut self) -> Result<u64, String> {
        let plugin = &self.plugin;
        let call = async |store: &wasmtime::component::Accessor<PluginIdentity>| {
            plugin.call_arm_token(store).await
        };
        self.store.run_concurrent(call).await.expect("no trap").expect("no trap")
    }
}

pub(crate) fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).expect("emulator starts on loopback")
}

pub(crate) fn requests_to(emu: &Emulator, endpoint: &str) -> usize {
    emu.requests().iter().filter(|r| r.endpoint == endpoint).count()
}

/// Credentials for plugins, forced onto `source` at the emulator, with quick retries.
pub(crate) fn identities(
    emu: &Emulator,
    source: &str,
    deadline: Option<Duration>,
) -> Arc<PluginIdentities> {
    let vars = emu.env_for(source);
    for (name, value) in &vars {
        if name.ends_with("HOST") || name.ends_with("ENDPOINT") {
            assert!(value.contains("127.0.0.1"), "{name}={value} must point at loopback");
        }
    }
    let mut cfg = Config::default();
    cfg.source = SourceKind::from_name(source);
    cfg.retry.initial_delay = Duration::from_millis(50);
    cfg.retry.jitter = 0.0;
    if deadline.is_some() {
        cfg.deadline = deadline;
    }
    Arc::new(PluginIdentities::new(cfg, EnvSource::Fixed(EnvSnapshot::from_vars(vars))))
}

/// A policy granting the system-assigned identity as `arm`, for ARM.
pub(crate) fn arm_policy() -> PluginPolicy {
    PluginPolicy::new()
        .identity("arm", azmi_core::Identity::SystemAssigned)
        .scope(ARM_SCOPE)
        .expect("a valid scope")
}

pub(crate) fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// The code azmi puts in front of an `internal-failure`.
pub(crate) fn failure_code(error: &Error) -> Option<&str> {
    match error {
        Error::InternalFailure(text) => text.split_once(": ").map(|(code, _)| code),
        Error::NoSuchIdentity => None,
    }
}
