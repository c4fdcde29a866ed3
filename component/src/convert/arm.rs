//! ARM: limits, clouds, operations and requests, outcomes, errors and actions.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{c, duration, ms, wa};
use super::{outgoing_from_wit, outgoing_to_wit, retry_from_wit, retry_to_wit};
use super::{token_error_from_wit, token_error_to_wit};
use c::UnixMillis;

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
    serde_json::from_str(text).map(Some).map_err(|e| config(format!("{what} is not JSON: {e}")))
}

fn config(problem: String) -> c::ArmError {
    c::ArmError::new(c::ArmErrorKind::Config { problem })
}

/// The core's operation for a WIT one, field by field (what each sends is the core's table).
pub(crate) fn arm_operation_from_wit(o: wa::ArmOperation) -> Result<c::ArmOperation, c::ArmError> {
    use c::ArmOperation as C;
    use wa::ArmOperation as W;
    Ok(match o {
        W::DiscoverCloud => C::DiscoverCloud {},
        W::ListSubscriptions => C::ListSubscriptions {},
        W::GetSubscription(subscription_id) => C::GetSubscription { subscription_id },
        W::ListResourceGroups(l) => C::ListResourceGroups {
            subscription_id: l.subscription_id,
            filter: l.filter,
            top: l.top,
        },
        W::GetResourceGroup(g) => {
            C::GetResourceGroup { subscription_id: g.subscription_id, name: g.name }
        }
        W::ResourceGroupExists(g) => {
            C::ResourceGroupExists { subscription_id: g.subscription_id, name: g.name }
        }
        W::CreateOrUpdateResourceGroup(g) => C::CreateOrUpdateResourceGroup {
            tags: match json_arg("tags", g.tags_json.as_deref())? {
                None => None,
                Some(Value::Object(tags)) => Some(tags),
                Some(_) => return Err(config("tags must be a JSON object".to_owned())),
            },
            subscription_id: g.subscription_id,
            name: g.name,
            location: g.location,
        },
        W::DeleteResourceGroup(d) => C::DeleteResourceGroup {
            subscription_id: d.subscription_id,
            name: d.name,
            force_deletion_types: d.force_deletion_types,
        },
        W::Generic(g) => C::Generic {
            body: json_arg("body", g.body_json.as_deref())?,
            method: g.method,
            path: g.path,
            api_version: g.api_version,
            paged: g.paged,
            long_running: g.long_running,
        },
    })
}

/// The WIT operation for a core one, field by field.
pub(crate) fn arm_operation_to_wit(o: &c::ArmOperation) -> wa::ArmOperation {
    use c::ArmOperation as C;
    use wa::ArmOperation as W;
    let group = |subscription_id: &String, name: &String| wa::GroupRef {
        subscription_id: subscription_id.clone(),
        name: name.clone(),
    };
    match o {
        C::DiscoverCloud {} => W::DiscoverCloud,
        C::ListSubscriptions {} => W::ListSubscriptions,
        C::GetSubscription { subscription_id } => W::GetSubscription(subscription_id.clone()),
        C::ListResourceGroups { subscription_id, filter, top } => {
            W::ListResourceGroups(wa::ListResourceGroups {
                subscription_id: subscription_id.clone(),
                filter: filter.clone(),
                top: *top,
            })
        }
        C::GetResourceGroup { subscription_id, name } => {
            W::GetResourceGroup(group(subscription_id, name))
        }
        C::ResourceGroupExists { subscription_id, name } => {
            W::ResourceGroupExists(group(subscription_id, name))
        }
        C::CreateOrUpdateResourceGroup { subscription_id, name, location, tags } => {
            W::CreateOrUpdateResourceGroup(wa::CreateResourceGroup {
                subscription_id: subscription_id.clone(),
                name: name.clone(),
                location: location.clone(),
                tags_json: tags.as_ref().map(|t| json_text(&Value::Object(t.clone()))),
            })
        }
        C::DeleteResourceGroup { subscription_id, name, force_deletion_types } => {
            W::DeleteResourceGroup(wa::DeleteResourceGroup {
                subscription_id: subscription_id.clone(),
                name: name.clone(),
                force_deletion_types: force_deletion_types.clone(),
            })
        }
        C::Generic { method, path, api_version, body, paged, long_running } => {
            W::Generic(wa::GenericRequest {
                method: method.clone(),
                path: path.clone(),
                api_version: api_version.clone(),
                body_json: body.as_ref().map(json_text),
                paged: *paged,
                long_running: *long_running,
            })
        }
    }
}

/// The core's request for a WIT one: the operation, then its overrides (checked by the core).
pub(crate) fn arm_request_from_wit(r: wa::ArmRequest) -> Result<c::ArmRequest, c::ArmError> {
    let mut request = c::ArmRequest::new(arm_operation_from_wit(r.operation)?)?;
    if let Some(v) = r.api_version {
        request = request.with_api_version(&v)?;
    }
    for (name, value) in &r.query {
        request = request.with_query(name, value);
    }
    Ok(request)
}

pub(crate) fn arm_request_to_wit(r: &c::ArmRequest) -> wa::ArmRequest {
    wa::ArmRequest {
        operation: arm_operation_to_wit(r.operation()),
        api_version: r.api_version_override().map(str::to_owned),
        query: r.extra_query().to_vec(),
    }
}

/// So that code outside the including crate's private `convert` (the CLI) can hand the
/// component a core request through the public generated type.
impl From<&c::ArmRequest> for wa::ArmRequest {
    fn from(r: &c::ArmRequest) -> Self {
        arm_request_to_wit(r)
    }
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
        C::Throttled { retry_after } => W::Throttled(retry_after.map(ms)),
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
        W::Throttled(retry_after) => C::Throttled { retry_after: retry_after.map(duration) },
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
