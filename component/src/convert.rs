//! Conversions between the WIT types of `wit/azmi.wit` and azmi-core's types.
//!
//! One file, compiled on both sides of the boundary: into the guest (`component/`) and into the
//! wasmtime adapter (`host/src/component.rs` includes it by path), so the two directions cannot
//! drift apart. The including module provides `w`, holding the generated `types`, `identity`,
//! `cache` and `arm` modules; wit-bindgen (guest) and wasmtime's `bindgen!` (host) generate the
//! same shapes for records and variants. Nothing here decides anything: each function maps
//! fields, and builds core values with the core's own constructors.
// Each side uses the half that crosses in its direction.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use azmi_core as c;
use c::UnixMillis;
use serde_json::Value;

use super::w::{arm as wa, identity as wi, types as wt};

// ---------------------------------------------------------------------------------------------
// Scalars

pub(crate) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

pub(crate) fn duration(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// The core's errors name variables, selectors and problems with `&'static str` taken from its
/// own source. Names that cross the boundary come from that same small vocabulary, so each
/// distinct one is leaked once; the cap bounds what a misbehaving peer could cost.
pub(crate) fn intern(s: &str) -> &'static str {
    const CAP: usize = 1024;
    static SEEN: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = seen.get(s) {
        return known;
    }
    if seen.len() >= CAP {
        return "(name not recognised)";
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    seen.insert(leaked);
    leaked
}

pub(crate) fn source_to_wit(k: c::SourceKind) -> wt::SourceKind {
    use c::SourceKind as C;
    use wt::SourceKind as W;
    match k {
        C::Imds => W::Imds,
        C::AppService => W::AppService,
        C::AppService2017 => W::AppService2017,
        C::AzureMl => W::AzureMl,
        C::CloudShell => W::CloudShell,
        C::AzureArc => W::AzureArc,
        C::ServiceFabric => W::ServiceFabric,
        C::LegacyVmExtension => W::LegacyVmExtension,
    }
}

pub(crate) fn source_from_wit(k: wt::SourceKind) -> c::SourceKind {
    use c::SourceKind as C;
    use wt::SourceKind as W;
    match k {
        W::Imds => C::Imds,
        W::AppService => C::AppService,
        W::AppService2017 => C::AppService2017,
        W::AzureMl => C::AzureMl,
        W::CloudShell => C::CloudShell,
        W::AzureArc => C::AzureArc,
        W::ServiceFabric => C::ServiceFabric,
        W::LegacyVmExtension => C::LegacyVmExtension,
    }
}

pub(crate) fn identity_to_wit(i: &c::Identity) -> wt::Identity {
    match i {
        c::Identity::SystemAssigned => wt::Identity::SystemAssigned,
        c::Identity::ClientId(id) => wt::Identity::ClientId(id.clone()),
        c::Identity::ObjectId(id) => wt::Identity::ObjectId(id.clone()),
        c::Identity::ResourceId(id) => wt::Identity::ResourceId(id.clone()),
    }
}

pub(crate) fn identity_from_wit(i: wt::Identity) -> c::Identity {
    match i {
        wt::Identity::SystemAssigned => c::Identity::SystemAssigned,
        wt::Identity::ClientId(id) => c::Identity::ClientId(id),
        wt::Identity::ObjectId(id) => c::Identity::ObjectId(id),
        wt::Identity::ResourceId(id) => c::Identity::ResourceId(id),
    }
}

// ---------------------------------------------------------------------------------------------
// Transport and file failures

pub(crate) fn transport_to_wit(e: &c::TransportFailure) -> wt::TransportError {
    use c::TransportFailure as C;
    use wt::TransportError as W;
    match e {
        C::ConnectionRefused => W::ConnectionRefused,
        C::Unreachable => W::Unreachable,
        C::Timeout => W::Timeout,
        C::ConnectionReset => W::ConnectionReset,
        C::Tls => W::Tls,
        C::BodyTooLarge => W::BodyTooLarge,
        C::Other(text) => W::Other(text.clone()),
        other => W::Other(other.to_string()),
    }
}

pub(crate) fn transport_from_wit(e: wt::TransportError) -> c::TransportFailure {
    use c::TransportFailure as C;
    use wt::TransportError as W;
    match e {
        W::ConnectionRefused => C::ConnectionRefused,
        W::Unreachable => C::Unreachable,
        W::Timeout => C::Timeout,
        W::ConnectionReset => C::ConnectionReset,
        W::Tls => C::Tls,
        W::BodyTooLarge => C::BodyTooLarge,
        W::Other(text) => C::Other(text),
    }
}

pub(crate) fn file_to_wit(e: &c::FileFailure) -> wt::FileError {
    match e {
        c::FileFailure::NotFound => wt::FileError::NotFound,
        c::FileFailure::TooLarge => wt::FileError::TooLarge,
        c::FileFailure::PermissionDenied => wt::FileError::PermissionDenied,
        c::FileFailure::Other(text) => wt::FileError::Other(text.clone()),
        other => wt::FileError::Other(other.to_string()),
    }
}

pub(crate) fn file_from_wit(e: wt::FileError) -> c::FileFailure {
    match e {
        wt::FileError::NotFound => c::FileFailure::NotFound,
        wt::FileError::TooLarge => c::FileFailure::TooLarge,
        wt::FileError::PermissionDenied => c::FileFailure::PermissionDenied,
        wt::FileError::Other(text) => c::FileFailure::Other(text),
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens

pub(crate) fn token_to_wit(t: &c::AccessToken) -> wt::AccessToken {
    wt::AccessToken {
        secret: t.secret().to_owned(),
        token_type: t.token_type.clone(),
        expires_on: t.expires_on.0,
        refresh_on: t.refresh_on.0,
        not_before: t.not_before.map(|n| n.0),
        resource: t.resource.clone(),
        raw_response: t.raw_response().map(str::to_owned),
    }
}

pub(crate) fn token_from_wit(t: wt::AccessToken) -> c::AccessToken {
    let expires = UnixMillis(t.expires_on);
    let mut token =
        c::AccessToken::new(&t.secret, &t.token_type, expires, UnixMillis(t.refresh_on));
    token.not_before = t.not_before.map(UnixMillis);
    token.resource = t.resource;
    match t.raw_response {
        Some(body) => token.with_raw_response(&body),
        None => token,
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

pub(crate) fn config_error_to_wit(e: &c::ConfigError) -> wt::ConfigError {
    use c::ConfigError as C;
    use wt::ConfigError as W;
    match e {
        C::SeveralIdentities { given } => W::SeveralIdentities(given.clone()),
        C::EmptyIdentity { selector } => W::EmptyIdentity((*selector).to_owned()),
        C::NoScope => W::NoScope,
        C::SeveralScopes { count } => W::SeveralScopes(*count as u64),
        C::InvalidResource { resource } => W::InvalidResource(resource.clone()),
        C::MissingVariable { source_kind, variable } => W::MissingVariable(wt::MissingVariable {
            source_kind: source_to_wit(*source_kind),
            variable: (*variable).to_owned(),
        }),
        C::InvalidEndpoint { variable, value, problem } => {
            W::InvalidEndpoint(wt::InvalidEndpoint {
                variable: (*variable).to_owned(),
                value: value.clone(),
                problem: (*problem).to_owned(),
            })
        }
        C::UnsupportedIdentity { source_kind, selector, hint } => {
            W::UnsupportedIdentity(wt::UnsupportedIdentity {
                source_kind: source_to_wit(*source_kind),
                selector: (*selector).to_owned(),
                hint: (*hint).to_owned(),
            })
        }
        C::InvalidSecret { variable } => W::InvalidSecret((*variable).to_owned()),
        C::InvalidThumbprint => W::InvalidThumbprint,
        C::InvalidSetting { name, problem } => W::InvalidSetting(wt::InvalidSetting {
            name: (*name).to_owned(),
            problem: (*problem).to_owned(),
        }),
        other => W::Other(other.to_string()),
    }
}

pub(crate) fn config_error_from_wit(e: wt::ConfigError) -> c::ConfigError {
    use c::ConfigError as C;
    use wt::ConfigError as W;
    match e {
        W::SeveralIdentities(given) => C::SeveralIdentities { given },
        W::EmptyIdentity(selector) => C::EmptyIdentity { selector: intern(&selector) },
        W::NoScope => C::NoScope,
        W::SeveralScopes(count) => C::SeveralScopes { count: count as usize },
        W::InvalidResource(resource) => C::InvalidResource { resource },
        W::MissingVariable(m) => C::MissingVariable {
            source_kind: source_from_wit(m.source_kind),
            variable: intern(&m.variable),
        },
        W::InvalidEndpoint(e) => C::InvalidEndpoint {
            variable: intern(&e.variable),
            value: e.value,
            problem: intern(&e.problem),
        },
        W::UnsupportedIdentity(u) => C::UnsupportedIdentity {
            source_kind: source_from_wit(u.source_kind),
            selector: intern(&u.selector),
            hint: intern(&u.hint),
        },
        W::InvalidSecret(variable) => C::InvalidSecret { variable: intern(&variable) },
        W::InvalidThumbprint => C::InvalidThumbprint,
        W::InvalidSetting(s) => {
            C::InvalidSetting { name: intern(&s.name), problem: intern(&s.problem) }
        }
        W::Other(message) => C::InvalidSetting { name: "component", problem: intern(&message) },
    }
}

fn status_detail(status: u16, detail: &str) -> wt::StatusDetail {
    wt::StatusDetail { status, detail: detail.to_owned() }
}

fn error_kind_to_wit(k: &c::ErrorKind) -> wt::ErrorKind {
    use c::ErrorKind as C;
    use wt::ErrorKind as W;
    match k {
        C::Config(e) => W::Config(config_error_to_wit(e)),
        C::Unavailable { reason } => W::Unavailable(reason.clone()),
        C::IdentityNotFound { status, detail } => {
            W::IdentityNotFound(status_detail(*status, detail))
        }
        C::BadRequest { status, detail } => W::BadRequest(status_detail(*status, detail)),
        C::Unauthorized { status, detail } => W::Unauthorized(status_detail(*status, detail)),
        C::WrongIdentity { requested, returned } => W::WrongIdentity(wt::WrongIdentity {
            requested: requested.clone(),
            returned: returned.clone(),
        }),
        C::Throttled => W::Throttled,
        C::EndpointError { status, detail } => W::EndpointError(status_detail(*status, detail)),
        C::DeadlineExceeded { deadline } => W::DeadlineExceeded(ms(*deadline)),
        C::InvalidResponse { problem } => W::InvalidResponse(problem.clone()),
        C::KeyFile { problem } => W::KeyFile(problem.clone()),
        other => W::Other(other.to_string()),
    }
}

fn error_kind_from_wit(k: wt::ErrorKind) -> c::ErrorKind {
    use c::ErrorKind as C;
    use wt::ErrorKind as W;
    match k {
        W::Config(e) => C::Config(config_error_from_wit(e)),
        W::Unavailable(reason) => C::Unavailable { reason },
        W::IdentityNotFound(d) => C::IdentityNotFound { status: d.status, detail: d.detail },
        W::BadRequest(d) => C::BadRequest { status: d.status, detail: d.detail },
        W::Unauthorized(d) => C::Unauthorized { status: d.status, detail: d.detail },
        W::WrongIdentity(w) => C::WrongIdentity { requested: w.requested, returned: w.returned },
        W::Throttled => C::Throttled,
        W::EndpointError(d) => C::EndpointError { status: d.status, detail: d.detail },
        W::DeadlineExceeded(deadline) => C::DeadlineExceeded { deadline: duration(deadline) },
        W::InvalidResponse(problem) => C::InvalidResponse { problem },
        W::KeyFile(problem) => C::KeyFile { problem },
        W::Other(reason) => C::Unavailable { reason },
    }
}

pub(crate) fn token_error_to_wit(e: &c::TokenError) -> wt::TokenError {
    let attempts = e
        .attempts
        .iter()
        .map(|a| wt::Attempt {
            started_ms: ms(a.started),
            result: match &a.result {
                c::AttemptResult::Status(s) => wt::AttemptResult::Status(*s),
                c::AttemptResult::Transport(t) => wt::AttemptResult::Transport(transport_to_wit(t)),
            },
            waited_ms: ms(a.waited),
        })
        .collect();
    wt::TokenError {
        kind: error_kind_to_wit(&e.kind),
        source_kind: source_to_wit(e.source_kind),
        attempts,
        code: e.code().to_owned(),
        message: e.to_string(),
    }
}

pub(crate) fn token_error_from_wit(e: wt::TokenError) -> c::TokenError {
    let attempts = e
        .attempts
        .into_iter()
        .map(|a| c::Attempt {
            started: duration(a.started_ms),
            result: match a.result {
                wt::AttemptResult::Status(s) => c::AttemptResult::Status(s),
                wt::AttemptResult::Transport(t) => {
                    c::AttemptResult::Transport(transport_from_wit(t))
                }
            },
            waited: duration(a.waited_ms),
        })
        .collect();
    c::TokenError {
        kind: error_kind_from_wit(e.kind),
        source_kind: source_from_wit(e.source_kind),
        attempts,
    }
}

// WIT's `result<_, _>` crosses by value; the generated bindings take it as it is.
#[allow(clippy::result_large_err)]
pub(crate) fn token_result_to_wit(
    r: &Result<c::AccessToken, c::TokenError>,
) -> Result<wt::AccessToken, wt::TokenError> {
    r.as_ref().map(token_to_wit).map_err(token_error_to_wit)
}

pub(crate) fn token_result_from_wit(
    r: Result<wt::AccessToken, wt::TokenError>,
) -> Result<c::AccessToken, c::TokenError> {
    r.map(token_from_wit).map_err(token_error_from_wit)
}

// ---------------------------------------------------------------------------------------------
// HTTP

pub(crate) fn outgoing_to_wit(out: &c::Outgoing) -> wt::HttpRequest {
    let req = &out.request;
    let headers = req
        .headers()
        .iter()
        .map(|(name, value)| wt::RequestHeader {
            name: name.as_str().to_owned(),
            value: value.as_bytes().to_vec(),
            sensitive: value.is_sensitive(),
        })
        .collect();
    wt::HttpRequest {
        id: out.id.0,
        method: req.method().as_str().to_owned(),
        url: req.uri().to_string(),
        headers,
        body: req.body().clone(),
        timeout_ms: ms(out.timeout),
        connect_timeout_ms: ms(out.connect_timeout),
        max_response_bytes: out.max_response_bytes as u64,
        tls_pin: out.tls_pin.clone(),
        bypass_proxy: out.bypass_proxy,
    }
}

/// The request as the core built it (sensitive headers stay marked); `Err` when a peer sent
/// something `http` cannot hold.
pub(crate) fn outgoing_from_wit(r: wt::HttpRequest) -> Result<c::Outgoing, String> {
    let mut builder = http::Request::builder().method(r.method.as_str()).uri(r.url.as_str());
    for h in r.headers {
        let mut value = http::HeaderValue::from_bytes(&h.value).map_err(|e| e.to_string())?;
        value.set_sensitive(h.sensitive);
        builder = builder.header(h.name.as_str(), value);
    }
    let request = builder.body(r.body).map_err(|e| format!("invalid request: {e}"))?;
    Ok(c::Outgoing {
        id: c::RequestId(r.id),
        request,
        timeout: duration(r.timeout_ms),
        connect_timeout: duration(r.connect_timeout_ms),
        max_response_bytes: usize::try_from(r.max_response_bytes).unwrap_or(usize::MAX),
        tls_pin: r.tls_pin,
        bypass_proxy: r.bypass_proxy,
    })
}

pub(crate) fn response_to_wit(resp: &http::Response<Vec<u8>>) -> wt::HttpResponse {
    let headers = resp
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    wt::HttpResponse { status: resp.status().as_u16(), headers, body: resp.body().clone() }
}

/// `Err` when the status or a header cannot be an HTTP one.
pub(crate) fn response_from_wit(r: wt::HttpResponse) -> Result<http::Response<Vec<u8>>, String> {
    let mut builder = http::Response::builder().status(r.status);
    for (name, value) in r.headers {
        builder = builder.header(name.as_str(), value.as_slice());
    }
    builder.body(r.body).map_err(|e| format!("invalid HTTP response: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Identity: configuration, environment, detection, actions

fn retry_to_wit(r: &c::RetryPolicy) -> wt::RetryPolicy {
    wt::RetryPolicy {
        max_retries: r.max_retries,
        initial_delay_ms: ms(r.initial_delay),
        max_delay_ms: ms(r.max_delay),
        jitter: r.jitter,
        seed: r.seed,
    }
}

fn retry_from_wit(r: wt::RetryPolicy, into: &mut c::RetryPolicy) {
    into.max_retries = r.max_retries;
    into.initial_delay = duration(r.initial_delay_ms);
    into.max_delay = duration(r.max_delay_ms);
    into.jitter = r.jitter;
    into.seed = r.seed;
}

pub(crate) fn config_to_wit(cfg: &c::Config) -> wi::Config {
    wi::Config {
        identity: identity_to_wit(&cfg.identity),
        source: cfg.source.map(source_to_wit),
        legacy_port: cfg.legacy_port,
        deadline_ms: cfg.deadline.map(ms),
        attempt_timeout_ms: ms(cfg.attempt_timeout),
        connect_timeout_ms: ms(cfg.connect_timeout),
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
        decided_by: w.decided_by.iter().map(|v| intern(v)).collect(),
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

// ---------------------------------------------------------------------------------------------
// ARM

pub(crate) fn arm_config_to_wit(cfg: &c::ArmConfig) -> wa::ArmConfig {
    wa::ArmConfig {
        deadline_ms: ms(cfg.deadline),
        attempt_timeout_ms: ms(cfg.attempt_timeout),
        connect_timeout_ms: ms(cfg.connect_timeout),
        retry: retry_to_wit(&cfg.retry),
        lro_poll_delay_ms: ms(cfg.lro_poll_delay),
        max_response_bytes: cfg.max_response_bytes as u64,
    }
}

pub(crate) fn arm_config_from_wit(w: wa::ArmConfig) -> c::ArmConfig {
    let mut cfg = c::ArmConfig::default();
    cfg.deadline = duration(w.deadline_ms);
    cfg.attempt_timeout = duration(w.attempt_timeout_ms);
    cfg.connect_timeout = duration(w.connect_timeout_ms);
    retry_from_wit(w.retry, &mut cfg.retry);
    cfg.lro_poll_delay = duration(w.lro_poll_delay_ms);
    cfg.max_response_bytes = usize::try_from(w.max_response_bytes).unwrap_or(usize::MAX);
    cfg
}

pub(crate) fn cloud_to_wit(cloud: &c::Cloud) -> wa::Cloud {
    wa::Cloud { endpoint: cloud.endpoint().to_owned(), resource: cloud.resource().as_str().into() }
}

pub(crate) fn cloud_from_wit(w: &wa::Cloud) -> Result<c::Cloud, c::ArmError> {
    c::Cloud::custom(&w.endpoint, &w.resource)
}

fn json_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

/// JSON from the other side; text that is not JSON stays a JSON string, as the core does with
/// bodies that are not JSON.
fn json_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

fn json_arg(what: &str, text: Option<&str>) -> Result<Option<Value>, c::ArmError> {
    let Some(text) = text else { return Ok(None) };
    serde_json::from_str(text).map(Some).map_err(|e| {
        c::ArmError::new(c::ArmErrorKind::Config { problem: format!("{what} is not JSON: {e}") })
    })
}

/// The core's request for an operation named in WIT (the core builds and validates it).
pub(crate) fn arm_request_from_wit(r: wa::ArmRequest) -> Result<c::ArmRequest, c::ArmError> {
    use c::ArmRequest as R;
    use wa::ArmOperation as Op;
    let request = match r.operation {
        Op::DiscoverCloud => R::discover_cloud(),
        Op::ListSubscriptions => R::list_subscriptions(),
        Op::GetSubscription(id) => R::get_subscription(&id)?,
        Op::ListResourceGroups(l) => {
            R::list_resource_groups(&l.subscription_id, l.filter.as_deref(), l.top)?
        }
        Op::GetResourceGroup(g) => R::get_resource_group(&g.subscription_id, &g.name)?,
        Op::ResourceGroupExists(g) => R::resource_group_exists(&g.subscription_id, &g.name)?,
        Op::CreateOrUpdateResourceGroup(g) => {
            let tags = json_arg("tags", g.tags_json.as_deref())?;
            let tags = match tags {
                None => None,
                Some(Value::Object(map)) => Some(map),
                Some(_) => {
                    let problem = "tags must be a JSON object".to_owned();
                    return Err(c::ArmError::new(c::ArmErrorKind::Config { problem }));
                }
            };
            R::create_or_update_resource_group(
                &g.subscription_id,
                &g.name,
                &g.location,
                tags.as_ref(),
            )?
        }
        Op::DeleteResourceGroup(d) => R::delete_resource_group(
            &d.subscription_id,
            &d.name,
            d.force_deletion_types.as_deref(),
        )?,
        Op::Generic(g) => {
            let body = json_arg("body", g.body_json.as_deref())?;
            R::new(c::ArmOperation::Generic {
                method: g.method,
                path: g.path,
                api_version: g.api_version,
                body,
                paged: g.paged,
                long_running: g.long_running,
            })?
        }
    };
    let mut request = match r.api_version {
        Some(v) => request.with_api_version(&v)?,
        None => request,
    };
    for (name, value) in &r.query {
        request = request.with_query(name, value);
    }
    Ok(request)
}

fn arm_response_to_wit(r: &c::ArmResponse) -> wa::ArmResponse {
    wa::ArmResponse {
        status: r.status,
        body_json: json_text(&r.body),
        request_id: r.request_id.clone(),
        correlation_id: r.correlation_id.clone(),
        rate_limits: r.rate_limits.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    }
}

fn arm_response_from_wit(w: wa::ArmResponse) -> c::ArmResponse {
    c::ArmResponse {
        status: w.status,
        body: json_value(&w.body_json),
        request_id: w.request_id,
        correlation_id: w.correlation_id,
        rate_limits: c::RateLimits(w.rate_limits.into_iter().collect::<BTreeMap<_, _>>()),
    }
}

pub(crate) fn arm_outcome_to_wit(o: &c::ArmOutcome) -> wa::ArmOutcome {
    match o {
        c::ArmOutcome::Response(r) => wa::ArmOutcome::Response(arm_response_to_wit(r)),
        c::ArmOutcome::Items { items, last } => wa::ArmOutcome::Items(wa::Items {
            items_json: serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned()),
            last: arm_response_to_wit(last),
        }),
        c::ArmOutcome::Exists { exists, last } => {
            wa::ArmOutcome::Exists(wa::Exists { exists: *exists, last: arm_response_to_wit(last) })
        }
        c::ArmOutcome::Cloud(cloud) => wa::ArmOutcome::Cloud(cloud_to_wit(cloud)),
    }
}

pub(crate) fn arm_outcome_from_wit(o: wa::ArmOutcome) -> Result<c::ArmOutcome, c::ArmError> {
    Ok(match o {
        wa::ArmOutcome::Response(r) => c::ArmOutcome::Response(arm_response_from_wit(r)),
        wa::ArmOutcome::Items(i) => c::ArmOutcome::Items {
            items: match json_value(&i.items_json) {
                Value::Array(items) => items,
                other => vec![other],
            },
            last: arm_response_from_wit(i.last),
        },
        wa::ArmOutcome::Exists(e) => {
            c::ArmOutcome::Exists { exists: e.exists, last: arm_response_from_wit(e.last) }
        }
        wa::ArmOutcome::Cloud(cloud) => c::ArmOutcome::Cloud(cloud_from_wit(&cloud)?),
    })
}

fn arm_kind_to_wit(k: &c::ArmErrorKind) -> wa::ArmErrorKind {
    use c::ArmErrorKind as C;
    use wa::ArmErrorKind as W;
    match k {
        C::Config { problem } => W::Config(problem.clone()),
        C::Token(e) => W::Token(token_error_to_wit(e)),
        C::BadRequest => W::BadRequest,
        C::Unauthorized => W::Unauthorized,
        C::Forbidden => W::Forbidden,
        C::NotFound => W::NotFound,
        C::Conflict => W::Conflict,
        C::Throttled => W::Throttled,
        C::ServerError => W::ServerError,
        C::Http => W::Http,
        C::OperationFailed { state } => W::OperationFailed(state.clone()),
        C::ForeignHost { url } => W::ForeignHost(url.clone()),
        C::DeadlineExceeded { deadline } => W::DeadlineExceeded(ms(*deadline)),
        C::Unavailable { reason } => W::Unavailable(reason.clone()),
        C::InvalidResponse { problem } => W::InvalidResponse(problem.clone()),
        other => W::Other(other.to_string()),
    }
}

fn arm_kind_from_wit(k: wa::ArmErrorKind) -> c::ArmErrorKind {
    use c::ArmErrorKind as C;
    use wa::ArmErrorKind as W;
    match k {
        W::Config(problem) => C::Config { problem },
        W::Token(e) => C::Token(Box::new(token_error_from_wit(e))),
        W::BadRequest => C::BadRequest,
        W::Unauthorized => C::Unauthorized,
        W::Forbidden => C::Forbidden,
        W::NotFound => C::NotFound,
        W::Conflict => C::Conflict,
        W::Throttled => C::Throttled,
        W::ServerError => C::ServerError,
        W::Http => C::Http,
        W::OperationFailed(state) => C::OperationFailed { state },
        W::ForeignHost(url) => C::ForeignHost { url },
        W::DeadlineExceeded(deadline) => C::DeadlineExceeded { deadline: duration(deadline) },
        W::Unavailable(reason) => C::Unavailable { reason },
        W::InvalidResponse(problem) | W::Other(problem) => C::InvalidResponse { problem },
    }
}

pub(crate) fn arm_error_to_wit(e: &c::ArmError) -> wa::ArmError {
    wa::ArmError {
        kind: arm_kind_to_wit(&e.kind),
        status: e.status,
        body: e.body.as_deref().map(|b| wa::ErrorBody {
            code: b.code.clone(),
            message: b.message.clone(),
            target: b.target.clone(),
            details: b.details.iter().map(json_text).collect(),
        }),
        request_id: e.request_id.clone(),
        correlation_id: e.correlation_id.clone(),
        code: e.code().to_owned(),
        message: e.to_string(),
    }
}

pub(crate) fn arm_error_from_wit(w: wa::ArmError) -> c::ArmError {
    let mut e = c::ArmError::new(arm_kind_from_wit(w.kind));
    e.status = w.status;
    e.body = w.body.map(|b| {
        Box::new(c::ErrorBody {
            code: b.code,
            message: b.message,
            target: b.target,
            details: b.details.iter().map(|d| json_value(d)).collect(),
        })
    });
    e.request_id = w.request_id;
    e.correlation_id = w.correlation_id;
    e
}

// WIT's `result<_, _>` crosses by value; the generated bindings take it as it is.
#[allow(clippy::result_large_err)]
pub(crate) fn arm_result_to_wit(
    r: &Result<c::ArmOutcome, c::ArmError>,
) -> Result<wa::ArmOutcome, wa::ArmError> {
    r.as_ref().map(arm_outcome_to_wit).map_err(arm_error_to_wit)
}

pub(crate) fn arm_result_from_wit(
    r: Result<wa::ArmOutcome, wa::ArmError>,
) -> Result<c::ArmOutcome, c::ArmError> {
    r.map_err(arm_error_from_wit).and_then(arm_outcome_from_wit)
}

pub(crate) fn arm_action_to_wit(a: &c::ArmAction) -> wa::ArmAction {
    match a {
        c::ArmAction::NeedToken { resource, refresh } => {
            wa::ArmAction::NeedToken(wa::TokenRequest {
                resource: resource.as_str().to_owned(),
                refresh: *refresh,
            })
        }
        c::ArmAction::Send(out) => wa::ArmAction::Send(outgoing_to_wit(out)),
        c::ArmAction::WaitUntil(t) => wa::ArmAction::WaitUntil(t.0),
        c::ArmAction::Done(result) => wa::ArmAction::Done(arm_result_to_wit(result)),
    }
}

pub(crate) fn arm_action_from_wit(a: wa::ArmAction) -> Result<c::ArmAction, String> {
    Ok(match a {
        wa::ArmAction::NeedToken(t) => c::ArmAction::NeedToken {
            resource: c::Resource::new(&t.resource).map_err(|e| e.to_string())?,
            refresh: t.refresh,
        },
        wa::ArmAction::Send(out) => c::ArmAction::Send(outgoing_from_wit(out)?),
        wa::ArmAction::WaitUntil(t) => c::ArmAction::WaitUntil(UnixMillis(t)),
        wa::ArmAction::Done(result) => c::ArmAction::Done(arm_result_from_wit(result)),
    })
}
