//! Plugins getting tokens through the draft `wasi:identity` interface: served by the host (the
//! example plugin's size, loading it from a precompiled artefact, instantiating it, a cached
//! token per export call and per `get-token` inside the plugin, beside the native credential's
//! cached lookup), and by the composed identity provider (its size, the composition's load and
//! instantiation from a precompiled artefact, a cached `get-token`). Prints a table.
//! Run: `cargo bench -p azmi-plugin-tests --bench plugin` (`-- --quick` for a
//! short run). Network: only the emulator on 127.0.0.1, for the one fetch that fills the cache.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use azmi_core::{Config, EnvSnapshot, Identity, Resource, SourceKind};
use azmi_emulator::{Emulator, EmulatorConfig};
use azmi_host::component::plugin::{PluginIdentities, PluginIdentity, PluginPolicy};
use azmi_host::EnvSource;
use azmi_plugin_tests::{engine, host_linker, wasi_linker, Host, Plugin, PluginPre};
use wasmtime::component::{Accessor, Component, Linker};
use wasmtime::{Engine, Store};

const ARM_SCOPE: &str = "https://management.azure.com/.default";

fn main() {
    let quick = std::env::args().any(|a| a == "--quick" || a == "--test");
    let calls: u32 = std::env::var("AZMI_PLUGIN_BENCH_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if quick { 2_000 } else { 100_000 });
    let path = std::env::var_os("AZMI_EXAMPLE_PLUGIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../component/example-plugin.wasm"),
        Into::into,
    );
    let bytes = std::fs::read(&path).expect("build it: scripts/build-component");
    let mut bench = Bench {
        engine: engine().unwrap(),
        rt: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap(),
        rounds: if quick { 5 } else { 50 },
        rows: Vec::new(),
    };
    bench.row("example plugin size", format!("{} bytes", bytes.len()));
    let linker = host_linker(&bench.engine).unwrap();
    let pre = bench.load("load the plugin from its precompiled artefact", &bytes, &linker);

    let emu = Emulator::start(EmulatorConfig::default()).expect("emulator on loopback");
    let identities = Arc::new(PluginIdentities::new(imds_config(), imds_env(&emu)));
    let policy =
        PluginPolicy::new().identity("arm", Identity::SystemAssigned).scope(ARM_SCOPE).unwrap();
    let engine = bench.engine.clone();
    let new_store = || {
        let identity = PluginIdentity::new(policy.clone(), Arc::clone(&identities));
        Store::new(&engine, Host::new(identity, &[]))
    };
    let (mut store, plugin) =
        bench.instantiate("instantiate the plugin (new store + instance)", &pre, new_store);
    bench.repeat(&mut store, &plugin, "arm", 1); // the one fetch, from the emulator
    let per_export = bench.median(|| {
        let t = Instant::now();
        black_box(bench.repeat(&mut store, &plugin, "arm", 1));
        t.elapsed()
    });
    bench.row(
        "cached token, one export call from the embedder (get-identity + get-token)",
        us(per_export),
    );
    let per_get = bench.per_get(&mut store, &plugin, "arm", calls);
    bench.row("cached token, one get-token inside the plugin (goal ≤ 5 µs)", ns(per_get));

    let native = identities.credential(&Identity::SystemAssigned);
    let resource = Resource::from_scopes(&[ARM_SCOPE]).unwrap();
    let per_native = bench.median(|| {
        let t = Instant::now();
        for _ in 0..calls {
            black_box(native.cached(&resource).expect("cached"));
        }
        t.elapsed() / calls
    });
    bench.row("native credential, cached lookup (for comparison)", ns(per_native));

    composed(&mut bench, &emu, calls);

    println!("| measurement | value |");
    println!("| --- | --- |");
    for (what, value) in bench.rows {
        println!("| {what} | {value} |");
    }
}

/// What every measurement shares, and the table's rows so far.
struct Bench {
    engine: Engine,
    rt: tokio::runtime::Runtime,
    rounds: usize,
    rows: Vec<(String, String)>,
}

impl Bench {
    fn row(&mut self, what: &str, value: String) {
        self.rows.push((what.to_owned(), value));
    }

    /// The median of `rounds` timings.
    fn median(&self, f: impl FnMut() -> Duration) -> Duration {
        median(self.rounds, f)
    }

