//! App Service's legacy protocol (api-version 2017-09-01), as msrestazure speaks it:
//! `$MSI_ENDPOINT/?resource=…&api-version=2017-09-01[&clientid=…]` with a `secret` header.

use super::request::GetRequest;

pub(super) const REQUEST: GetRequest =
    GetRequest::new("2017-09-01").resource_first().secret_header("secret");

/// msrestazure appends `/` before the query; one slash, even if the variable ends with one.
pub(super) fn base(endpoint: String) -> String {
    format!("{}/", endpoint.trim_end_matches('/'))
}
