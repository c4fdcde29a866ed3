//! Azure Cloud Shell: `POST $MSI_ENDPOINT`, form `resource=…`, `Metadata: true`.

use http::Method;

use super::{builder, encode};

pub(super) fn request(base: &str, resource: &str) -> http::Result<http::Request<Vec<u8>>> {
    builder(Method::POST, base.to_owned())
        .header("Metadata", "true")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(encode(&[("resource", resource)]).into_bytes())
}
