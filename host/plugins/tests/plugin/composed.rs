//! The example plugin composed with azmi's identity provider (component/provider): no host
//! identity code at all, only WASI 0.2 with outgoing HTTP (wasmtime-wasi, wasmtime-wasi-http).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use azmi_emulator::{Emulator, Fault};
use wasmtime::component::{Accessor, Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::support::ARM_SCOPE;
use crate::support::{claims, emulator, failure_code, requests_to, AccessToken, Error, Plugin};

/// The composition: `AZMI_EXAMPLE_PLUGIN_COMPOSED`, else scripts/build-component's output.
fn composed_path() -> PathBuf {
    artefact("AZMI_EXAMPLE_PLUGIN_COMPOSED", "example-plugin-composed.wasm")
}

/// A WASI 0.2 host with outgoing HTTP and nothing azmi-specific.
struct Wasi {
    ctx: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
}

impl WasiView for Wasi {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.ctx, table: &mut self.table }
    }
}

impl WasiHttpView for Wasi {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: Default::default() }
    }
}

struct Composed {
    engine: Engine,
    component: Component,
    linker: Linker<Wasi>,
}

fn composed() -> &'static Composed {
    static COMPOSED: OnceLock<Composed> = OnceLock::new();
    COMPOSED.get_or_init(|| {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model_async(true);
        let engine = Engine::new(&config).expect("engine");
        let path = composed_path();
        let component = Component::from_file(&engine, &path).unwrap_or_else(|e| {
            panic!("{}: {e:#}; build it with scripts/build-component", path.display())
        });
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).expect("WASI links");
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).expect("HTTP links");
        Composed { engine, component, linker }
    })
}

