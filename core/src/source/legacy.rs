//! The deprecated VM extension (msrestazure's `port`): `POST localhost:PORT/oauth2/token`, form.

use super::request::post_form;

pub(super) fn base(port: u16) -> String {
    format!("http://localhost:{port}/oauth2/token")
}

pub(super) fn request(
    base: &str,
    resource: &str,
    id: Option<(&str, &str)>,
) -> http::Result<http::Request<Vec<u8>>> {
    let mut form = vec![("resource", resource)];
    form.extend(id);
    post_form(base, &form)
}
