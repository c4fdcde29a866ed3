//! The token flow: configuration, environment, detection, actions.

use super::{c, duration, identity_from_wit, identity_to_wit, ms, wi};
use super::{outgoing_from_wit, outgoing_to_wit, retry_from_wit, retry_to_wit};
use super::{source_from_wit, source_to_wit, token_result_from_wit, token_result_to_wit};
use c::UnixMillis;

pub(crate) fn config_to_wit(cfg: &c::Config) -> wi::Config {
    wi::Config {
        identity: identity_to_wit(&cfg.identity),
        source: cfg.source.map(source_to_wit),
        legacy_port: cfg.legacy_port,
        deadline_ms: cfg.deadline.map(ms),
        attempt_timeout_ms: ms(cfg.attempt_timeout),
        connect_timeout_ms: ms(cfg.connect_timeout),
        probe_timeout_ms: ms(cfg.probe_timeout),
        retry: retry_to_wit(&cfg.retry),
        max_response_bytes: cfg.max_response_bytes as u64,
    }
}

pub(crate) fn config_from_wit(w: wi::Config) -> c::Config {
    let mut cfg = c::Config::default();
    cfg.identity = identity_from_wit(w.identity);
    cfg.source = w.source.map(source_from_wit);
    cfg.legacy_port = w.legacy_port;
    cfg.deadline = w.deadline_ms.map(duration);
    cfg.attempt_timeout = duration(w.attempt_timeout_ms);
    cfg.connect_timeout = duration(w.connect_timeout_ms);
    cfg.probe_timeout = duration(w.probe_timeout_ms);
    retry_from_wit(w.retry, &mut cfg.retry);
    cfg.max_response_bytes = usize::try_from(w.max_response_bytes).unwrap_or(usize::MAX);
    cfg
}

/// Only the variables the core reads cross (`VARIABLES`); an empty value counts as unset on
/// both sides, so leaving it out changes nothing.
pub(crate) fn env_to_wit(env: &c::EnvSnapshot) -> wi::Environment {
    let vars = c::VARIABLES
        .iter()
        .filter_map(|name| env.get(name).map(|v| ((*name).to_owned(), v.to_owned())))
        .collect();
    wi::Environment { vars, arc_agent_installed: env.arc_agent_installed() }
}

pub(crate) fn env_from_wit(w: wi::Environment) -> c::EnvSnapshot {
    c::EnvSnapshot::from_vars(w.vars).with_arc_agent_installed(w.arc_agent_installed)
}

pub(crate) fn detection_to_wit(d: &c::Detection) -> wi::Detection {
    wi::Detection {
        source: source_to_wit(d.source),
        decided_by: d.decided_by.iter().map(|v| (*v).to_owned()).collect(),
        forced: d.forced,
        arc_agent_file: d.arc_agent_file,
        explanation: d.explain(),
    }
}

pub(crate) fn detection_from_wit(w: wi::Detection) -> c::Detection {
    c::Detection {
        source: source_from_wit(w.source),
        decided_by: w.decided_by.iter().filter_map(|v| known_variable(v)).collect(),
        forced: w.forced,
        arc_agent_file: w.arc_agent_file,
    }
}

pub(crate) fn action_to_wit(a: &c::Action) -> wi::Action {
    match a {
        c::Action::Send(out) => wi::Action::Send(outgoing_to_wit(out)),
        c::Action::WaitUntil(t) => wi::Action::WaitUntil(t.0),
        c::Action::ReadFile { id, path, max_bytes } => wi::Action::ReadFile(wi::FileRead {
            id: id.0,
            path: path.clone(),
            max_bytes: *max_bytes,
        }),
        c::Action::Done(result) => wi::Action::Done(token_result_to_wit(result)),
    }
}

pub(crate) fn action_from_wit(a: wi::Action) -> Result<c::Action, String> {
    Ok(match a {
        wi::Action::Send(out) => c::Action::Send(outgoing_from_wit(out)?),
        wi::Action::WaitUntil(t) => c::Action::WaitUntil(UnixMillis(t)),
        wi::Action::ReadFile(r) => {
            c::Action::ReadFile { id: c::RequestId(r.id), path: r.path, max_bytes: r.max_bytes }
        }
        wi::Action::Done(result) => c::Action::Done(token_result_from_wit(result)),
    })
}

/// The core's own name for an environment variable the core reads (detection only ever names
/// those), so no string crosses the boundary into a `&'static str` by leaking.
fn known_variable(name: &str) -> Option<&'static str> {
    c::VARIABLES.iter().copied().find(|v| *v == name)
}