/// The composed plugin, with the emulator's variables for `source` and the provider's options.
async fn instance(emu: &Emulator, source: &str, options: &str) -> (Store<Wasi>, Plugin) {
    let mut ctx = WasiCtx::builder();
    for (name, value) in emu.env_for(source) {
        if name.ends_with("HOST") || name.ends_with("ENDPOINT") {
            assert!(value.contains("127.0.0.1"), "{name}={value} must point at loopback");
        }
        ctx.env(&name, &value);
    }
    ctx.env("AZMI_PROVIDER_OPTIONS", options);
    // The example plugin's own name for the identity it uses.
    ctx.env("AZMI_PROVIDER_IDENTITIES", r#"{"arm": "system"}"#);
    let wasi = Wasi { ctx: ctx.build(), http: WasiHttpCtx::new(), table: ResourceTable::new() };
    let c = composed();
    let mut store = Store::new(&c.engine, wasi);
    let plugin = Plugin::instantiate_async(&mut store, &c.component, &c.linker)
        .await
        .expect("the composition instantiates with WASI and wasi:http only");
    (store, plugin)
}

async fn token(store: &mut Store<Wasi>, plugin: &Plugin, name: &str) -> Result<AccessToken, Error> {
    let call = async |a: &Accessor<Wasi>| {
        plugin.call_token(a, name.to_owned(), vec![ARM_SCOPE.to_owned()]).await
    };
    store.run_concurrent(call).await.expect("no trap").expect("no trap")
}

fn unix_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

const QUICK: &str = r#"{"initial_delay_ms": 50, "jitter": 0}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composed_imds_and_app_service_tokens_with_expires_in_and_the_cache() {
    let emu = emulator();
    let system = emu.identities()[0].clone();
    for source in ["imds", "app_service"] {
        let options = format!(r#"{{"source": "{source}", "initial_delay_ms": 50}}"#);
        let (mut store, plugin) = instance(&emu, source, &options).await;
        let before = unix_secs();
        let first = token(&mut store, &plugin, "system")
            .await
            .unwrap_or_else(|e| panic!("{source}: {e:?}"));
        let after = unix_secs();
        let c = claims(&first.token);
        assert_eq!(c["oid"], system.object_id.as_str(), "{source}");
        let exp = c["exp"].as_u64().expect("exp");
        assert!(
            first.expires_in <= exp - before && first.expires_in + 1 >= exp - after,
            "{source}"
        );
        let again = token(&mut store, &plugin, "system").await.expect("cached");
        assert!(again.token == first.token, "{source}: the instance's cache answered");
        assert_eq!(requests_to(&emu, source), 1, "{source}: {:?}", emu.requests());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composed_names_and_errors() {
    let emu = emulator();
    let user = emu.identities()[1].clone();
    let (mut store, plugin) = instance(&emu, "imds", QUICK).await;
    let name = format!("client-id={}", user.client_id);
    let token = token(&mut store, &plugin, &name).await.expect("user-assigned");
    assert_eq!(claims(&token.token)["oid"], user.object_id.as_str());
    let err = self::token(&mut store, &plugin, "storage").await.unwrap_err();
    assert_eq!(err, Error::NoSuchIdentity);
    // The plugin's own job, under the name the environment maps to the system identity.
    let call = async |a: &Accessor<Wasi>| plugin.call_arm_token(a).await;
    let left = store.run_concurrent(call).await.expect("no trap").expect("no trap");
    assert!(left.is_ok_and(|s| s > 600), "the example plugin's ARM token");
    emu.inject("imds", vec![Fault::IdentityNotFound]);
    let name = "object-id=00000000-0000-4000-8000-00000000ffff";
    let err = self::token(&mut store, &plugin, name).await.unwrap_err();
    assert_eq!(failure_code(&err), Some("identity_not_found"), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composed_retries_throttling_and_server_errors() {
    let emu = emulator();
    emu.inject(
        "imds",
        vec![
            Fault::Throttle { retry_after_secs: 1 },
            Fault::Status { status: 503, headers: vec![], body: "{}".into() },
        ],
    );
    let (mut store, plugin) = instance(&emu, "imds", QUICK).await;
    let started = Instant::now();
    let token = token(&mut store, &plugin, "system").await;
    assert!(token.is_ok(), "{:?}", token.err());
    assert_eq!(requests_to(&emu, "imds"), 3, "{:?}", emu.requests());
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was honoured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composed_hung_endpoint_ends_at_the_deadline() {
    let emu = emulator();
    emu.inject("app_service", vec![Fault::Hang(Duration::from_secs(5))]);
    let options = r#"{"source": "app_service", "deadline_ms": 800}"#;
    let (mut store, plugin) = instance(&emu, "app_service", options).await;
    let started = Instant::now();
    let err = token(&mut store, &plugin, "system").await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(failure_code(&err), Some("deadline_exceeded"), "{err:?}");
    assert!(took >= Duration::from_millis(800) && took < Duration::from_secs(3), "took {took:?}");
}

fn artefact(variable: &str, file: &str) -> PathBuf {
    match std::env::var_os(variable) {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../component").join(file),
    }
}

fn imports_of(path: &Path) -> Vec<String> {
    let c = composed();
    let component = Component::from_file(&c.engine, path).unwrap_or_else(|e| {
        panic!("{}: {e:#}; build it with scripts/build-component", path.display())
    });
    let mut names: Vec<String> =
        component.component_type().imports(&c.engine).map(|(name, _)| name.to_owned()).collect();
    names.sort();
    names
}

/// What the provider needs, and nothing else: outgoing HTTP, the clocks, its environment.
const PROVIDER_IMPORTS: [&str; 8] = [
    "wasi:cli/environment@0.2.12",
    "wasi:clocks/monotonic-clock@0.2.12",
    "wasi:clocks/wall-clock@0.2.12",
    "wasi:http/outgoing-handler@0.2.12",
    "wasi:http/types@0.2.12",
    "wasi:io/error@0.2.12",
    "wasi:io/poll@0.2.12",
    "wasi:io/streams@0.2.12",
];

#[test]
fn the_provider_imports_exactly_the_wasi_it_needs() {
    let provider = imports_of(&artefact("AZMI_IDENTITY_PROVIDER", "identity-provider.wasm"));
    assert_eq!(provider, PROVIDER_IMPORTS);
    // Composed, the plugin's identity import is satisfied inside: the same WASI remains.
    assert_eq!(imports_of(&composed_path()), PROVIDER_IMPORTS);
    // The plugin alone imports only the identity interface.
    let plugin = imports_of(&artefact("AZMI_EXAMPLE_PLUGIN", "example-plugin.wasm"));
    assert_eq!(
        plugin,
        ["wasi:identity/credentials@0.1.0-draft", "wasi:identity/types@0.1.0-draft"]
    );
}
