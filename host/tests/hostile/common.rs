//! Shared setup: short deadlines, the credentials under test, and the checks every case makes.

use std::fmt::Debug;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use azmi_core::{Config, EnvSnapshot};
use azmi_host::{EnvSource, ManagedIdentityCredential};

/// The App Service secret header value; it must never appear in an error.
pub const SECRET: &str = "hostile-secret-header-7f3a9c51";
/// The token the fixed identity endpoints hand out; it must never appear in an error.
pub const TOKEN: &str = "hostile-token-eyJhbGciOiJub25lIn0.c2VjcmV0.sig";
/// The ARM resource every case asks a token for.
pub const ARM: &str = "https://management.azure.com/";
/// The deadline configured for every call.
pub const DEADLINE: Duration = Duration::from_secs(3);
/// A call must end within this, the deadline plus slack for a loaded machine.
pub const LIMIT: Duration = Duration::from_secs(5);

/// Codes that mean "gave up on a server that does not answer in time".
pub const TIMED_OUT: &[&str] = &["deadline_exceeded", "unavailable"];
/// Codes that mean "the answer was not a usable token".
pub const UNUSABLE: &[&str] = &["invalid_response", "endpoint_error"];

/// A credential config with a 3 s deadline, 1 s attempts and quick retries.
pub fn config() -> Config {
    let mut cfg = Config::default();
    cfg.deadline = Some(DEADLINE);
    cfg.attempt_timeout = Duration::from_secs(1);
    cfg.connect_timeout = Duration::from_secs(1);
    cfg.probe_timeout = Duration::from_secs(1);
    cfg.retry.max_retries = 2;
    cfg.retry.initial_delay = Duration::from_millis(100);
    cfg.retry.max_delay = Duration::from_millis(200);
    cfg
}

/// The native credential on IMDS at `url`.
pub fn imds(url: &str) -> ManagedIdentityCredential {
    let env = EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", url)]);
    ManagedIdentityCredential::with_env(config(), EnvSource::Fixed(env))
}

/// The native credential on App Service at `url`, with the recognisable secret header.
pub fn app_service(url: &str) -> ManagedIdentityCredential {
    let endpoint = format!("{url}/msi/token");
    let env = EnvSnapshot::from_vars([
        ("IDENTITY_ENDPOINT", endpoint.as_str()),
        ("IDENTITY_HEADER", SECRET),
    ]);
    ManagedIdentityCredential::with_env(config(), EnvSource::Fixed(env))
}

/// A well-formed token answer carrying `TOKEN`, valid for an hour.
pub fn good_token_body() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    token_body(&[("expires_in", "3600".into()), ("expires_on", (now + 3600).to_string())])
}

/// A token answer with `TOKEN` and the given expiry fields, as strings the way IMDS sends them.
pub fn token_body(expiry: &[(&str, String)]) -> String {
    let mut body = serde_json::json!({
        "access_token": TOKEN,
        "token_type": "Bearer",
        "resource": ARM,
    });
    for (name, value) in expiry {
        body[*name] = serde_json::Value::String(value.clone());
    }
    body.to_string()
}

/// Runs `call`, which must fail, and times it.
pub fn timed<T: Debug, E>(call: impl FnOnce() -> Result<T, E>) -> (E, Duration) {
    let started = Instant::now();
    let result = call();
    let took = started.elapsed();
    match result {
        Ok(value) => panic!("a hostile endpoint gave a result after {took:?}: {value:?}"),
        Err(err) => (err, took),
    }
}

/// The checks every case makes: a code from `codes`, within `LIMIT`, and neither the secret
/// header value nor the token in the message or the debug form.
pub fn check(code: &str, display: &str, debug: &str, took: Duration, codes: &[&str]) {
    assert!(codes.contains(&code), "code {code:?} not one of {codes:?}: {display}");
    assert!(took < LIMIT, "took {took:?} with a deadline of {DEADLINE:?}: {display}");
    for (form, text) in [("Display", display), ("Debug", debug)] {
        assert!(!text.contains(SECRET), "secret header value in {form}: {text}");
        assert!(!text.contains(TOKEN), "token in {form}: {text}");
        // A part of the token is a leak too (e.g. its payload segment).
        assert!(!text.contains("c2VjcmV0"), "token fragment in {form}: {text}");
    }
}
