//! Traps: a trap fails the call that hit it and the next call works on a fresh store; the one
//! credential and ARM client report a component failure as the core's error of kind `Engine`;
//! and a fetch that dies (a panic in the native engine, a trap in the component) wakes the
//! callers waiting for it at once, in both engines.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use azmi_core::{Action, Cloud, Config, EnvSnapshot, Resource, UnixMillis};
use azmi_host::component::wit::identity as wi;
use azmi_host::component::{ComponentError, ComponentInstance, ComponentTokenFlow};
use azmi_host::{ArmClient, Engine};

use crate::support::{
    credential, credential_on, emulator, requests_to, runtime, ARM, DEFAULT_START,
};

/// A 4 MiB linear memory cannot take an 8 MiB response: the guest's allocator fails, which
/// traps. The call fails with a clear error, the flow is gone, and the next flow works.
#[test]
fn a_trap_fails_that_call_and_the_next_call_uses_a_fresh_store() {
    let instance = runtime().instantiate_with_memory_limit(4 << 20).unwrap();
    assert_eq!(instance.generation(), 0);
    let env = EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")]);
    let audience = wi::Audience::Resource(ARM.to_owned());
    let now = UnixMillis(DEFAULT_START);
    let cfg = Config::default();
    let mut flow = ComponentTokenFlow::start(&instance, &cfg, &env, &audience, now).unwrap();
    let Action::Send(out) = flow.poll(now).unwrap() else { panic!("expected Send") };
    let huge = http::Response::new(vec![b'x'; 8 << 20]);
    let err = flow.handle_response(out.id, &huge, now).unwrap_err();
    let ComponentError::Trap { call, message } = &err else { panic!("expected a trap: {err:?}") };
    assert_eq!(*call, "token-flow.handle-response");
    assert!(!message.is_empty());
    let text = err.to_string();
    assert!(text.contains("trapped in token-flow.handle-response"), "{text}");
    assert!(text.contains("fresh instance"), "{text}");
    assert_eq!(err.code(), "component_trap");
    assert_eq!(instance.generation(), 1, "the store was replaced");
    // The flow died with its store, and says so.
    let err = flow.poll(now).unwrap_err();
    assert_eq!(err, ComponentError::Restarted);
    assert!(err.to_string().contains("start the request again"), "{err}");
    drop(flow);
    // The next call, on the fresh store, works: a whole flow to a token.
    let mut flow = ComponentTokenFlow::start(&instance, &cfg, &env, &audience, now).unwrap();
    let Action::Send(out) = flow.poll(now).unwrap() else { panic!("expected Send") };
    let body = format!(r#"{{"access_token":"t1","expires_in":3600,"resource":"{ARM}"}}"#);
    flow.handle_response(out.id, &http::Response::new(body.into_bytes()), now).unwrap();
    let Action::Done(Ok(token)) = flow.poll(now).unwrap() else { panic!("expected a token") };
    assert_eq!(token.secret(), "t1");
    assert_eq!(instance.generation(), 1);
}

/// Traps `instance` through a flow of its own: an 8 MiB response in a 4 MiB memory.
fn trap(instance: &Arc<ComponentInstance>) {
    let env = EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")]);
    let audience = wi::Audience::Resource(ARM.to_owned());
    let now = azmi_host::now();
    let mut flow =
        ComponentTokenFlow::start(instance, &Config::default(), &env, &audience, now).unwrap();
    let Action::Send(out) = flow.poll(now).unwrap() else { panic!("expected Send") };
    let err = flow.handle_response(out.id, &http::Response::new(vec![0; 8 << 20]), now);
    assert!(matches!(err, Err(ComponentError::Trap { .. })), "{err:?}");
}

fn arm() -> Resource {
    Resource::new(ARM).unwrap()
}

/// The credential rebuilds its cache in the fresh store after a trap and goes on serving.
#[test]
fn a_credential_keeps_working_after_its_instance_trapped() {
    let emu = emulator();
    let instance = runtime().instantiate_with_memory_limit(4 << 20).unwrap();
    let cred = credential_on(&emu, Arc::clone(&instance));
    let first = cred.get_token_for(&arm()).unwrap();
    trap(&instance);
    // The cache died with the store: the next call fetches again, through the fresh store.
    assert!(cred.cached(&arm()).is_none());
    let second = cred.get_token_for(&arm()).unwrap();
    assert!(!second.secret().is_empty());
    assert_eq!(requests_to(&emu, "imds"), 2);
    let third = cred.get_token_for(&arm()).unwrap();
    assert_eq!(third.secret(), second.secret(), "cached again");
    assert_eq!(cred.cached(&arm()).unwrap().secret(), second.secret());
    assert_eq!(requests_to(&emu, "imds"), 2);
    drop(first);
}

/// A trap under an ARM call ends it with the core's `ArmError`, code `engine`, naming what
/// happened; the next call works on the fresh instance.
#[test]
fn a_trap_under_an_arm_call_is_an_engine_error_and_the_next_call_works() {
    let emu = emulator();
    let instance = runtime().instantiate_with_memory_limit(4 << 20).unwrap();
    let cred = credential_on(&emu, Arc::clone(&instance));
    cred.get_token_for(&arm()).unwrap();
    let client = ArmClient::new(cred, Cloud::custom(&emu.arm_endpoint(), ARM).unwrap());
    // Just before ARM's request goes out, the instance traps (through another flow).
    let hook = Hook::new("sending", move || trap(&instance));
    let err = tracing::subscriber::with_default(hook, || client.list_subscriptions()).unwrap_err();
    assert_eq!(err.code(), "engine", "{err}");
    let text = err.to_string();
    assert!(text.contains("restarted after a trap") && text.contains("start the request again"));
    assert!(!client.list_subscriptions().unwrap().is_empty(), "the next call works");
}

type Sabotage = Box<dyn FnOnce() + Send>;

/// The issue's proof, for both engines in one run: a fetch that dies (the native one panics; the
/// component's is trapped under it) gives its ticket back at once. The caller waiting behind it
/// is back within a couple of seconds, not the fetch's 120 s lease, and fetches for itself.
#[test]
fn a_fetch_that_panics_or_traps_wakes_its_waiters_at_once_in_both_engines() {
    let emu = emulator();
    let instance = runtime().instantiate_with_memory_limit(4 << 20).unwrap();
    let trapped = Arc::clone(&instance);
    let engines: [(Engine, Sabotage); 2] = [
        (Engine::native(), Box::new(|| panic!("a fetch that dies midway"))),
        (Engine::component(instance), Box::new(move || trap(&trapped))),
    ];
    for (engine, sabotage) in engines {
        let name = engine.name();
        let cred = credential(&emu, engine);
        let before = requests_to(&emu, "imds");
        // The fetcher: holds the ticket for 600 ms, then dies before sending anything.
        let fetcher = cred.clone();
        let fetch = std::thread::spawn(move || {
            let hook = Hook::new("fetching a managed identity token", move || {
                std::thread::sleep(Duration::from_millis(600));
                sabotage();
            });
            tracing::subscriber::with_default(hook, || fetcher.get_token_for(&arm()))
        });
        std::thread::sleep(Duration::from_millis(200));
        // The waiter: the same key, behind that fetch.
        let (tx, rx) = mpsc::channel();
        let (waiter, started) = (cred.clone(), Instant::now());
        std::thread::spawn(move || {
            let _ = tx.send(waiter.get_token_for(&arm()));
        });
        let waited = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| {
            panic!("{name}: the waiter was not woken when the fetch it waited for died")
        });
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(5), "{name}: back after {elapsed:?}");
        assert!(!waited.unwrap().secret().is_empty(), "{name}");
        match (name, fetch.join()) {
            ("native", Err(_)) => {} // the panic
            ("component", Ok(Err(e))) => assert_eq!(e.code(), "engine", "{e}"),
            (_, other) => panic!("{name}: the fetcher ended with {other:?}"),
        }
        assert_eq!(requests_to(&emu, "imds") - before, 1, "{name}: only the waiter's request");
    }
}

/// A tracing subscriber that runs `action` once, at the first event whose message is `message`:
/// a way into the middle of a fetch through the public API only.
struct Hook {
    message: &'static str,
    action: Mutex<Option<Sabotage>>,
}

impl Hook {
    fn new(message: &'static str, action: impl FnOnce() + Send + 'static) -> Self {
        Hook { message, action: Mutex::new(Some(Box::new(action))) }
    }
}

impl tracing::Subscriber for Hook {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut seen = Message(String::new());
        event.record(&mut seen);
        if seen.0 == self.message {
            // Taken out first: the action may panic, and must not poison the lock.
            let action = self.action.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(action) = action {
                action();
            }
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}
