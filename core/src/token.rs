//! The access token. Its secret never appears in `Debug`, and it has no `Display`.

use std::fmt;
use std::sync::Arc;

use crate::time::UnixMillis;

/// A bearer token and when it expires and should be refreshed.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    secret: Arc<str>,
    /// Usually `Bearer`.
    pub token_type: String,
    /// When the token stops working.
    pub expires_on: UnixMillis,
    /// When a new token should be fetched (before `expires_on`).
    pub refresh_on: UnixMillis,
    /// When the token starts working, if the endpoint said.
    pub not_before: Option<UnixMillis>,
    /// The audience the endpoint says it issued the token for.
    pub resource: Option<String>,
    raw_response: Option<Arc<str>>,
}

impl AccessToken {
    /// A token from its parts (the parser and tests use this).
    pub fn new(
        secret: &str,
        token_type: &str,
        expires_on: UnixMillis,
        refresh_on: UnixMillis,
    ) -> Self {
        AccessToken {
            secret: Arc::from(secret),
            token_type: token_type.to_owned(),
            expires_on,
            refresh_on: refresh_on.min(expires_on),
            not_before: None,
            resource: None,
            raw_response: None,
        }
    }

    /// A token received at `received`, to be refreshed by the core's rule (`refresh_in` absent).
    pub fn received(
        secret: &str,
        token_type: &str,
        received: UnixMillis,
        expires_on: UnixMillis,
    ) -> Self {
        let refresh_on = crate::expiry::refresh_on(received, expires_on, None);
        AccessToken::new(secret, token_type, expires_on, refresh_on)
    }

    /// The token itself: put it in an `Authorization` header, nowhere else.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The endpoint's JSON body, verbatim (msrestazure exposes it as `.token`). Holds the secret.
    pub fn raw_response(&self) -> Option<&str> {
        self.raw_response.as_deref()
    }

    /// The token with the endpoint's body kept verbatim; adapters that carry a parsed token
    /// across a boundary (the WebAssembly component) rebuild it with this.
    pub fn with_raw_response(mut self, body: &str) -> Self {
        self.raw_response = Some(Arc::from(body));
        self
    }
}

/// Who a JWT access token says it was issued to: its identity claims, decoded from the payload
/// and **not verified** (only the audience's service verifies a token). Nothing here is secret;
/// `azmi doctor` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct IdentityClaims {
    /// Object (principal) id.
    pub oid: Option<String>,
    /// Client (application) id.
    pub appid: Option<String>,
    /// The managed identity's ARM resource id.
    pub xms_mirid: Option<String>,
    /// Tenant id.
    pub tid: Option<String>,
    /// Audience (several are joined with spaces).
    pub aud: Option<String>,
    /// Expiry as the token states it, unix seconds.
    pub exp: Option<u64>,
}

impl AccessToken {
    /// The token's identity claims; `None` when it is not a JWT (some endpoints issue opaque
    /// tokens).
    pub fn identity_claims(&self) -> Option<IdentityClaims> {
        let c = crate::jwt::claims(&self.secret)?;
        let aud = match c.aud {
            Some(serde_json::Value::String(s)) => Some(s),
            Some(serde_json::Value::Array(all)) => {
                let all: Vec<&str> = all.iter().filter_map(serde_json::Value::as_str).collect();
                Some(all.join(" "))
            }
            _ => None,
        };
        let exp = c.exp.filter(|e| e.is_finite() && *e >= 0.0).map(|e| e as u64);
        Some(IdentityClaims {
            oid: c.oid,
            appid: c.appid,
            xms_mirid: c.xms_mirid,
            tid: c.tid,
            aud,
            exp,
        })
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let t = AccessToken::new("eyJsecret", "Bearer", UnixMillis(2), UnixMillis(1))
            .with_raw_response("{\"access_token\":\"eyJsecret\"}");
        assert_eq!(format!("{t:?}"), "AccessToken(***)");
        assert_eq!(format!("{:?}", Some(&t)), "Some(AccessToken(***))");
    }

    #[test]
    fn identity_claims_come_from_the_payload() {
        // {"oid":"o1","appid":"a1","tid":"t1","aud":["x","y"],"exp":1700003600}
        let jwt = "eyJhbGciOiJub25lIn0.eyJvaWQiOiJvMSIsImFwcGlkIjoiYTEiLCJ0aWQiOiJ0MSIsImF1ZCI6WyJ4IiwieSJdLCJleHAiOjE3MDAwMDM2MDB9.c2ln";
        let t = AccessToken::new(jwt, "Bearer", UnixMillis(2), UnixMillis(1));
        let c = t.identity_claims().unwrap();
        assert_eq!(
            (c.oid.as_deref(), c.appid.as_deref(), c.tid.as_deref(), c.aud.as_deref(), c.exp),
            (Some("o1"), Some("a1"), Some("t1"), Some("x y"), Some(1_700_003_600))
        );
        assert_eq!(c.xms_mirid, None);
        let opaque = AccessToken::new("opaque", "Bearer", UnixMillis(2), UnixMillis(1));
        assert_eq!(opaque.identity_claims(), None);
    }
}