    /// Loads `bytes` from a precompiled artefact (timed, as row `what`) and links it.
    fn load(&mut self, what: &str, bytes: &[u8], linker: &Linker<Host>) -> PluginPre<Host> {
        let engine = self.engine.clone();
        let artefact = engine.precompile_component(bytes).expect("compiles");
        let load = self.median(|| {
            let t = Instant::now();
            // SAFETY: the artefact was made just above by this engine.
            black_box(unsafe { Component::deserialize(&engine, &artefact) }.expect("loads"));
            t.elapsed()
        });
        self.row(what, us(load));
        // SAFETY: as above.
        let component = unsafe { Component::deserialize(&engine, &artefact) }.unwrap();
        PluginPre::new(linker.instantiate_pre(&component).unwrap()).unwrap()
    }

    /// Times instantiations in fresh stores (as row `what`); then one instance for the calls.
    fn instantiate(
        &mut self,
        what: &str,
        pre: &PluginPre<Host>,
        new_store: impl Fn() -> Store<Host>,
    ) -> (Store<Host>, Plugin) {
        // Ten times the rounds: one instantiation is short.
        let inst = median(self.rounds * 10, || {
            let mut store = new_store();
            let t = Instant::now();
            black_box(self.rt.block_on(pre.instantiate_async(&mut store)).expect("instantiates"));
            t.elapsed()
        });
        self.row(what, us(inst));
        let mut store = new_store();
        let plugin = self.rt.block_on(pre.instantiate_async(&mut store)).unwrap();
        (store, plugin)
    }

    /// `count` ARM tokens of the identity `name` through one handle, in one export call.
    fn repeat(&self, store: &mut Store<Host>, plugin: &Plugin, name: &str, count: u32) -> u64 {
        let scopes = vec![ARM_SCOPE.to_owned()];
        self.rt
            .block_on(store.run_concurrent(async |a: &Accessor<Host>| {
                plugin.call_repeat_token(a, name.to_owned(), scopes, count).await
            }))
            .expect("no trap")
            .expect("no trap")
            .expect("a token")
    }

    /// The median time of one cached `get-token`, over `calls` of them per export call.
    fn per_get(
        &self,
        store: &mut Store<Host>,
        plugin: &Plugin,
        name: &str,
        calls: u32,
    ) -> Duration {
        self.median(|| {
            let t = Instant::now();
            black_box(self.repeat(store, plugin, name, calls));
            t.elapsed() / calls
        })
    }
}

fn imds_config() -> Config {
    let mut cfg = Config::default();
    cfg.source = Some(SourceKind::Imds);
    cfg
}

fn imds_env(emu: &Emulator) -> EnvSource {
    let vars = emu.env_for("imds");
    for (name, value) in &vars {
        if name.ends_with("HOST") || name.ends_with("ENDPOINT") {
            assert!(value.contains("127.0.0.1"), "{name}={value} must point at loopback");
        }
    }
    EnvSource::Fixed(EnvSnapshot::from_vars(vars))
}

fn median(rounds: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..rounds).map(|_| f()).collect();
    times.sort();
    times[times.len() / 2]
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ns(d: Duration) -> String {
    format!("{} ns", d.as_nanos())
}

/// The same plugin composed with the identity provider, in a WASI 0.2 + wasi:http host.
fn composed(bench: &mut Bench, emu: &Emulator, calls: u32) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../component");
    let provider =
        std::fs::read(dir.join("identity-provider.wasm")).expect("scripts/build-component");
    bench.row("identity provider size (goal ≤ 1.5 MB)", format!("{} bytes", provider.len()));
    let bytes =
        std::fs::read(dir.join("example-plugin-composed.wasm")).expect("scripts/build-component");
    let linker = wasi_linker(&bench.engine).unwrap();
    let pre = bench.load("composed plugin: load from its precompiled artefact", &bytes, &linker);
    let env = emu.env_for("imds");
    let engine = bench.engine.clone();
    let new_store = || Store::new(&engine, Host::composed(&env));
    let (mut store, plugin) =
        bench.instantiate("composed plugin: instantiate (new store + instance)", &pre, new_store);
    // The one fetch, from the emulator, into the provider's cache.
    bench.repeat(&mut store, &plugin, "system", 1);
    // Fewer calls than the host path: with wasmtime 48.0.8 each call from the plugin into the
    // provider keeps one entry of the store's table (1,000,000 at most), so a store fails with
    // "resource table has no free keys" after about a million of them.
    let calls = (calls / 10).max(1_000);
    let per_get = bench.per_get(&mut store, &plugin, "system", calls);
    bench.row("composed: cached token, one get-token inside the plugin", ns(per_get));
}
