//! App Service, Functions, Container Apps: api-version 2019-08-01 with `X-IDENTITY-HEADER`.

use http::header::HeaderValue;

use super::{get, metadata, params};

const API_VERSION: &str = "2019-08-01";

pub(super) fn request(
    base: &str,
    resource: &str,
    id: Option<(&str, &str)>,
    secret: Option<HeaderValue>,
) -> http::Result<http::Request<Vec<u8>>> {
    let query = params([("api-version", API_VERSION), ("resource", resource)], id);
    // MSAL sends Metadata too: Azure Automation's variant of this endpoint needs it.
    get(base, &query, &[metadata(), ("x-identity-header", secret)])
}
