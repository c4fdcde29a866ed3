//! Azure Arc (the HIMDS agent): two legs. The first request is answered 401 with
//! `WWW-Authenticate: Basic realm=<key file path>`; the caller reads that file (after the checks
//! below) and the same request goes again with `Authorization: Basic <file contents>`.
//!
//! The path comes from the network, so it is checked before anything is read: it must sit
//! directly in the agent's key directory, end in `.key`, and contain no `..`. The size cap is
//! given to the caller so the file is never read whole when it is larger.

use super::request::GetRequest;
use crate::error::ConfigError;
use http::header::HeaderValue;

/// Where the agent listens when only its installation tells us Arc is here.
pub(crate) const DEFAULT_ENDPOINT: &str = "http://localhost:40342/metadata/identity/oauth2/token";
/// Where the agent writes its key files on Linux.
pub(crate) const DEFAULT_KEY_DIR: &str = "/var/opt/azcmagent/tokens";
/// Largest key file accepted.
pub(crate) const MAX_KEY_BYTES: u64 = 4096;

/// Both legs; the second carries the key as its secret, in `Authorization`.
pub(super) const REQUEST: GetRequest =
    GetRequest::new("2020-06-01").metadata().secret_header("authorization");

/// `Authorization: Basic <key>` (hidden from `Debug`); an error when the key file holds
/// something no header can carry.
pub(crate) fn basic_auth(key: &str) -> Result<HeaderValue, ConfigError> {
    let mut v = HeaderValue::from_str(&format!("Basic {}", key.trim())).map_err(|_| {
        ConfigError::InvalidSecret { variable: "the Azure Arc key file".to_owned() }
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// The key file path named by a `WWW-Authenticate: Basic realm=<path>` challenge, checked
/// against the key directory. The error says what is wrong with it.
pub(crate) fn key_path(challenge: Option<&str>, key_dir: &str) -> Result<String, String> {
    let challenge = challenge.ok_or("the 401 challenge has no WWW-Authenticate header")?;
    let lower = challenge.to_ascii_lowercase();
    let at = lower.find("realm=").ok_or("the WWW-Authenticate header has no realm")?;
    let path = challenge[at + "realm=".len()..].trim().trim_matches('"');
    let split = path.rfind(['/', '\\']).ok_or("the key path has no directory")?;
    let (dir, name) = (&path[..split], &path[split + 1..]);
    if path.split(['/', '\\']).any(|part| part == "..") {
        return Err("the key path contains '..'".into());
    }
    if dir != key_dir.trim_end_matches(['/', '\\']) {
        return Err(format!("the key file is not in {key_dir}"));
    }
    match name.strip_suffix(".key") {
        Some(stem) if !stem.is_empty() => Ok(path.to_owned()),
        _ => Err("the key file name must end in .key".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = "/var/opt/azcmagent/tokens";

    #[test]
    fn accepts_a_key_in_the_directory() {
        let got = key_path(Some("Basic realm=/var/opt/azcmagent/tokens/abc.key"), DIR);
        assert_eq!(got.as_deref(), Ok("/var/opt/azcmagent/tokens/abc.key"));
    }

    #[test]
    fn refuses_paths_outside_or_odd() {
        for bad in [
            "Basic realm=/etc/shadow.key",
            "Basic realm=/var/opt/azcmagent/tokens/../../../etc/x.key",
            "Basic realm=/var/opt/azcmagent/tokens/abc.txt",
            "Basic realm=/var/opt/azcmagent/tokens/.key",
            "Basic realm=/var/opt/azcmagent/tokens/sub/abc.key",
            "Basic",
        ] {
            assert!(key_path(Some(bad), DIR).is_err(), "{bad}");
        }
        assert!(key_path(None, DIR).is_err());
    }
}
