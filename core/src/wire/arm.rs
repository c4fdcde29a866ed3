//! ARM operations (`ArmFlow`) with JSON in and out.

use serde_json::{json, Value};

use super::WireError;
use super::{response, retry_settings, send, token_error_from, token_from, transport_failure};
use crate::action::RequestId;
use crate::arm::Cloud;
use crate::arm::{ArmAction, ArmConfig, ArmError, ArmFlow, ArmOutcome, ArmRequest, ArmResponse};
use crate::time::UnixMillis;

/// One ARM operation driven with JSON values.
#[derive(Debug)]
pub struct JsonArmFlow {
    flow: ArmFlow,
}

impl JsonArmFlow {
    /// Starts `operation` (`{"op": "list_resource_groups", "subscription_id": …}`; the
    /// operations are those of this module's `request`) against `cloud` (`null` = public, a
    /// name, or `{"arm_endpoint", "resource"}`).
    pub fn new(cfg: &Value, cloud: &Value, operation: &Value, now: u64) -> Result<Self, WireError> {
        let request = request(operation).map_err(failed)?;
        let flow = ArmFlow::new(&arm_config(cfg), &cloud_of(cloud)?, &request, UnixMillis(now));
        Ok(JsonArmFlow { flow: flow.map_err(failed)? })
    }

    /// Resumes a long-running operation from its continuation token.
    pub fn resume(cfg: &Value, cloud: &Value, token: &str, now: u64) -> Result<Self, WireError> {
        let flow = ArmFlow::resume(&arm_config(cfg), &cloud_of(cloud)?, token, UnixMillis(now));
        Ok(JsonArmFlow { flow: flow.map_err(failed)? })
    }

    /// The next action: `need_token`, `send`, `wait_until_ms` or `done` (`response`, `items`,
    /// `exists`, `cloud` or `error`).
    pub fn poll(&mut self, now: u64) -> Value {
        match self.flow.poll(UnixMillis(now)) {
            ArmAction::NeedToken { resource, refresh } => {
                json!({"need_token": {"resource": resource.as_str(), "refresh": refresh}})
            }
            ArmAction::Send(out) => send(&out),
            ArmAction::WaitUntil(t) => json!({"wait_until_ms": t.0}),
            ArmAction::Done(Ok(outcome)) => json!({"done": outcome_json(outcome)}),
            ArmAction::Done(Err(e)) => json!({"done": {"error": arm_error(&e)}}),
        }
    }

    /// The token it asked for: `{"token": {…}}` or `{"error": {"code", "message"?}}`.
    pub fn handle_token(&mut self, result: &Value, now: u64) -> Result<(), WireError> {
        let result = match (&result["token"], &result["error"]) {
            (t @ Value::Object(_), _) => Ok(token_from(t, UnixMillis(now))?),
            (_, e @ Value::Object(_)) => Err(token_error_from(e, None)?),
            _ => {
                return Err(WireError::input("a token result is {\"token\": …} or {\"error\": …}"))
            }
        };
        self.flow.handle_token(result, UnixMillis(now));
        Ok(())
    }

    /// The answer to request `id`.
    pub fn handle_response(&mut self, id: u64, resp: &Value, now: u64) -> Result<(), WireError> {
        self.flow.handle_response(RequestId(id), response(resp)?, UnixMillis(now));
        Ok(())
    }

    /// Request `id` failed in transport.
    pub fn handle_transport_error(&mut self, id: u64, kind: &str, now: u64) {
        self.flow.handle_transport_error(RequestId(id), transport_failure(kind), UnixMillis(now));
    }

    /// A token to resume a long-running operation later, once it is polling.
    pub fn continuation_token(&self) -> Option<String> {
        self.flow.continuation_token()
    }
}

/// ARM limits from `{"deadline_ms", "attempt_timeout_ms", "lro_poll_delay_ms", retry…}`.
pub fn arm_config(c: &Value) -> ArmConfig {
    let mut cfg = ArmConfig::default();
    let ms = |name: &str| c[name].as_u64().map(std::time::Duration::from_millis);
    cfg.deadline = ms("deadline_ms").unwrap_or(cfg.deadline);
    cfg.attempt_timeout = ms("attempt_timeout_ms").unwrap_or(cfg.attempt_timeout);
    cfg.lro_poll_delay = ms("lro_poll_delay_ms").unwrap_or(cfg.lro_poll_delay);
    retry_settings(c, &mut cfg.retry);
    cfg
}

