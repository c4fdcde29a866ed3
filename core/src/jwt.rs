//! The claims azmi cross-checks in a JWT access token. Decoded, **not verified**: the token came
//! over the local identity channel and only its audience's service verifies it; azmi reads `exp`
//! (and `exp - iat`, the lifetime as issued, which no clock skew changes) to catch a misread
//! expiry, and the identity claims to catch a token for the wrong identity.
//! Hand-written on purpose: a JWT library would pull a crypto stack into the wasm core for two
//! base64 and JSON calls.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine};
use serde::Deserialize;

/// The claims azmi looks at.
#[derive(Debug, Default, Deserialize, PartialEq)]
pub(crate) struct Claims {
    /// Expiry, unix seconds.
    pub(crate) exp: Option<f64>,
    /// Issued at, unix seconds; loose, so an odd `iat` never costs the identity checks.
    pub(crate) iat: Option<serde_json::Value>,
    /// Client (application) id of the identity.
    pub(crate) appid: Option<String>,
    /// Object (principal) id.
    pub(crate) oid: Option<String>,
    /// ARM resource id of a managed identity.
    pub(crate) xms_mirid: Option<String>,
    /// Tenant id.
    pub(crate) tid: Option<String>,
    /// Audience: a string, or (rarely) an array of them.
    pub(crate) aud: Option<serde_json::Value>,
}

const URL_SAFE_ANY_PAD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

impl Claims {
    /// The lifetime as issued (`exp - iat`), when both are numbers and it is positive.
    pub(crate) fn lifetime(&self) -> Option<std::time::Duration> {
        let secs = self.exp? - self.iat.as_ref()?.as_f64()?;
        (secs > 0.0 && secs < 1e13).then(|| std::time::Duration::from_secs_f64(secs))
    }
}

/// The claims of a compact JWS (`header.payload.signature`); `None` when it is not one.
pub(crate) fn claims(token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_ANY_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_claims_of_a_jwt() {
        let payload = URL_SAFE_ANY_PAD.encode(br#"{"exp":1700003600,"appid":"abc","oid":"o1"}"#);
        let c = claims(&format!("eyJhbGciOiJSUzI1NiJ9.{payload}.sig")).unwrap();
        assert_eq!(c.exp, Some(1_700_003_600.0));
        assert_eq!(c.appid.as_deref(), Some("abc"));
        assert_eq!(claims("opaque-token"), None);
        assert_eq!(claims("a.%%%.c"), None);
    }
}
