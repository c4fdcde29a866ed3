//! App Service, Functions, Container Apps: api-version 2019-08-01 with `X-IDENTITY-HEADER`.

use http::header::HeaderValue;
use http::Method;

use super::{builder, maybe_header, with_query};

const API_VERSION: &str = "2019-08-01";

pub(super) fn request(
    base: &str,
    resource: &str,
    id: Option<(&str, &str)>,
    secret: Option<HeaderValue>,
) -> http::Result<http::Request<Vec<u8>>> {
    let mut params = vec![("api-version", API_VERSION), ("resource", resource)];
    params.extend(id);
    // MSAL sends Metadata too: Azure Automation's variant of this endpoint needs it.
    let b = builder(Method::GET, with_query(base, &params)).header("Metadata", "true");
    maybe_header(b, "x-identity-header", secret).body(Vec::new())
}
