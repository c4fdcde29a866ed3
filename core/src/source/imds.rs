//! Azure Instance Metadata Service: `GET /metadata/identity/oauth2/token` with `Metadata: true`.

use super::request::GetRequest;
use crate::env::EnvSnapshot;
use crate::error::ConfigError;

const DEFAULT_HOST: &str = "http://169.254.169.254";
const PATH: &str = "/metadata/identity/oauth2/token";

pub(super) const REQUEST: GetRequest = GetRequest::new("2018-02-01").metadata();

/// The token URL: `AZURE_POD_IDENTITY_AUTHORITY_HOST` (trailing `/` removed) replaces the host.
pub(super) fn base(env: &EnvSnapshot) -> Result<String, ConfigError> {
    const VARIABLE: &str = "AZURE_POD_IDENTITY_AUTHORITY_HOST";
    let host = match env.get(VARIABLE) {
        Some(h) => super::checked_url(VARIABLE, h)?,
        None => DEFAULT_HOST.to_owned(),
    };
    Ok(format!("{}{PATH}", host.trim_end_matches('/')))
}
