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
}
