//! Azure Instance Metadata Service: `GET /metadata/identity/oauth2/token` with `Metadata: true`.

use super::request::GetRequest;
use crate::env::EnvSnapshot;

const DEFAULT_HOST: &str = "http://169.254.169.254";
const PATH: &str = "/metadata/identity/oauth2/token";

pub(super) const REQUEST: GetRequest = GetRequest::new("2018-02-01").metadata();

/// The token URL: `AZURE_POD_IDENTITY_AUTHORITY_HOST` (trailing `/` removed) replaces the host.
pub(super) fn base(env: &EnvSnapshot) -> String {
    let host = env.get("AZURE_POD_IDENTITY_AUTHORITY_HOST").map(|h| h.trim().trim_end_matches('/'));
    format!("{}{PATH}", host.unwrap_or(DEFAULT_HOST))
}
