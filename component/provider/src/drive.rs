//! The core's token flow driven inside the component: the cache decides whether to fetch, the
//! flow decides every request and wait, `send` carries the requests, WASI clocks give the time.

use std::cell::RefCell;
use std::sync::Arc;

use azmi_core::{
    AccessToken, Action, CacheKey, Config, ConfigError, Detection, EnvSnapshot, ErrorKind,
    FileFailure, Identity, Lookup, Naming, Options, Resource, TokenCache, TokenError, TokenFlow,
    UnixMillis,
};
use wasip2::clocks::{monotonic_clock, wall_clock};

use crate::config_failure;
use crate::exports::wasi::identity::types::Error;
use crate::send::send;

/// The provider's options: the core's options record as JSON (snake_case names, e.g.
/// `{"deadline_ms": 5000, "source": "imds"}`), in this environment variable of the component.
pub(crate) const OPTIONS_VARIABLE: &str = "AZMI_PROVIDER_OPTIONS";

fn config(options: Option<&str>) -> Result<Config, ConfigError> {
    let Some(text) = options else { return Ok(Config::default()) };
    let value = serde_json::from_str(text).map_err(|e| ConfigError::InvalidOption {
        key: OPTIONS_VARIABLE.to_owned(),
        problem: format!("not JSON: {e}"),
    })?;
    Options::from_json(value, Naming::Snake)?.config()
}

/// Wall-clock time, as the core counts it.
pub(crate) fn now() -> UnixMillis {
    let t = wall_clock::now();
    UnixMillis(t.seconds * 1000 + u64::from(t.nanoseconds) / 1_000_000)
}

/// A token for `identity` and `resource`: cached, or fetched now (a due refresh is made now
/// too, falling back to the still-valid token if it fails).
pub(crate) fn token(
    cache: &RefCell<TokenCache>,
    identity: &Identity,
    resource: &Resource,
) -> Result<Arc<AccessToken>, Error> {
    let vars = wasip2::cli::environment::get_environment();
    let options = vars.iter().find(|(name, _)| name == OPTIONS_VARIABLE).map(|(_, v)| v.clone());
    let env = EnvSnapshot::from_vars(vars);
    let mut cfg = config(options.as_deref()).map_err(|e| config_failure(&e))?;
    cfg.identity = identity.clone();
    let source = Detection::detect(cfg.source, &env).source;
    let key = CacheKey { source, identity: identity.clone(), resource: resource.clone() };
    let lookup = cache.borrow_mut().lookup(&key, now());
    match lookup {
        Lookup::Fresh(token) | Lookup::Stale(token, None) => Ok(token),
        Lookup::Stale(token, Some(ticket)) => {
            let fetched = fetch(&cfg, &env, resource);
            Ok(cache.borrow_mut().complete(ticket, fetched, now()).unwrap_or(token))
        }
        Lookup::Fetch(ticket) => {
            let fetched = fetch(&cfg, &env, resource);
            cache.borrow_mut().complete(ticket, fetched, now()).map_err(|e| failure(&e))
        }
        // Calls into one instance never overlap, and every fetch completes before its call
        // returns: nobody else can be fetching.
        Lookup::Wait(_) => Err(Error::InternalFailure(
            "engine: the provider's cache reported a fetch in flight; none can be".into(),
        )),
    }
}

/// One token flow, driven to its end.
fn fetch(cfg: &Config, env: &EnvSnapshot, resource: &Resource) -> Result<AccessToken, TokenError> {
    let mut flow = TokenFlow::new(cfg, env, resource, now()).map_err(|e| {
        TokenError::new(Detection::detect(cfg.source, env).source, ErrorKind::Config(e))
    })?;
    loop {
        match flow.poll(now()) {
            Action::Send(out) => {
                let id = out.id;
                match send(out) {
                    Ok(response) => flow.handle_response(id, response, now()),
                    Err(failure) => flow.handle_transport_error(id, failure, now()),
                }
            }
            Action::WaitUntil(at) => sleep_until(at),
            Action::ReadFile { id, .. } => {
                let refused =
                    FileFailure::Other("the provider reads no files (Azure Arc's key file)".into());
                flow.handle_file(id, Err(refused), now());
            }
            Action::Done(result) => return result,
        }
    }
}

fn sleep_until(at: UnixMillis) {
    let left_ms = at.0.saturating_sub(now().0);
    if left_ms > 0 {
        monotonic_clock::subscribe_duration(left_ms * 1_000_000).block();
    }
}

/// A failed request as the draft's error, its stable code first.
fn failure(error: &TokenError) -> Error {
    Error::InternalFailure(format!("{}: {error}", error.code()))
}
