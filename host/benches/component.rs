//! The WebAssembly component against the native core: size, loading, the cost of one call
//! across the boundary, a cached token lookup and a cold token flow. Prints a table.
//! Run: `cargo bench -p azmi-host --features component --bench component` (`-- --quick` for a
//! short run). Network: only the emulator on 127.0.0.1.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use azmi_core::{
    Action, Config, EnvSnapshot, RequestId, Resource, TokenFlow, TransportFailure, UnixMillis,
};
use azmi_emulator::{Emulator, EmulatorConfig};
use azmi_host::component::wit::identity as wi;
use azmi_host::component::{
    default_component_path, ComponentInstance, ComponentRuntime, ComponentTokenFlow,
};
use azmi_host::{Engine, EnvSource, ManagedIdentityCredential, Transport};

const ARM: &str = "https://management.azure.com/";
const NOW: UnixMillis = UnixMillis(1_700_000_000_000);

fn main() {
    let quick = std::env::args().any(|a| a == "--quick" || a == "--test");
    let budget = if quick { Duration::from_millis(50) } else { Duration::from_millis(500) };
    let bytes = std::fs::read(default_component_path()).expect("build it: scripts/build-component");
    let mut rows: Vec<(String, String)> = Vec::new();
    rows.push(("component size (goal ≤ 1 MB)".into(), format!("{} bytes", bytes.len())));

    // Loading: compile once into a fresh cache directory, then load from the artefact.
    let dir = std::env::temp_dir().join(format!("azmi-bench-components-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let t = Instant::now();
    drop(ComponentRuntime::from_bytes_cached_in(&bytes, &dir).expect("compiles"));
    rows.push(("first load: compile with Cranelift, write the artefact".into(), ms(t.elapsed())));
    let rounds = if quick { 3 } else { 20 };
    let load = median(rounds, || {
        let t = Instant::now();
        black_box(ComponentRuntime::from_bytes_cached_in(&bytes, &dir).expect("loads"));
        t.elapsed()
    });
    rows.push(("load from the cached precompiled artefact".into(), ms(load)));
    let runtime = Arc::new(ComponentRuntime::from_bytes_cached_in(&bytes, &dir).unwrap());
    let inst = median(rounds * 10, || {
        let t = Instant::now();
        black_box(runtime.instantiate().expect("instantiates"));
        t.elapsed()
    });
    rows.push(("instantiate (new store + instance)".into(), us(inst)));
    let _ = std::fs::remove_dir_all(&dir);
    let instance = runtime.instantiate().unwrap();

    // One step across the boundary, in a flow waiting out a backoff.
    let env = EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")]);
    let cfg = Config::default();
    let mut native = TokenFlow::new(&cfg, &env, &Resource::new(ARM).unwrap(), NOW).unwrap();
    let mut wasm = waiting_component_flow(&instance, &cfg, &env);
    let Action::Send(out) = native.poll(NOW) else { panic!("expected Send") };
    native.handle_transport_error(out.id, TransportFailure::ConnectionReset, NOW);
    let poll_native = per_call(budget, || matches!(native.poll(NOW), Action::WaitUntil(_)));
    let poll_wasm = per_call(budget, || matches!(wasm.poll(NOW).unwrap(), Action::WaitUntil(_)));
    rows.push(("one poll step (a wait), native".into(), ns(poll_native)));
    rows.push(("one poll step (a wait), component (goal ≤ 5 µs)".into(), ns(poll_wasm)));
    let stale = RequestId(u64::MAX);
    let handle_native = per_call(budget, || {
        native.handle_transport_error(stale, TransportFailure::Timeout, NOW);
        true
    });
    let handle_wasm = per_call(budget, || {
        wasm.handle_transport_error(stale, &TransportFailure::Timeout, NOW).is_ok()
    });
    rows.push(("one handle step (transport error), native".into(), ns(handle_native)));
    rows.push(("one handle step (transport error), component".into(), ns(handle_wasm)));

    // A whole cold flow without I/O: start, poll (Send), a canned 200, poll (Done).
    let body = format!(r#"{{"access_token":"t","expires_in":3600,"resource":"{ARM}"}}"#);
    let response = http::Response::new(body.into_bytes());
    let resource = Resource::new(ARM).unwrap();
    let cold_native = per_call(budget, || {
        let mut flow = TokenFlow::new(&cfg, &env, &resource, NOW).unwrap();
        let Action::Send(out) = flow.poll(NOW) else { return false };
        flow.handle_response(out.id, response.clone(), NOW);
        matches!(flow.poll(NOW), Action::Done(Ok(_)))
    });
    let audience = wi::Audience::Resource(ARM.to_owned());
    let cold_wasm = per_call(budget, || {
        let mut flow = ComponentTokenFlow::start(&instance, &cfg, &env, &audience, NOW).unwrap();
        let Action::Send(out) = flow.poll(NOW).unwrap() else { return false };
        flow.handle_response(out.id, &response, NOW).unwrap();
        matches!(flow.poll(NOW).unwrap(), Action::Done(Ok(_)))
    });
    rows.push(("cold token flow, canned response (no I/O), native".into(), us(cold_native)));
    rows.push(("cold token flow, canned response (no I/O), component".into(), us(cold_wasm)));

    // Against the emulator on loopback: a cold token (new credential) and cached lookups.
    let emu = Emulator::start(EmulatorConfig::default()).expect("emulator on loopback");
    let env = EnvSnapshot::from_vars(emu.env_for("imds"));
    let transport = Arc::new(Transport::new());
    let fixed = || EnvSource::Fixed(env.clone());
    let native_cred =
        || ManagedIdentityCredential::with_transport(cfg.clone(), fixed(), Arc::clone(&transport));
    let wasm_cred = || {
        let builder = ManagedIdentityCredential::builder(cfg.clone()).env(fixed());
        let builder = builder.transport(Arc::clone(&transport));
        builder.engine(Engine::component(Arc::clone(&instance))).build().unwrap()
    };
    let loopback_rounds = if quick { 5 } else { 200 };
    let loop_native = median(loopback_rounds, || {
        let c = native_cred();
        let t = Instant::now();
        c.get_token_for(&resource).expect("token");
        t.elapsed()
    });
    let loop_wasm = median(loopback_rounds, || {
        let c = wasm_cred();
        let t = Instant::now();
        c.get_token_for(&resource).expect("token");
        t.elapsed()
    });
    rows.push(("cold token over loopback (emulator), native, median".into(), us(loop_native)));
    rows.push(("cold token over loopback (emulator), component, median".into(), us(loop_wasm)));
    let (warm_native, warm_wasm) = (native_cred(), wasm_cred());
    warm_native.get_token_for(&resource).unwrap();
    warm_wasm.get_token_for(&resource).unwrap();
    let cached_native = per_call(budget, || warm_native.get_token_for(&resource).is_ok());
    let cached_wasm = per_call(budget, || warm_wasm.get_token_for(&resource).is_ok());
    rows.push(("cached token lookup, native".into(), ns(cached_native)));
    rows.push(("cached token lookup, component".into(), ns(cached_wasm)));

    println!("| measurement | value |");
    println!("| --- | --- |");
    for (what, value) in rows {
        println!("| {what} | {value} |");
    }
    let ratio = |w: Duration, n: Duration| w.as_secs_f64() / n.as_secs_f64().max(1e-12);
    println!(
        "component / native: poll ×{:.1}, cold flow (no I/O) ×{:.1}, cold over loopback ×{:.2}, cached ×{:.1}",
        ratio(poll_wasm, poll_native),
        ratio(cold_wasm, cold_native),
        ratio(loop_wasm, loop_native),
        ratio(cached_wasm, cached_native),
    );
}

/// A component flow that sent its request, got a connection reset and now waits to retry.
fn waiting_component_flow(
    instance: &Arc<ComponentInstance>,
    cfg: &Config,
    env: &EnvSnapshot,
) -> ComponentTokenFlow {
    let audience = wi::Audience::Resource(ARM.to_owned());
    let mut flow = ComponentTokenFlow::start(instance, cfg, env, &audience, NOW).unwrap();
    let Action::Send(out) = flow.poll(NOW).unwrap() else { panic!("expected Send") };
    flow.handle_transport_error(out.id, &TransportFailure::ConnectionReset, NOW).unwrap();
    assert!(matches!(flow.poll(NOW).unwrap(), Action::WaitUntil(_)));
    flow
}

/// The mean time of one call, over batches filling `budget`; every call must succeed.
fn per_call(budget: Duration, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed() < budget || calls < 10 {
        for _ in 0..10 {
            assert!(f(), "a benchmarked call failed");
        }
        calls += 10;
    }
    start.elapsed() / calls
}

fn median(rounds: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..rounds.max(1)).map(|_| f()).collect();
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ns(d: Duration) -> String {
    if d < Duration::from_micros(10) {
        format!("{:.0} ns", d.as_secs_f64() * 1e9)
    } else {
        us(d)
    }
}
