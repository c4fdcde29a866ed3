//! App Service's legacy protocol (api-version 2017-09-01), as msrestazure speaks it:
//! `$MSI_ENDPOINT/?resource=…&api-version=2017-09-01[&clientid=…]` with a `secret` header.

use http::header::HeaderValue;

use super::{get, params};

const API_VERSION: &str = "2017-09-01";

/// msrestazure appends `/` before the query; one slash, even if the variable ends with one.
pub(super) fn base(endpoint: String) -> String {
    format!("{}/", endpoint.trim_end_matches('/'))
}

pub(super) fn request(
    base: &str,
    resource: &str,
    id: Option<(&str, &str)>,
    secret: Option<HeaderValue>,
) -> http::Result<http::Request<Vec<u8>>> {
    let query = params([("resource", resource), ("api-version", API_VERSION)], id);
    get(base, &query, &[("secret", secret)])
}
