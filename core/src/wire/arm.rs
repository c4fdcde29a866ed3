//! ARM operations (`ArmFlow`) with JSON in and out: every shape is the serde form of a core type
//! (`ArmRequest`, `ArmConfig`, `Cloud`, `ArmOutcome`, `ArmError`).

use serde::Deserialize;
use serde_json::{json, Value};

use super::WireError;
use super::{response, send, token_error_from, token_from, transport_failure};
use crate::action::RequestId;
use crate::arm::{ArmAction, ArmConfig, ArmError, ArmFlow, ArmRequest, Cloud};
use crate::time::UnixMillis;

/// One ARM operation driven with JSON values.
#[derive(Debug)]
pub struct JsonArmFlow {
    flow: ArmFlow,
}

impl JsonArmFlow {
    /// Starts `operation` (`ArmRequest`'s serde form: `{"op": "list_resource_groups",
    /// "subscription_id": …}`) with the limits `cfg` (`ArmConfig`'s) against `cloud` (`null` =
    /// public, a name, or `{"arm_endpoint", "resource"}`).
    pub fn new(cfg: &Value, cloud: &Value, operation: &Value, now: u64) -> Result<Self, WireError> {
        let request = request(operation).map_err(failed)?;
        let cfg = arm_config(cfg).map_err(failed)?;
        let flow = ArmFlow::new(&cfg, &cloud_of(cloud)?, &request, UnixMillis(now));
        Ok(JsonArmFlow { flow: flow.map_err(failed)? })
    }

    /// Resumes a long-running operation from its continuation token.
    pub fn resume(cfg: &Value, cloud: &Value, token: &str, now: u64) -> Result<Self, WireError> {
        let cfg = arm_config(cfg).map_err(failed)?;
        let flow = ArmFlow::resume(&cfg, &cloud_of(cloud)?, token, UnixMillis(now));
        Ok(JsonArmFlow { flow: flow.map_err(failed)? })
    }

    /// The next action: `need_token`, `send`, `wait_until_ms` or `done` (`ArmOutcome`'s full
    /// form, or `{"error": …}` in `ArmError`'s).
    pub fn poll(&mut self, now: u64) -> Value {
        match self.flow.poll(UnixMillis(now)) {
            ArmAction::NeedToken { resource, refresh } => {
                json!({"need_token": {"resource": resource.as_str(), "refresh": refresh}})
            }
            ArmAction::Send(out) => send(&out),
            ArmAction::WaitUntil(t) => json!({"wait_until_ms": t.0}),
            ArmAction::Done(Ok(outcome)) => json!({"done": outcome}),
            ArmAction::Done(Err(e)) => json!({"done": {"error": e}}),
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

/// ARM limits from `{"deadline_ms", "attempt_timeout_ms", "lro_poll_delay_ms", retry…}`
/// (`ArmConfig`'s serde form; `null` = the defaults).
pub fn arm_config(c: &Value) -> Result<ArmConfig, ArmError> {
    match c {
        Value::Null => Ok(ArmConfig::default()),
        c => ArmConfig::deserialize(c).map_err(|e| ArmError::config(format!("ARM config: {e}"))),
    }
}

/// An ARM request from its serde form (`ArmRequest`'s: `{"op": …}`, with `api_version`).
pub fn request(op: &Value) -> Result<ArmRequest, ArmError> {
    ArmRequest::deserialize(op).map_err(|e| ArmError::config(e.to_string()))
}

fn failed(e: ArmError) -> WireError {
    WireError::of(e.code(), e)
}

/// `null` = public, a name, or `{"arm_endpoint", "resource"}` (`Cloud`'s serde form).
fn cloud_of(v: &Value) -> Result<Cloud, WireError> {
    let cloud = Option::<Cloud>::deserialize(v).map_err(|e| WireError::of("config", e))?;
    Ok(cloud.unwrap_or_else(Cloud::public))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(cfg: Value, cloud: Value, op: Value) -> Result<JsonArmFlow, WireError> {
        JsonArmFlow::new(&cfg, &cloud, &op, 1_700_000_000_000)
    }

    #[test]
    fn clouds_configs_and_operations_in_their_serde_forms() {
        let op = json!({"op": "discover_cloud"});
        let custom = json!({"arm_endpoint": "http://127.0.0.1:1", "resource": "r"});
        for cloud in [Value::Null, json!("china"), custom] {
            assert!(start(json!({}), cloud.clone(), op.clone()).is_ok(), "{cloud}");
        }
        let fails = |cfg: Value, cloud: Value, op: Value, says: &str| {
            let e = start(cfg, cloud, op).unwrap_err();
            assert_eq!(e.code, "config", "{e}");
            assert!(e.message.contains(says), "{e}");
        };
        fails(json!({}), json!("mars"), op.clone(), "unknown cloud \"mars\"");
        fails(json!({}), json!({"arm_endpoint": "http://10.1.1.1", "resource": "r"}), op, "https");
        fails(
            json!({"deadline": 1}),
            Value::Null,
            json!({"op": "list_subscriptions"}),
            "`deadline_ms`",
        );
        fails(json!(null), Value::Null, json!({"op": "list_subscriptions", "x": 1}), "`x`");
    }

    #[test]
    fn outcomes_and_errors_in_their_serde_forms() {
        let cloud = json!({"arm_endpoint": "http://127.0.0.1:1", "resource": "r"});
        let mut flow = start(json!({}), cloud, json!({"op": "discover_cloud"})).unwrap();
        let send = flow.poll(0);
        let id = send["send"]["id"].as_u64().unwrap();
        let body = r#"{"authentication": {"audiences": ["https://a/"]}}"#;
        flow.handle_response(id, &json!({"status": 200, "body": body}), 0).unwrap();
        let done = flow.poll(0);
        assert_eq!(done["done"]["cloud"]["resource"], "https://a/", "{done}");

        let cloud = json!({"arm_endpoint": "http://127.0.0.1:1", "resource": "r"});
        let op = json!({"op": "get_subscription", "subscription_id": "s"});
        let mut flow = start(json!({"max_retries": 0}), cloud, op).unwrap();
        assert_eq!(flow.poll(0)["need_token"]["resource"], "r");
        let token = json!({"token": {"access_token": "t", "expires_on_ms": 9_000_000_000_000u64}});
        flow.handle_token(&token, 0).unwrap();
        let id = flow.poll(0)["send"]["id"].as_u64().unwrap();
        let answer = json!({"status": 404, "json": {"error": {"code": "SubscriptionNotFound"}}});
        flow.handle_response(id, &answer, 0).unwrap();
        let error = &flow.poll(0)["done"]["error"];
        assert_eq!((&error["code"], &error["status"]), (&json!("not_found"), &json!(404)));
        assert_eq!(error["arm_code"], "SubscriptionNotFound");
    }
}
