//! A small wasmtime embedder of plugins that get tokens through the draft `wasi:identity`
//! interface (`wit/deps/wasi-identity`) and call Azure through WASI 0.2 outgoing HTTP: what the
//! plugin tests (`tests/plugin`), the benchmark (`benches/plugin.rs`) and the `run-plugin`
//! example share. A plugin gets its identity one of two ways:
//!
//! * **from the host**: [`host_linker`] adds WASI 0.2, `wasi:http` and azmi-host's
//!   `component::plugin` interface; each store's [`Host`] carries that plugin's grant
//!   ([`Host::new`] with a `PluginIdentity`), and the host's credentials make the token requests;
//! * **composed** with azmi's identity provider (`component/provider`, composed by
//!   `scripts/build-component`): the composition needs only WASI 0.2 and `wasi:http`
//!   ([`wasi_linker`], stores from [`Host::composed`]); the provider makes the requests.
//!
//! The engine needs the component model's async support ([`engine`]), and calls into a plugin
//! run inside `Store::run_concurrent` on a tokio runtime.

use std::sync::{Arc, OnceLock};

use azmi_core::{Config, EnvSnapshot};
use azmi_host::component::plugin::{add_to_linker, PluginIdentities, PluginIdentity, PluginPolicy};
use azmi_host::EnvSource;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::Engine;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// The example plugin's world (`component/example-plugin/wit`): its exports, for the calls
/// into it. (Its identity imports are served by azmi-host's `add_to_linker`, linked by name
/// and checked by type at instantiation; the generated import traits go unused.)
pub mod bindings {
    wasmtime::component::bindgen!({
        world: "azmi:example-plugin/plugin",
        path: "../../component/example-plugin/wit",
        require_store_data_send: true,
        // The tests compare errors.
        additional_derives: [PartialEq, Eq],
    });
}

pub use bindings::{AccessToken, Error, Plugin, PluginPre};

/// One plugin's store data: its identity grant and its WASI 0.2 context with outgoing HTTP.
pub struct Host {
    identity: PluginIdentity,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
}

impl Host {
    /// A plugin served by the host: `identity` is its grant; `env` its environment variables.
    pub fn new(identity: PluginIdentity, env: &[(String, String)]) -> Host {
        let mut wasi = WasiCtx::builder();
        for (name, value) in env {
            wasi.env(name, value);
        }
        Host { identity, wasi: wasi.build(), http: WasiHttpCtx::new(), table: ResourceTable::new() }
    }

    /// A composed plugin: the host grants it nothing (its provider reads `env` for the identity
    /// endpoint, `AZMI_PROVIDER_OPTIONS` and `AZMI_PROVIDER_IDENTITIES`).
    pub fn composed(env: &[(String, String)]) -> Host {
        static NOTHING: OnceLock<Arc<PluginIdentities>> = OnceLock::new();
        let nothing = NOTHING.get_or_init(|| {
            let env = EnvSource::Fixed(EnvSnapshot::default());
            Arc::new(PluginIdentities::new(Config::default(), env))
        });
        Host::new(PluginIdentity::new(PluginPolicy::new(), Arc::clone(nothing)), env)
    }
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for Host {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: Default::default() }
    }
}

/// An engine with the component model's async support, which the draft's `async func`s need.
pub fn engine() -> wasmtime::Result<Engine> {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model_async(true);
    Engine::new(&config)
}

/// WASI 0.2 with outgoing HTTP: all a composed plugin imports.
pub fn wasi_linker(engine: &Engine) -> wasmtime::Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    Ok(linker)
}

/// [`wasi_linker`] and the identity interface served by the host's credentials.
pub fn host_linker(engine: &Engine) -> wasmtime::Result<Linker<Host>> {
    let mut linker = wasi_linker(engine)?;
    add_to_linker(&mut linker, |host| &mut host.identity)?;
    Ok(linker)
}
