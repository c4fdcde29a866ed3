//! What an ARM operation ends with, and its two JSON forms.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::cloud::Cloud;

/// The result of an ARM operation.
///
/// Two JSON forms, the same on every surface:
/// - the **full form** (`Serialize`), for sans-IO APIs and diagnostics:
///   `{"response": ArmResponse}`, `{"items": […], "last": ArmResponse}`,
///   `{"exists": bool, "last": ArmResponse}`, or `{"cloud": {"arm_endpoint", "resource"}}`;
/// - the **natural value** (`into_value`), for client APIs that return plain values: the
///   response's body, the array of items, the boolean, or the cloud's object.
///
/// `ArmResponse` goes to JSON as `{"status", "body", "request_id", "correlation_id",
/// "rate_limits"}`; bodies keep their JSON types (numbers stay as ARM sent them).
#[derive(Debug, Clone, PartialEq)]
pub enum ArmOutcome {
    /// A single response (also the end of a long-running operation).
    Response(ArmResponse),
    /// Every item of a list; `last` is the last page's response.
    Items {
        /// The concatenated `value` arrays.
        items: Vec<Value>,
        /// The last page.
        last: ArmResponse,
    },
    /// The answer to an existence check.
    Exists {
        /// 200/204 → true, 404 → false.
        exists: bool,
        /// The response.
        last: ArmResponse,
    },
    /// The cloud an endpoint describes (`ArmOperation::DiscoverCloud`).
    Cloud(Cloud),
}

/// One ARM response, with what ARM says about its budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmResponse {
    /// HTTP status.
    pub status: u16,
    /// The JSON body; `Null` when empty; a string when the body is not JSON.
    pub body: Value,
    /// `x-ms-request-id`.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id`.
    pub correlation_id: Option<String>,
    /// The `x-ms-ratelimit-remaining-*` headers.
    pub rate_limits: RateLimits,
}

/// ARM's remaining request budget, from the `x-ms-ratelimit-remaining-*` headers, by name without
/// that prefix (e.g. `subscription-reads` → `11999`). JSON: an object of strings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct RateLimits(pub BTreeMap<String, String>);

impl ArmOutcome {
    /// The natural value: `Response` → its body, `Items` → the array of items, `Exists` → the
    /// boolean, `Cloud` → `{"arm_endpoint", "resource"}`.
    pub fn into_value(self) -> Value {
        match self {
            ArmOutcome::Response(r) => r.body,
            ArmOutcome::Items { items, .. } => Value::Array(items),
            ArmOutcome::Exists { exists, .. } => Value::Bool(exists),
            ArmOutcome::Cloud(cloud) => cloud.to_json(),
        }
    }

    /// The last response, when there was one (every outcome but `Cloud`).
    pub fn last_response(&self) -> Option<&ArmResponse> {
        match self {
            ArmOutcome::Response(last)
            | ArmOutcome::Items { last, .. }
            | ArmOutcome::Exists { last, .. } => Some(last),
            ArmOutcome::Cloud(_) => None,
        }
    }
}

impl Serialize for ArmOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        match self {
            ArmOutcome::Response(r) => map.serialize_entry("response", r)?,
            ArmOutcome::Items { items, last } => {
                map.serialize_entry("items", items)?;
                map.serialize_entry("last", last)?;
            }
            ArmOutcome::Exists { exists, last } => {
                map.serialize_entry("exists", exists)?;
                map.serialize_entry("last", last)?;
            }
            ArmOutcome::Cloud(cloud) => map.serialize_entry("cloud", cloud)?,
        }
        map.end()
    }
}

impl ArmResponse {
    /// The response as the flow keeps it: the body parsed as JSON (kept as text when it is not
    /// JSON), ARM's ids and rate-limit headers.
    pub(crate) fn from_http(resp: &http::Response<Vec<u8>>) -> Self {
        let header =
            |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let raw = resp.body();
        let body = if raw.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(raw)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(raw).into_owned()))
        };
        ArmResponse {
            status: resp.status().as_u16(),
            body,
            request_id: header("x-ms-request-id"),
            correlation_id: header("x-ms-correlation-request-id"),
            rate_limits: RateLimits::from_headers(resp.headers()),
        }
    }
}

impl RateLimits {
    /// The remaining count for `name` (e.g. `subscription-writes`), when numeric.
    pub fn remaining(&self, name: &str) -> Option<u64> {
        self.0.get(name)?.trim().parse().ok()
    }

    fn from_headers(headers: &http::HeaderMap) -> Self {
        const PREFIX: &str = "x-ms-ratelimit-remaining-";
        let entries = headers.iter().filter_map(|(k, v)| {
            let name = k.as_str().strip_prefix(PREFIX)?;
            Some((name.to_owned(), v.to_str().ok()?.to_owned()))
        });
        RateLimits(entries.collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(body: Value) -> ArmResponse {
        let resp = http::Response::builder()
            .status(200)
            .header("x-ms-request-id", "rid")
            .header("x-ms-ratelimit-remaining-subscription-reads", "11999")
            .body(body.to_string().into_bytes())
            .unwrap();
        ArmResponse::from_http(&resp)
    }

    #[test]
    fn full_form() {
        let last = response(json!({"value": [1]}));
        let items = ArmOutcome::Items { items: vec![json!({"n": 1.5})], last: last.clone() };
        assert_eq!(
            serde_json::to_value(&items).unwrap(),
            json!({"items": [{"n": 1.5}], "last": {
                "status": 200, "body": {"value": [1]}, "request_id": "rid",
                "correlation_id": null, "rate_limits": {"subscription-reads": "11999"}}})
        );
        let exists = ArmOutcome::Exists { exists: false, last: last.clone() };
        let json = serde_json::to_value(&exists).unwrap();
        assert_eq!((&json["exists"], &json["last"]["status"]), (&json!(false), &json!(200)));
        let single = serde_json::to_value(ArmOutcome::Response(last)).unwrap();
        assert_eq!(single["response"]["body"], json!({"value": [1]}));
        let cloud = serde_json::to_value(ArmOutcome::Cloud(Cloud::china())).unwrap();
        assert_eq!(
            cloud,
            json!({"cloud": {"arm_endpoint": "https://management.chinacloudapi.cn",
                             "resource": "https://management.chinacloudapi.cn/"}})
        );
    }

    #[test]
    fn natural_values() {
        let last = response(json!({"id": "/x", "n": 12345678901234567890u64, "f": 0.1}));
        let body = ArmOutcome::Response(last.clone()).into_value();
        assert_eq!(body, json!({"id": "/x", "n": 12345678901234567890u64, "f": 0.1}));
        assert!(body["n"].is_u64() && body["f"].is_f64(), "numbers keep their type");
        let items = ArmOutcome::Items { items: vec![json!(1), json!("a")], last: last.clone() };
        assert_eq!(items.into_value(), json!([1, "a"]));
        assert_eq!(ArmOutcome::Exists { exists: true, last }.into_value(), json!(true));
        let cloud = ArmOutcome::Cloud(Cloud::public()).into_value();
        assert_eq!(cloud["arm_endpoint"], "https://management.azure.com");
    }
}
