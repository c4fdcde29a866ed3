//! The ARM operations azmi knows by name, and a generic request for everything else.

use http::Method;
use serde_json::{json, Map, Value};

use super::error::ArmError;

const SUBSCRIPTIONS_API: &str = "2022-12-01";
const RESOURCE_GROUPS_API: &str = "2021-04-01";
const METADATA_API: &str = "2015-01-01";

/// How the flow treats the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One request, one response.
    Single,
    /// A list: follow `nextLink`, collect `value`.
    Paged,
    /// 201/202 start polling.
    LongRunning,
    /// HEAD: 204 → true, 404 → false.
    Exists,
    /// `metadata/endpoints`, without a token.
    Discovery,
}

/// One ARM operation, before it is sent. Build with the named constructors or `generic`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmRequest {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) api_version: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Value>,
    pub(crate) shape: Shape,
}

impl ArmRequest {
    /// `GET /metadata/endpoints`: what the endpoint says about its cloud (no token needed).
    pub fn discover_cloud() -> Self {
        Self::new(Method::GET, "/metadata/endpoints".into(), METADATA_API, Shape::Discovery)
    }

    /// Every subscription the identity can see.
    pub fn list_subscriptions() -> Self {
        Self::new(Method::GET, "/subscriptions".into(), SUBSCRIPTIONS_API, Shape::Paged)
    }

    /// One subscription.
    pub fn get_subscription(subscription_id: &str) -> Result<Self, ArmError> {
        let path = format!("/subscriptions/{}", segment("subscription id", subscription_id)?);
        Ok(Self::new(Method::GET, path, SUBSCRIPTIONS_API, Shape::Single))
    }

    /// The resource groups of a subscription; `filter` is OData `$filter`, `top` is `$top`.
    pub fn list_resource_groups(
        subscription_id: &str,
        filter: Option<&str>,
        top: Option<u32>,
    ) -> Result<Self, ArmError> {
        let path = format!(
            "/subscriptions/{}/resourcegroups",
            segment("subscription id", subscription_id)?
        );
        let mut r = Self::new(Method::GET, path, RESOURCE_GROUPS_API, Shape::Paged);
        r.query.extend(filter.map(|f| ("$filter".to_owned(), f.to_owned())));
        r.query.extend(top.map(|t| ("$top".to_owned(), t.to_string())));
        Ok(r)
    }

    /// One resource group.
    pub fn get_resource_group(subscription_id: &str, name: &str) -> Result<Self, ArmError> {
        Ok(Self::new(
            Method::GET,
            group_path(subscription_id, name)?,
            RESOURCE_GROUPS_API,
            Shape::Single,
        ))
    }

    /// Whether a resource group exists (`HEAD`).
    pub fn resource_group_exists(subscription_id: &str, name: &str) -> Result<Self, ArmError> {
        Ok(Self::new(
            Method::HEAD,
            group_path(subscription_id, name)?,
            RESOURCE_GROUPS_API,
            Shape::Exists,
        ))
    }

    /// Creates or updates a resource group in `location` with `tags`.
    pub fn create_or_update_resource_group(
        subscription_id: &str,
        name: &str,
        location: &str,
        tags: Option<&Map<String, Value>>,
    ) -> Result<Self, ArmError> {
        if location.trim().is_empty() {
            return Err(ArmError::config("a resource group needs a location, e.g. westeurope"));
        }
        let mut body = json!({ "location": location });
        if let Some(tags) = tags {
            body["tags"] = Value::Object(tags.clone());
        }
        let mut r = Self::new(
            Method::PUT,
            group_path(subscription_id, name)?,
            RESOURCE_GROUPS_API,
            Shape::LongRunning,
        );
        r.body = Some(body);
        Ok(r)
    }

    /// Deletes a resource group (long-running); `force_deletion_types` is ARM's
    /// `forceDeletionTypes`, e.g. `Microsoft.Compute/virtualMachines`.
    pub fn delete_resource_group(
        subscription_id: &str,
        name: &str,
        force_deletion_types: Option<&str>,
    ) -> Result<Self, ArmError> {
        let mut r = Self::new(
            Method::DELETE,
            group_path(subscription_id, name)?,
            RESOURCE_GROUPS_API,
            Shape::LongRunning,
        );
        r.query
            .extend(force_deletion_types.map(|t| ("forceDeletionTypes".to_owned(), t.to_owned())));
        Ok(r)
    }

