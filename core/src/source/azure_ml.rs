//! Azure Machine Learning compute: api-version 2017-09-01, `secret` header, `clientid`.

use http::header::HeaderValue;
use http::Method;

use super::{builder, maybe_header, with_query};

const API_VERSION: &str = "2017-09-01";

pub(super) fn request(
    base: &str,
    resource: &str,
    id: Option<(&str, &str)>,
    secret: Option<HeaderValue>,
) -> http::Result<http::Request<Vec<u8>>> {
    let mut params = vec![("api-version", API_VERSION), ("resource", resource)];
    params.extend(id);
    maybe_header(builder(Method::GET, with_query(base, &params)), "secret", secret).body(Vec::new())
}
