//! Long-running operations: how a 201/202 is polled to its end, as ARM documents it
//! (docs/protocol.md §4): `Azure-AsyncOperation` first, then `Location`, then the resource's own
//! `provisioningState`. The poller is plain data, so it serialises as a continuation token and
//! polling can resume in another process.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::ErrorBody;

/// What is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Mode {
    /// The `Azure-AsyncOperation` URL: a body with `status`.
    AsyncOperation,
    /// The `Location` URL: 202 while running.
    Location,
    /// The resource itself: `properties.provisioningState`.
    ProvisioningState,
}

/// Everything needed to go on polling; serialised as the continuation token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Poller {
    /// Format version of the token.
    pub(crate) v: u32,
    pub(crate) mode: Mode,
    /// What to GET next.
    pub(crate) url: String,
    /// The operation's method and URL.
    pub(crate) method: String,
    pub(crate) resource_url: String,
    /// The initial response's `Location`, where a POST's result is read.
    pub(crate) location: Option<String>,
}

/// Where a polled operation stands.
pub(crate) enum Progress {
    Running,
    /// Finished well; read the result here (or use this response when `None`).
    Succeeded(Option<String>),
    Failed(String, Option<ErrorBody>),
}

/// The poller for an initial answer, or `None` when the answer is already the end.
pub(crate) fn start(
    method: &Method,
    resource_url: &str,
    status: u16,
    headers: &http::HeaderMap,
    body: &Value,
) -> Option<Poller> {
    if !matches!(status, 201 | 202) {
        return None;
    }
    let header = |name: &str| {
        headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
    };
    let location = header("location").map(str::to_owned);
    let (mode, url) = match (header("azure-asyncoperation"), &location) {
        (Some(url), _) => (Mode::AsyncOperation, url.to_owned()),
        (None, Some(url)) => (Mode::Location, url.clone()),
        (None, None) if status == 201 && state(body).is_some_and(|s| !is_terminal(&s)) => {
            (Mode::ProvisioningState, resource_url.to_owned())
        }
        (None, None) => return None,
    };
    Some(Poller {
        v: 1,
        mode,
        url,
        method: method.as_str().to_owned(),
        resource_url: resource_url.to_owned(),
        location,
    })
}

impl Poller {
    /// Judges a successful poll response.
    pub(crate) fn progress(&self, status: u16, body: &Value) -> Result<Progress, String> {
        match self.mode {
            Mode::AsyncOperation => {
                let state = body
                    .get("status")
                    .and_then(Value::as_str)
                    .ok_or("the operation status has no status field")?;
                Ok(self.judge(state, body, self.final_url()))
            }
            Mode::Location if status == 202 => Ok(Progress::Running),
            Mode::Location => Ok(Progress::Succeeded(None)),
            Mode::ProvisioningState => match state(body) {
                Some(s) => Ok(self.judge(&s, body, None)),
                None => Ok(Progress::Succeeded(None)),
            },
        }
    }

    /// What an answer says about where the operation stands (an operation's `status`, else the
    /// resource's `provisioningState`), for logs and progress; never anything else of the body.
    pub(crate) fn state(body: &Value) -> Option<String> {
        let status = body.get("status").and_then(Value::as_str).map(str::to_owned);
        status.or_else(|| state(body))
    }

    fn judge(&self, state: &str, body: &Value, on_success: Option<String>) -> Progress {
        match state.to_ascii_lowercase().as_str() {
            "succeeded" => Progress::Succeeded(on_success),
            "failed" | "canceled" | "cancelled" => {
                Progress::Failed(state.to_owned(), ErrorBody::parse(body))
            }
            _ => Progress::Running,
        }
    }

    /// After `Succeeded` on the operation URL: PUT/PATCH read the resource, POST reads its
    /// `Location` if it gave one, DELETE has nothing to read.
    fn final_url(&self) -> Option<String> {
        match self.method.as_str() {
            "PUT" | "PATCH" => Some(self.resource_url.clone()),
            "POST" => self.location.clone(),
            _ => None,
        }
    }
}

fn state(body: &Value) -> Option<String> {
    body.pointer("/properties/provisioningState").and_then(Value::as_str).map(str::to_owned)
}

fn is_terminal(state: &str) -> bool {
    matches!(state.to_ascii_lowercase().as_str(), "succeeded" | "failed" | "canceled" | "cancelled")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &'static str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::HeaderName::from_static(k), http::HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn async_operation_wins_over_location() {
        let h = headers(&[("azure-asyncoperation", "https://m/op"), ("location", "https://m/loc")]);
        let p = start(&Method::PUT, "https://m/rg", 201, &h, &Value::Null).unwrap();
        assert_eq!((p.mode, p.url.as_str()), (Mode::AsyncOperation, "https://m/op"));
        assert!(matches!(p.progress(200, &json!({"status": "InProgress"})), Ok(Progress::Running)));
        assert!(
            matches!(p.progress(200, &json!({"status": "succeeded"})), Ok(Progress::Succeeded(Some(u))) if u == "https://m/rg")
        );
        let failed =
            p.progress(200, &json!({"status": "Failed", "error": {"code": "X", "message": "m"}}));
        assert!(
            matches!(failed, Ok(Progress::Failed(s, Some(b))) if s == "Failed" && b.code.as_deref() == Some("X"))
        );
    }

    #[test]
    fn plain_answers_need_no_polling() {
        assert!(start(&Method::PUT, "u", 200, &http::HeaderMap::new(), &Value::Null).is_none());
        assert!(start(
            &Method::PUT,
            "u",
            201,
            &http::HeaderMap::new(),
            &json!({"properties": {"provisioningState": "Succeeded"}})
        )
        .is_none());
        let p = start(
            &Method::PUT,
            "u",
            201,
            &http::HeaderMap::new(),
            &json!({"properties": {"provisioningState": "Creating"}}),
        )
        .unwrap();
        assert_eq!(p.mode, Mode::ProvisioningState);
    }
}