    /// Any request on any resource path (starting with `/`): anything ARM offers.
    pub fn generic(
        method: &str,
        path: &str,
        api_version: &str,
        body: Option<Value>,
    ) -> Result<Self, ArmError> {
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| ArmError::config(format!("{method:?} is not an HTTP method")))?;
        let valid = path.starts_with('/')
            && !path.starts_with("//")
            && path.parse::<http::uri::PathAndQuery>().is_ok();
        if !valid || path.contains(['?', '#']) {
            return Err(ArmError::config(format!(
                "path {path:?} must be a resource path starting with / (no query)"
            )));
        }
        let mut r = Self::new(method, path.to_owned(), api_version, Shape::Single);
        r.body = body;
        Ok(r)
    }

    /// Follows `nextLink` and returns every item.
    pub fn paged(mut self) -> Self {
        self.shape = Shape::Paged;
        self
    }

    /// Polls a 201/202 answer to its end.
    pub fn long_running(mut self) -> Self {
        self.shape = Shape::LongRunning;
        self
    }

    /// Replaces the default api-version.
    pub fn with_api_version(mut self, api_version: &str) -> Result<Self, ArmError> {
        if api_version.trim().is_empty() || api_version.contains(char::is_whitespace) {
            return Err(ArmError::config(format!("api-version {api_version:?} is not valid")));
        }
        self.api_version = api_version.to_owned();
        Ok(self)
    }

    /// Adds a query parameter.
    pub fn with_query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The HTTP method (the accessors below let a host hand the request to another build of
    /// this core, such as the WebAssembly component, which rebuilds it).
    pub fn method(&self) -> &str {
        self.method.as_str()
    }

    /// The resource path, without query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The api-version it is sent with.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The query parameters after `api-version`.
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// The JSON body.
    pub fn body(&self) -> Option<&Value> {
        self.body.as_ref()
    }

    /// Follows `nextLink` and collects `value`.
    pub fn is_paged(&self) -> bool {
        self.shape == Shape::Paged
    }

    /// Polls a 201/202 answer to its end.
    pub fn is_long_running(&self) -> bool {
        self.shape == Shape::LongRunning
    }

    /// A `HEAD` whose answer is whether the resource exists.
    pub fn is_existence_check(&self) -> bool {
        self.shape == Shape::Exists
    }

    /// `metadata/endpoints`, sent without a token.
    pub fn is_discovery(&self) -> bool {
        self.shape == Shape::Discovery
    }

    /// Whether the request needs a bearer token.
    pub(crate) fn needs_token(&self) -> bool {
        self.shape != Shape::Discovery
    }

    /// The full URL on `endpoint`.
    pub(crate) fn url(&self, endpoint: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("api-version", &self.api_version);
        q.extend_pairs(&self.query);
        format!("{endpoint}{}?{}", self.path, q.finish())
    }

    fn new(method: Method, path: String, api_version: &str, shape: Shape) -> Self {
        ArmRequest {
            method,
            path,
            api_version: api_version.to_owned(),
            query: Vec::new(),
            body: None,
            shape,
        }
    }
}

fn group_path(subscription_id: &str, name: &str) -> Result<String, ArmError> {
    let sub = segment("subscription id", subscription_id)?;
    Ok(format!(
        "/subscriptions/{sub}/resourcegroups/{}",
        percent_encode_non_ascii(group_name(name)?)
    ))
}

/// Non-ASCII letters (which ARM allows in names) as percent-encoded UTF-8; ASCII as is.
fn percent_encode_non_ascii(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// A path segment: non-empty, and nothing that would change the path.
fn segment<'a>(what: &str, value: &'a str) -> Result<&'a str, ArmError> {
    let ok = !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(value)
    } else {
        Err(ArmError::config(format!("{what} {value:?} must be letters, digits and '-'")))
    }
}

/// ARM's rule: 1–90 characters of letters, digits, `-_.()`, not ending in `.`.
fn group_name(name: &str) -> Result<&str, ArmError> {
    let chars_ok = name.chars().all(|c| c.is_alphanumeric() || "-_.()".contains(c));
    let len = name.chars().count();
    if (1..=90).contains(&len) && chars_ok && !name.ends_with('.') {
        return Ok(name);
    }
    Err(ArmError::config(format!(
        "resource group name {name:?} is not valid: 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_api_version_first() {
        let r =
            ArmRequest::list_resource_groups("0000-1", Some("tagName eq 'a'"), Some(5)).unwrap();
        assert_eq!(
            r.url("https://management.azure.com"),
            "https://management.azure.com/subscriptions/0000-1/resourcegroups?api-version=2021-04-01&%24filter=tagName+eq+%27a%27&%24top=5"
        );
    }

    #[test]
    fn names_are_validated() {
        assert!(ArmRequest::get_resource_group("s", "rg-ok_(1).x").is_ok());
        let r = ArmRequest::get_resource_group("s", "grüße").unwrap();
        assert_eq!(
            r.url("https://h"),
            "https://h/subscriptions/s/resourcegroups/gr%C3%BC%C3%9Fe?api-version=2021-04-01"
        );
        for bad in ["", "ends.", "has space", "a/b", &"x".repeat(91)] {
            assert!(ArmRequest::get_resource_group("s", bad).is_err(), "{bad}");
        }
        assert!(ArmRequest::get_subscription("../x").is_err());
        assert!(ArmRequest::generic("GET", "//evil.example/x", "1", None).is_err());
        assert!(ArmRequest::generic("GET", "/x?y=1", "1", None).is_err());
        assert!(ArmRequest::generic("BAD METHOD", "/x", "1", None).is_err());
    }
}
