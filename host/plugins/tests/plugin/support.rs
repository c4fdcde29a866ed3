//! What the plugin tests share: the compiled example plugin, host-provided and composed, in
//! stores of the crate's embedder, and the emulator.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use azmi_core::{Config, EnvSnapshot, SourceKind};
use azmi_emulator::{Emulator, EmulatorConfig};
use azmi_host::component::plugin::{PluginIdentities, PluginIdentity, PluginPolicy};
use azmi_host::EnvSource;
use azmi_plugin_tests::{engine, host_linker, wasi_linker, Host, Plugin};
use base64::Engine as _;
use serde_json::Value;
use wasmtime::component::{Accessor, Component, Linker};
use wasmtime::{Engine, Store};

pub(crate) use azmi_plugin_tests::{AccessToken, Error};

pub(crate) const ARM: &str = "https://management.azure.com/";
pub(crate) const ARM_SCOPE: &str = "https://management.azure.com/.default";

/// A component scripts/build-component wrote: `variable` names another path.
pub(crate) fn artefact(variable: &str, file: &str) -> PathBuf {
    match std::env::var_os(variable) {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../component").join(file),
    }
}

/// The engine, and a compiled plugin with the linker it needs, made once per test binary.
pub(crate) struct Plugins {
    engine: Engine,
    component: Component,
    linker: Linker<Host>,
}

fn load(engine: &Engine, path: &Path) -> Component {
    Component::from_file(engine, path).unwrap_or_else(|e| {
        panic!("{}: {e:#}; build it with scripts/build-component", path.display())
    })
}

fn the_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| engine().expect("engine"))
}

/// The example plugin alone, its identity served by azmi-host.
pub(crate) fn plugins() -> &'static Plugins {
    static PLUGINS: OnceLock<Plugins> = OnceLock::new();
    PLUGINS.get_or_init(|| {
        let engine = the_engine().clone();
        let component = load(&engine, &artefact("AZMI_EXAMPLE_PLUGIN", "example-plugin.wasm"));
        let linker = host_linker(&engine).expect("WASI, wasi:http and the identity link");
        Plugins { engine, component, linker }
    })
}

/// The example plugin composed with the identity provider: WASI and wasi:http only.
pub(crate) fn composed() -> &'static Plugins {
    static COMPOSED: OnceLock<Plugins> = OnceLock::new();
    COMPOSED.get_or_init(|| {
        let engine = the_engine().clone();
        let path = artefact("AZMI_EXAMPLE_PLUGIN_COMPOSED", "example-plugin-composed.wasm");
        let component = load(&engine, &path);
        let linker = wasi_linker(&engine).expect("WASI and wasi:http link");
        Plugins { engine, component, linker }
    })
}

/// The names a component imports, sorted.
pub(crate) fn imports_of(path: &Path) -> Vec<String> {
    let engine = the_engine();
    let component = load(engine, path);
    let mut names: Vec<String> =
        component.component_type().imports(engine).map(|(name, _)| name.to_owned()).collect();
    names.sort();
    names
}

/// One plugin instance in its own store.
pub(crate) struct Instance {
    store: Store<Host>,
    plugin: Plugin,
}

impl Plugins {
    /// A host-provided plugin with `policy`, backed by `identities`.
    pub(crate) async fn instance(
        &self,
        policy: PluginPolicy,
        identities: &Arc<PluginIdentities>,
    ) -> Instance {
        let identity = PluginIdentity::new(policy, Arc::clone(identities));
        self.instantiate(Host::new(identity, &[])).await
    }

    /// A composed plugin whose provider sees `env`.
    pub(crate) async fn composed_instance(&self, env: &[(String, String)]) -> Instance {
        self.instantiate(Host::composed(env)).await
    }

    async fn instantiate(&self, host: Host) -> Instance {
        let mut store = Store::new(&self.engine, host);
        let plugin = Plugin::instantiate_async(&mut store, &self.component, &self.linker)
            .await
            .expect("the plugin instantiates");
        Instance { store, plugin }
    }
}

