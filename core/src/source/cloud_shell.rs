//! Azure Cloud Shell: `POST $MSI_ENDPOINT`, form `resource=…`, `Metadata: true`.

use super::request::post_form;

pub(super) fn request(base: &str, resource: &str) -> http::Result<http::Request<Vec<u8>>> {
    post_form(base, &[("resource", resource)])
}
