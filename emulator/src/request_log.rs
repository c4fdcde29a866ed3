//! The request log: which endpoint was called, how, and what it answered. Headers and bodies
//! are never kept, so secrets (`X-IDENTITY-HEADER`, `secret`, Arc keys) and tokens
//! (`Authorization`, response bodies) cannot leak through it; query values whose names suggest
//! a secret are redacted as well.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// One request the emulator received (control API requests are not logged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedRequest {
    /// Endpoint name ([`ENDPOINTS`](crate::ENDPOINTS)), or `unknown` for a path nothing serves.
    pub endpoint: String,
    /// HTTP method.
    pub method: String,
    /// Path and query as sent, secret-looking query values replaced by `REDACTED`.
    pub path: String,
    /// Status answered; `None` when the connection was closed without an answer
    /// ([`Fault::Drop`](crate::Fault::Drop), [`Fault::Hang`](crate::Fault::Hang)).
    pub status: Option<u16>,
    /// When the request arrived.
    pub at: SystemTime,
    /// How long the emulator took to answer (injected latency included).
    pub duration: Duration,
    /// The injected fault's kind ([`Fault::kind`](crate::Fault::kind)), if one was applied.
    pub fault: Option<String>,
}

impl LoggedRequest {
    /// The JSON form served by `GET /_emulator/requests` (times in Unix milliseconds).
    pub fn to_json(&self) -> Value {
        let at_ms = self.at.duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        json!({
            "endpoint": self.endpoint,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "at_ms": u64::try_from(at_ms).unwrap_or(u64::MAX),
            "duration_ms": u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX),
            "fault": self.fault,
        })
    }
}

/// Query parameter names whose values are never logged. None of the managed identity protocols
/// puts a secret in the query, but clients make mistakes and ARM SAS-like URLs exist.
fn is_sensitive(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("secret")
        || n.contains("password")
        || n.contains("assertion")
        || n.contains("signature")
        || matches!(n.as_str(), "sig" | "code" | "key" | "token" | "access_token" | "refresh_token")
}

/// `path?query` with sensitive query values replaced; everything else kept as sent.
pub(crate) fn redacted_target(path: &str, raw_query: Option<&str>) -> String {
    let Some(query) = raw_query else { return path.to_owned() };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| {
            let (raw_name, _) = pair.split_once('=').unwrap_or((pair, ""));
            let name: String =
                form_urlencoded::parse(raw_name.as_bytes()).map(|(k, _)| k.into_owned()).collect();
            if is_sensitive(&name) {
                format!("{raw_name}=REDACTED")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_only_secret_looking_values() {
        assert_eq!(
            redacted_target(
                "/x",
                Some("resource=https%3A%2F%2Fm%2F&client_secret=abc&sig=q&$skiptoken=2")
            ),
            "/x?resource=https%3A%2F%2Fm%2F&client_secret=REDACTED&sig=REDACTED&$skiptoken=2"
        );
        assert_eq!(redacted_target("/x", None), "/x");
    }
}