impl Instance {
    /// Runs one call into the plugin; a trap fails the test.
    async fn call<R: Send + 'static>(
        &mut self,
        f: impl AsyncFnOnce(&Accessor<Host>, &Plugin) -> wasmtime::Result<R> + Send,
    ) -> R {
        let plugin = &self.plugin;
        let call = async |store: &Accessor<Host>| f(store, plugin).await;
        self.store.run_concurrent(call).await.expect("no trap").expect("no trap")
    }

    /// The plugin's `token` export: the interface's answer as the plugin saw it.
    pub(crate) async fn token(
        &mut self,
        name: &str,
        scopes: &[&str],
    ) -> Result<AccessToken, Error> {
        let name = name.to_owned();
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.call(async |a, p| p.call_token(a, name, scopes).await).await
    }

    /// Seconds left on the ARM token of the plugin's identity `arm`.
    pub(crate) async fn arm_token(&mut self) -> Result<u64, String> {
        self.call(async |a, p| p.call_arm_token(a).await).await
    }

    /// The plugin's own job: the resource groups it sees at ARM `endpoint`.
    pub(crate) async fn list_resource_groups(
        &mut self,
        endpoint: &str,
    ) -> Result<Vec<String>, String> {
        let endpoint = endpoint.to_owned();
        self.call(async |a, p| p.call_list_resource_groups(a, endpoint).await).await
    }
}

pub(crate) fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).expect("emulator starts on loopback")
}

pub(crate) fn requests_to(emu: &Emulator, endpoint: &str) -> usize {
    emu.requests().iter().filter(|r| r.endpoint == endpoint).count()
}

/// The emulator's variables for `source`, every endpoint checked to be on loopback.
pub(crate) fn loopback_env(emu: &Emulator, source: &str) -> Vec<(String, String)> {
    let vars = emu.env_for(source);
    for (name, value) in &vars {
        if name.ends_with("HOST") || name.ends_with("ENDPOINT") {
            assert!(value.contains("127.0.0.1"), "{name}={value} must point at loopback");
        }
    }
    vars
}

/// Credentials for plugins, forced onto `source` at the emulator, with quick retries.
pub(crate) fn identities(
    emu: &Emulator,
    source: &str,
    deadline: Option<Duration>,
) -> Arc<PluginIdentities> {
    let vars = loopback_env(emu, source);
    let mut cfg = Config::default();
    cfg.source = SourceKind::from_name(source);
    cfg.retry.initial_delay = Duration::from_millis(50);
    cfg.retry.jitter = 0.0;
    if deadline.is_some() {
        cfg.deadline = deadline;
    }
    Arc::new(PluginIdentities::new(cfg, EnvSource::Fixed(EnvSnapshot::from_vars(vars))))
}

/// The two ways a plugin gets its identity.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Way {
    /// azmi-host serves the interface from its credentials.
    Host,
    /// The plugin is composed with the identity provider; the host grants only WASI.
    Composed,
}

pub(crate) const WAYS: [Way; 2] = [Way::Host, Way::Composed];

impl Way {
    /// The example plugin, its identity `arm` the system-assigned identity for ARM, with the
    /// emulator as `source`, quick retries and `deadline` (if any).
    pub(crate) async fn arm_plugin(
        self,
        emu: &Emulator,
        source: &str,
        deadline: Option<Duration>,
    ) -> Instance {
        match self {
            Way::Host => plugins().instance(arm_policy(), &identities(emu, source, deadline)).await,
            Way::Composed => {
                let mut options = serde_json::json!({
                    "source": source, "initial_delay_ms": 50, "jitter": 0
                });
                if let Some(deadline) = deadline {
                    options["deadline_ms"] =
                        u64::try_from(deadline.as_millis()).expect("ms").into();
                }
                composed().composed_instance(&provider_env(emu, source, &options)).await
            }
        }
    }
}

/// What the composed provider sees: the emulator's variables for `source`, its options, and
/// the example plugin's name `arm` mapped to the system-assigned identity.
pub(crate) fn provider_env(emu: &Emulator, source: &str, options: &Value) -> Vec<(String, String)> {
    let mut env = loopback_env(emu, source);
    env.push(("AZMI_PROVIDER_OPTIONS".into(), options.to_string()));
    env.push(("AZMI_PROVIDER_IDENTITIES".into(), r#"{"arm": "system"}"#.into()));
    env
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