fn failed(e: ArmError) -> WireError {
    WireError::of(e.code(), e)
}

fn cloud_of(v: &Value) -> Result<Cloud, WireError> {
    match v {
        Value::Null => Ok(Cloud::public()),
        Value::String(name) => Cloud::from_name(name).ok_or_else(|| {
            let problem = format!("unknown cloud {name:?}; one of public, us_government, china");
            WireError::of("config", problem)
        }),
        custom => {
            let s = |k: &str| custom[k].as_str().unwrap_or_default();
            Cloud::custom(s("arm_endpoint"), s("resource")).map_err(failed)
        }
    }
}

/// An ARM request from `{"op", …}`: `discover_cloud`, `list_subscriptions`, `get_subscription`,
/// `list_resource_groups` (`filter`, `top`), `get_resource_group`, `resource_group_exists`,
/// `create_or_update_resource_group` (`location`, `tags`), `delete_resource_group`
/// (`force_deletion_types`), or `request` (`method`, `path`, `api_version`, `body`, `paged`,
/// `lro`). `api_version` overrides the operation's own.
pub fn request(op: &Value) -> Result<ArmRequest, ArmError> {
    let s = |k: &str| op[k].as_str();
    let (sub, name) = (s("subscription_id").unwrap_or_default(), s("name").unwrap_or_default());
    let request = match s("op").unwrap_or_default() {
        "discover_cloud" => ArmRequest::discover_cloud(),
        "list_subscriptions" => ArmRequest::list_subscriptions(),
        "get_subscription" => ArmRequest::get_subscription(sub)?,
        "list_resource_groups" => {
            let top = op["top"].as_u64().map(|t| t.min(u32::MAX as u64) as u32);
            ArmRequest::list_resource_groups(sub, s("filter"), top)?
        }
        "get_resource_group" => ArmRequest::get_resource_group(sub, name)?,
        "resource_group_exists" => ArmRequest::resource_group_exists(sub, name)?,
        "create_or_update_resource_group" => {
            let location = s("location").unwrap_or_default();
            ArmRequest::create_or_update_resource_group(
                sub,
                name,
                location,
                op["tags"].as_object(),
            )?
        }
        "delete_resource_group" => {
            ArmRequest::delete_resource_group(sub, name, s("force_deletion_types"))?
        }
        "request" => return generic(op),
        other => return Err(ArmError::config(format!("unknown ARM operation {other:?}"))),
    };
    match s("api_version") {
        Some(v) => request.with_api_version(v),
        None => Ok(request),
    }
}

fn generic(op: &Value) -> Result<ArmRequest, ArmError> {
    let s = |k: &str| op[k].as_str();
    let method = s("method").unwrap_or("GET");
    let path = s("path").unwrap_or_default();
    let r = ArmRequest::generic(
        method,
        path,
        s("api_version").unwrap_or_default(),
        op.get("body").cloned(),
    )?;
    let r = if op["paged"].as_bool() == Some(true) { r.paged() } else { r };
    Ok(if op["lro"].as_bool() == Some(true) { r.long_running() } else { r })
}

fn outcome_json(outcome: ArmOutcome) -> Value {
    match outcome {
        ArmOutcome::Response(r) => json!({"response": response_json(&r)}),
        ArmOutcome::Items { items, last } => json!({"items": items, "last": response_json(&last)}),
        ArmOutcome::Exists { exists, last } => {
            json!({"exists": exists, "last": response_json(&last)})
        }
        ArmOutcome::Cloud(c) => {
            json!({"cloud": {"arm_endpoint": c.endpoint(), "resource": c.resource().as_str()}})
        }
    }
}

fn response_json(r: &ArmResponse) -> Value {
    json!({
        "status": r.status,
        "body": r.body,
        "request_id": r.request_id,
        "correlation_id": r.correlation_id,
        "rate_limits": r.rate_limits.0,
    })
}

/// An ARM error as JSON: stable code, message, status, ARM's error code and target.
pub fn arm_error(e: &ArmError) -> Value {
    let body = e.body.as_deref();
    json!({
        "code": e.code(),
        "message": e.to_string(),
        "status": e.status,
        "arm_code": body.and_then(|b| b.code.as_deref()),
        "target": body.and_then(|b| b.target.as_deref()),
        "details_count": body.map_or(0, |b| b.details.len()),
        "request_id": e.request_id,
        "correlation_id": e.correlation_id,
    })
}
