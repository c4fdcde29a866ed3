//! Azure Machine Learning compute: api-version 2017-09-01, `secret` header, `clientid`.

use http::header::HeaderValue;

use super::{get, params};

const API_VERSION: &str = "2017-09-01";

pub(super) fn request(
    base: &str,
    resource: &str,
    id: Option<(&str, &str)>,
    secret: Option<HeaderValue>,
) -> http::Result<http::Request<Vec<u8>>> {
    let query = params([("api-version", API_VERSION), ("resource", resource)], id);
    get(base, &query, &[("secret", secret)])
}
