//! Service Fabric: HTTPS to the cluster's identity endpoint, `Secret` header, api-version
//! 2019-07-01-preview. The cluster certificate is self-signed, so the transport pins its SHA-1
//! thumbprint instead of checking a chain.

use super::request::GetRequest;
use crate::error::ConfigError;

/// No identity selector: the cluster assigns the application its identity.
pub(super) const REQUEST: GetRequest =
    GetRequest::new("2019-07-01-preview").secret_header("secret");

/// The endpoint must be HTTPS: the secret header must not travel in clear.
pub(super) fn check_https(url: &str) -> Result<(), ConfigError> {
    if url.to_ascii_lowercase().starts_with("https://") {
        return Ok(());
    }
    Err(ConfigError::InvalidEndpoint {
        variable: "IDENTITY_ENDPOINT".to_owned(),
        value: url.to_owned(),
        problem: "Service Fabric's identity endpoint must be https".to_owned(),
    })
}

/// 40 upper-case hex digits; colons, spaces and case in the variable are tolerated.
pub(super) fn normalise_thumbprint(raw: &str) -> Result<String, ConfigError> {
    let hex: String = raw
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    if hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(ConfigError::InvalidThumbprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprints_normalise() {
        let t = "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01";
        assert_eq!(normalise_thumbprint(t).unwrap(), "ABCDEF0123456789ABCDEF0123456789ABCDEF01");
        assert_eq!(normalise_thumbprint("abc"), Err(ConfigError::InvalidThumbprint));
        assert!(check_https("http://127.0.0.1:2377/").is_err());
    }
}
