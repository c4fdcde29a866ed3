//! The two shapes a source's token request takes: `GET base?query` with headers, or a form `POST`.
//! The building is written here once; each source module states only its own facts (api-version,
//! parameter order, which headers), so two sources can never drift apart in how they build.

use http::header::{HeaderName, HeaderValue};
use http::Method;

/// A source asked with `GET base?api-version=…&resource=…[&selector=…]`.
#[derive(Debug, Clone, Copy)]
pub(super) struct GetRequest {
    api_version: &'static str,
    /// msrestazure's App Service 2017 request names `resource` before `api-version`.
    resource_first: bool,
    /// Sends `Metadata: true`, the SSRF guard header IMDS-like endpoints require.
    metadata: bool,
    /// The header that carries the source's secret (or Arc's key), when it has one.
    secret_header: Option<&'static str>,
}

impl GetRequest {
    /// `api-version` then `resource`, no headers.
    pub(super) const fn new(api_version: &'static str) -> Self {
        GetRequest { api_version, resource_first: false, metadata: false, secret_header: None }
    }

    /// `resource` before `api-version` in the query.
    pub(super) const fn resource_first(self) -> Self {
        GetRequest { resource_first: true, ..self }
    }

    /// With `Metadata: true`.
    pub(super) const fn metadata(self) -> Self {
        GetRequest { metadata: true, ..self }
    }

    /// The secret goes in header `name` (lower case).
    pub(super) const fn secret_header(self, name: &'static str) -> Self {
        GetRequest { secret_header: Some(name), ..self }
    }

    /// The request for `resource`, the identity selector `id` (appended after the fixed
    /// parameters) and the secret header value, left out when `None`.
    pub(super) fn build(
        &self,
        base: &str,
        resource: &str,
        id: Option<(&str, &str)>,
        secret: Option<HeaderValue>,
    ) -> http::Result<http::Request<Vec<u8>>> {
        let version = ("api-version", self.api_version);
        let resource = ("resource", resource);
        let fixed = if self.resource_first { [resource, version] } else { [version, resource] };
        let query: Vec<_> = fixed.into_iter().chain(id).collect();
        let mut b = builder(Method::GET, with_query(base, &query));
        if self.metadata {
            b = b.header("metadata", HeaderValue::from_static("true"));
        }
        if let (Some(name), Some(value)) = (self.secret_header, secret) {
            b = b.header(HeaderName::from_static(name), value);
        }
        b.body(Vec::new())
    }
}

/// `POST base` with `Metadata: true` and `form`, form-url-encoded (Cloud Shell, the VM extension).
pub(super) fn post_form(base: &str, form: &[(&str, &str)]) -> http::Result<http::Request<Vec<u8>>> {
    builder(Method::POST, base.to_owned())
        .header("Metadata", "true")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(encode(form).into_bytes())
}

/// `base?k=v&…` (or `&…` when `base` already has a query), form-url-encoded.
fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let query = encode(params);
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{query}")
}

/// `k=v&…`, form-url-encoded.
fn encode(params: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish()
}

/// A request builder for `url`.
fn builder(method: Method, url: String) -> http::request::Builder {
    http::Request::builder().method(method).uri(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_append_to_an_existing_one() {
        assert_eq!(with_query("http://h/p?x=1", &[("a", "b c")]), "http://h/p?x=1&a=b+c");
    }

    #[test]
    fn get_requests_follow_their_description() {
        let secret = HeaderValue::from_static("s");
        let shape = GetRequest::new("v").resource_first().secret_header("secret");
        let req = shape.build("http://h/t", "r", Some(("clientid", "c")), Some(secret)).unwrap();
        assert_eq!(req.uri(), "http://h/t?resource=r&api-version=v&clientid=c");
        assert_eq!(req.headers()["secret"], "s");
        assert!(req.headers().get("metadata").is_none());
        let req = GetRequest::new("v").metadata().build("http://h/t", "r", None, None).unwrap();
        assert_eq!(req.uri(), "http://h/t?api-version=v&resource=r");
        assert_eq!(req.headers()["metadata"], "true");
        assert_eq!(req.headers().len(), 1);
    }
}
