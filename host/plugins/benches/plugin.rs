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
use azmi_plugin_tests::{engine, host_linker, wasi_linker, Host, PluginPre};
use wasmtime::component::{Accessor, Component};
use wasmtime::{Engine, Store};

const ARM_SCOPE: &str = "https://management.azure.com/.default";

fn main() {
    let quick = std::env::args().any(|a| a == "--quick" || a == "--test");
    let rounds = if quick { 5 } else { 50 };
    let calls: u32 = std::env::var("AZMI_PLUGIN_BENCH_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if quick { 2_000 } else { 100_000 });
    let path = std::env::var_os("AZMI_EXAMPLE_PLUGIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../component/example-plugin.wasm"),
        Into::into,
    );
    let bytes = std::fs::read(&path).expect("build it: scripts/build-component");
    let mut rows: Vec<(String, String)> =
        vec![("example plugin size".into(), format!("{} bytes", bytes.len()))];

    let engine = engine().unwrap();
    let artefact = engine.precompile_component(&bytes).expect("compiles");
    let load = median(rounds, || {
        let t = Instant::now();
        // SAFETY: the artefact was made just above by this engine.
        black_box(unsafe { Component::deserialize(&engine, &artefact) }.expect("loads"));
        t.elapsed()
    });
    rows.push(("load the plugin from its precompiled artefact".into(), us(load)));
    // SAFETY: as above.
    let component = unsafe { Component::deserialize(&engine, &artefact) }.unwrap();
    let linker = host_linker(&engine).unwrap();
    let pre = PluginPre::new(linker.instantiate_pre(&component).unwrap()).unwrap();

    let emu = Emulator::start(EmulatorConfig::default()).expect("emulator on loopback");
    let identities = Arc::new(PluginIdentities::new(imds_config(), imds_env(&emu)));
    let policy =
        PluginPolicy::new().identity("arm", Identity::SystemAssigned).scope(ARM_SCOPE).unwrap();
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let new_store = || {
        let identity = PluginIdentity::new(policy.clone(), Arc::clone(&identities));
        Store::new(&engine, Host::new(identity, &[]))
    };
    let inst = median(rounds * 10, || {
        let mut store = new_store();
        let t = Instant::now();
        black_box(rt.block_on(pre.instantiate_async(&mut store)).expect("instantiates"));
        t.elapsed()
    });
    rows.push(("instantiate the plugin (new store + instance)".into(), us(inst)));

    let mut store = new_store();
    let plugin = rt.block_on(pre.instantiate_async(&mut store)).unwrap();
    let scopes = vec![ARM_SCOPE.to_owned()];
    let mut call = |count: u32| {
        let scopes = scopes.clone();
        rt.block_on(store.run_concurrent(async |a: &Accessor<Host>| {
            plugin.call_repeat_token(a, "arm".into(), scopes, count).await
        }))
        .expect("no trap")
        .expect("no trap")
        .expect("a token")
    };
    call(1); // the one fetch, from the emulator
    let per_export = median(rounds, || {
        let t = Instant::now();
        black_box(call(1));
        t.elapsed()
    });
    rows.push((
        "cached token, one export call from the embedder (get-identity + get-token)".into(),
        us(per_export),
    ));
    let per_get = median(rounds, || {
        let t = Instant::now();
        black_box(call(calls));
        t.elapsed() / calls
    });
    rows.push(("cached token, one get-token inside the plugin (goal ≤ 5 µs)".into(), ns(per_get)));

    let native = identities.credential(&Identity::SystemAssigned);
    let resource = Resource::from_scopes(&[ARM_SCOPE]).unwrap();
    let per_native = median(rounds, || {
        let t = Instant::now();
        for _ in 0..calls {
            black_box(native.cached(&resource).expect("cached"));
        }
        t.elapsed() / calls
    });
    rows.push(("native credential, cached lookup (for comparison)".into(), ns(per_native)));

    composed(&mut rows, &engine, &rt, &emu, rounds, calls);

    println!("| measurement | value |");
    println!("| --- | --- |");
    for (what, value) in rows {
        println!("| {what} | {value} |");
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
fn composed(
    rows: &mut Vec<(String, String)>,
    engine: &Engine,
    rt: &tokio::runtime::Runtime,
    emu: &Emulator,
    rounds: usize,
    calls: u32,
) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../component");
    let provider =
        std::fs::read(dir.join("identity-provider.wasm")).expect("scripts/build-component");
    rows.push((
        "identity provider size (goal ≤ 1.5 MB)".into(),
        format!("{} bytes", provider.len()),
    ));
    let bytes =
        std::fs::read(dir.join("example-plugin-composed.wasm")).expect("scripts/build-component");
    let artefact = engine.precompile_component(&bytes).expect("compiles");
    let load = median(rounds, || {
        let t = Instant::now();
        // SAFETY: the artefact was made just above by this engine.
        black_box(unsafe { Component::deserialize(engine, &artefact) }.expect("loads"));
        t.elapsed()
    });
    rows.push(("composed plugin: load from its precompiled artefact".into(), us(load)));
    // SAFETY: as above.
    let component = unsafe { Component::deserialize(engine, &artefact) }.unwrap();
    let linker = wasi_linker(engine).unwrap();
    let pre = PluginPre::new(linker.instantiate_pre(&component).unwrap()).unwrap();
    let env = emu.env_for("imds");
    let new_store = || Store::new(engine, Host::composed(&env));
    let inst = median(rounds * 10, || {
        let mut store = new_store();
        let t = Instant::now();
        black_box(rt.block_on(pre.instantiate_async(&mut store)).expect("instantiates"));
        t.elapsed()
    });
    rows.push(("composed plugin: instantiate (new store + instance)".into(), us(inst)));
    let mut store = new_store();
    let plugin = rt.block_on(pre.instantiate_async(&mut store)).unwrap();
    let mut call = |count: u32| {
        let scopes = vec![ARM_SCOPE.to_owned()];
        rt.block_on(store.run_concurrent(async |a: &Accessor<Host>| {
            plugin.call_repeat_token(a, "system".into(), scopes, count).await
        }))
        .expect("no trap")
        .expect("no trap")
        .expect("a token")
    };
    call(1); // the one fetch, from the emulator, into the provider's cache
             // Fewer calls than the host path: with wasmtime 48.0.8 each call from the plugin into the
             // provider keeps about one entry of the store's table (1,000,000 at most), so a store
             // fails with "resource table has no free keys" after about a million of them.
    let calls = (calls / 10).max(1_000);
    let per_get = median(rounds, || {
        let t = Instant::now();
        black_box(call(calls));
        t.elapsed() / calls
    });
    rows.push(("composed: cached token, one get-token inside the plugin".into(), ns(per_get)));
}
