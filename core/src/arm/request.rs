//! `ArmRequest`: an `ArmOperation` checked and laid out by the operation table, with the caller's
//! overrides.

use http::Method;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::error::ArmError;
use super::layout::{check_api_version, Plan, Shape};
use super::operation::{ArmOperation, ArmOperationKind};

/// One ARM operation, checked and ready to start an `ArmFlow`: an `ArmOperation` laid out by
/// the table (`ArmOperationKind::spec`), plus the caller's overrides (an api-version, extra query
/// parameters). Build it with `ArmRequest::new` (the named constructors are one line over it).
///
/// Its serde form is the operation's, plus two optional keys: `api_version` on a named
/// operation (replaces the table's; the generic `request` has its own), and `query`, extra
/// parameters as `[["name", "value"], …]`. Deserialising checks it as `new` does.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmRequest {
    operation: ArmOperation,
    api_version_override: Option<String>,
    extra_query: Vec<(String, String)>,
    plan: Plan,
}

impl ArmRequest {
    /// Checks `operation` (ids, names, location, method, path) and lays it out.
    pub fn new(operation: ArmOperation) -> Result<Self, ArmError> {
        let plan = Plan::of(&operation)?;
        Ok(ArmRequest { operation, api_version_override: None, extra_query: Vec::new(), plan })
    }

    /// `GET /metadata/endpoints`: what the endpoint says about its cloud (no token needed).
    pub fn discover_cloud() -> Self {
        Self::fieldless(ArmOperation::DiscoverCloud {})
    }

    /// Every subscription the identity can see.
    pub fn list_subscriptions() -> Self {
        Self::fieldless(ArmOperation::ListSubscriptions {})
    }

    /// One subscription.
    pub fn get_subscription(subscription_id: &str) -> Result<Self, ArmError> {
        Self::new(ArmOperation::GetSubscription { subscription_id: subscription_id.to_owned() })
    }

    /// The resource groups of a subscription; `filter` is OData `$filter`, `top` is `$top`.
    pub fn list_resource_groups(
        subscription_id: &str,
        filter: Option<&str>,
        top: Option<u32>,
    ) -> Result<Self, ArmError> {
        Self::new(ArmOperation::ListResourceGroups {
            subscription_id: subscription_id.to_owned(),
            filter: filter.map(str::to_owned),
            top,
        })
    }

    /// One resource group.
    pub fn get_resource_group(subscription_id: &str, name: &str) -> Result<Self, ArmError> {
        let (subscription_id, name) = (subscription_id.to_owned(), name.to_owned());
        Self::new(ArmOperation::GetResourceGroup { subscription_id, name })
    }

    /// Whether a resource group exists (`HEAD`).
    pub fn resource_group_exists(subscription_id: &str, name: &str) -> Result<Self, ArmError> {
        let (subscription_id, name) = (subscription_id.to_owned(), name.to_owned());
        Self::new(ArmOperation::ResourceGroupExists { subscription_id, name })
    }

    /// Creates or updates a resource group in `location` with `tags`.
    pub fn create_or_update_resource_group(
        subscription_id: &str,
        name: &str,
        location: &str,
        tags: Option<&Map<String, Value>>,
    ) -> Result<Self, ArmError> {
        Self::new(ArmOperation::CreateOrUpdateResourceGroup {
            subscription_id: subscription_id.to_owned(),
            name: name.to_owned(),
            location: location.to_owned(),
            tags: tags.cloned(),
        })
    }

    /// Deletes a resource group (long-running); `force_deletion_types` is ARM's
    /// `forceDeletionTypes`, e.g. `Microsoft.Compute/virtualMachines`.
    pub fn delete_resource_group(
        subscription_id: &str,
        name: &str,
        force_deletion_types: Option<&str>,
    ) -> Result<Self, ArmError> {
        Self::new(ArmOperation::DeleteResourceGroup {
            subscription_id: subscription_id.to_owned(),
            name: name.to_owned(),
            force_deletion_types: force_deletion_types.map(str::to_owned),
        })
    }

    /// Any single request on any resource path (starting with `/`); `ArmOperation::Generic`
    /// also offers paging and long-running polling.
    pub fn generic(
        method: &str,
        path: &str,
        api_version: &str,
        body: Option<Value>,
    ) -> Result<Self, ArmError> {
        Self::new(ArmOperation::Generic {
            method: method.to_owned(),
            path: path.to_owned(),
            api_version: api_version.to_owned(),
            body,
            paged: false,
            long_running: false,
        })
    }

    /// Replaces the api-version (the table's, or the generic request's own).
    pub fn with_api_version(mut self, api_version: &str) -> Result<Self, ArmError> {
        check_api_version(api_version)?;
        match &mut self.operation {
            ArmOperation::Generic { api_version: own, .. } => *own = api_version.to_owned(),
            _ => self.api_version_override = Some(api_version.to_owned()),
        }
        self.plan.api_version = api_version.to_owned();
        Ok(self)
    }

    /// Adds a query parameter after the operation's own.
    pub fn with_query(mut self, name: &str, value: &str) -> Self {
        self.extra_query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The operation, as given (a generic request's api-version as replaced).
    pub fn operation(&self) -> &ArmOperation {
        &self.operation
    }

    /// The api-version that replaces a named operation's default, if any.
    pub fn api_version_override(&self) -> Option<&str> {
        self.api_version_override.as_deref()
    }

    /// The query parameters added with `with_query`.
    pub fn extra_query(&self) -> &[(String, String)] {
        &self.extra_query
    }

    /// The HTTP method sent.
    pub fn method(&self) -> &Method {
        &self.plan.method
    }

    /// The path sent (ids checked, names percent-encoded).
    pub fn path(&self) -> &str {
        &self.plan.path
    }

    /// The api-version sent.
    pub fn api_version(&self) -> &str {
        &self.plan.api_version
    }

    /// The JSON body sent, if any.
    pub fn body(&self) -> Option<&Value> {
        self.plan.body.as_ref()
    }

    pub(crate) fn shape(&self) -> Shape {
        self.plan.shape
    }

    /// A generic request given as a full URL: that URL without its query, whose scheme, host
    /// and port must be the cloud's.
    pub(crate) fn absolute_url(&self) -> Option<String> {
        self.plan.origin.as_ref().map(|origin| format!("{origin}{}", self.plan.path))
    }

    /// Whether the request needs a bearer token.
    pub(crate) fn needs_token(&self) -> bool {
        self.plan.shape != Shape::Discovery
    }

    /// The full URL on `endpoint`: the api-version first, then the operation's parameters, then
    /// the extra ones.
    pub(crate) fn url(&self, endpoint: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("api-version", &self.plan.api_version);
        q.extend_pairs(&self.plan.query);
        q.extend_pairs(&self.extra_query);
        format!("{endpoint}{}?{}", self.plan.path, q.finish())
    }

    /// An operation without fields: its row alone decides, and the table's tests check it.
    fn fieldless(operation: ArmOperation) -> Self {
        Self::new(operation).expect("an operation without fields cannot be invalid")
    }
}

impl From<&ArmRequest> for ArmOperation {
    fn from(request: &ArmRequest) -> Self {
        request.operation.clone()
    }
}

impl TryFrom<ArmOperation> for ArmRequest {
    type Error = ArmError;

    fn try_from(operation: ArmOperation) -> Result<Self, ArmError> {
        Self::new(operation)
    }
}

impl Serialize for ArmRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut json = serde_json::to_value(&self.operation).map_err(serde::ser::Error::custom)?;
        if let Value::Object(fields) = &mut json {
            if let Some(v) = &self.api_version_override {
                fields.insert("api_version".into(), Value::from(v.as_str()));
            }
            if !self.extra_query.is_empty() {
                let pairs =
                    self.extra_query.iter().map(|(k, v)| Value::from(vec![k.as_str(), v.as_str()]));
                fields.insert("query".into(), pairs.collect());
            }
        }
        json.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ArmRequest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut fields = Map::<String, Value>::deserialize(d)?;
        let generic =
            fields.get("op").and_then(Value::as_str) == Some(ArmOperationKind::Generic.as_str());
        let api_version = if generic { None } else { fields.remove("api_version") };
        let query = fields.remove("query");
        let operation = ArmOperation::deserialize(Value::Object(fields))
            .map_err(|e| D::Error::custom(with_request_keys(e, generic)))?;
        let invalid = |e: ArmError| D::Error::custom(e.problem());
        let mut request = ArmRequest::new(operation).map_err(invalid)?;
        let api_version = Option::<String>::deserialize(api_version.unwrap_or_default())
            .map_err(|e| D::Error::custom(format!("api_version: {e}")))?;
        if let Some(v) = api_version {
            request = request.with_api_version(&v).map_err(invalid)?;
        }
        let query = Option::<Vec<(String, String)>>::deserialize(query.unwrap_or_default())
            .map_err(|e| D::Error::custom(format!("query ([[name, value], …]): {e}")))?;
        for (name, value) in query.unwrap_or_default() {
            request = request.with_query(&name, &value);
        }
        Ok(request)
    }
}

/// serde names the operation's own keys; the request's are accepted too.
fn with_request_keys(e: serde_json::Error, generic: bool) -> String {
    let message = e.to_string();
    if !message.starts_with("unknown field") {
        return message;
    }
    let also = if generic { "`query`" } else { "`api_version`, `query`" };
    format!("{message}; every operation also takes {also}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::operation::tests::examples;
    use crate::arm::ArmResultShape;
    use serde_json::json;

    #[test]
    fn urls_carry_the_api_version_first() {
        let r = ArmRequest::list_resource_groups("0000-1", Some("tagName eq 'a'"), Some(5))
            .unwrap()
            .with_query("extra", "1");
        assert_eq!(
            r.url("https://management.azure.com"),
            "https://management.azure.com/subscriptions/0000-1/resourcegroups?api-version=2021-04-01&%24filter=tagName+eq+%27a%27&%24top=5&extra=1"
        );
    }

    /// Every named operation sends what its row says: method, filled-in path, api-version.
    #[test]
    fn requests_follow_the_table() {
        for op in examples() {
            let r = ArmRequest::new(op.clone()).unwrap();
            let Some(spec) = op.kind().spec() else { continue };
            assert_eq!((r.method(), r.api_version()), (&spec.method, spec.api_version));
            let path = spec.path.replace("{subscription_id}", "0000-1").replace("{name}", "rg-1");
            assert_eq!(r.path(), path, "{}", op.kind());
            assert_eq!(r.needs_token(), spec.result != ArmResultShape::Cloud);
        }
        let create = ArmRequest::new(examples()[6].clone()).unwrap();
        assert_eq!(
            create.body(),
            Some(&json!({"location": "westeurope", "tags": {"env": "test"}}))
        );
        assert_eq!(create.shape(), Shape::LongRunning);
        let delete = ArmRequest::new(examples()[7].clone()).unwrap();
        assert!(delete
            .url("h")
            .ends_with("&forceDeletionTypes=Microsoft.Compute%2FvirtualMachines"));
        let untagged = ArmRequest::create_or_update_resource_group("s", "g", "l", None).unwrap();
        assert_eq!(untagged.body(), Some(&json!({"location": "l"})), "tags only when given");
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
        assert!(ArmRequest::create_or_update_resource_group("s", "g", " ", None).is_err());
        assert!(ArmRequest::generic("GET", "//evil.example/x", "1", None).is_err());
        assert!(ArmRequest::generic("GET", "/x#y", "1", None).is_err());
        assert!(ArmRequest::generic("GET", "https://h", "1", None).is_err(), "no path");
        assert!(ArmRequest::generic("GET", "/x?api-version=2", "1", None).is_err());
        assert!(ArmRequest::generic("BAD METHOD", "/x", "1", None).is_err());
        assert!(ArmRequest::generic("GET", "/x", " ", None).is_err());
        let both = ArmOperation::Generic {
            method: "GET".into(),
            path: "/x".into(),
            api_version: "1".into(),
            body: None,
            paged: true,
            long_running: true,
        };
        assert!(ArmRequest::new(both).is_err());
    }

    /// Issue 14 item 9: a generic path may carry a query (`$filter`), or be a full URL; the
    /// query goes out after the api-version, once each.
    #[test]
    fn generic_paths_take_a_query_or_a_full_url() {
        let r = ArmRequest::generic(
            "GET",
            "/subscriptions/s/resources?$filter=resourceType eq 'x'&$top=2&api-version=1",
            "1",
            None,
        )
        .unwrap();
        assert_eq!(r.absolute_url(), None);
        assert_eq!(
            r.url("https://h"),
            "https://h/subscriptions/s/resources?api-version=1&%24filter=resourceType+eq+%27x%27&%24top=2"
        );
        let r =
            ArmRequest::generic("GET", "https://H:443/subscriptions?%24top=1", "1", None).unwrap();
        assert_eq!(r.absolute_url().as_deref(), Some("https://H:443/subscriptions"));
        assert_eq!(r.url("https://h"), "https://h/subscriptions?api-version=1&%24top=1");
        let back: ArmRequest = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn serde_round_trip_with_overrides() {
        for op in examples() {
            let r = ArmRequest::new(op).unwrap().with_api_version("2030-01-01").unwrap();
            let r = r.with_query("a", "1").with_query("a", "2");
            let json = serde_json::to_value(&r).unwrap();
            assert_eq!(json["api_version"], "2030-01-01");
            assert_eq!(json["query"], json!([["a", "1"], ["a", "2"]]));
            let back: ArmRequest = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(back, r, "{json}");
        }
    }

    #[test]
    fn deserialising_checks_and_names_keys() {
        let err = |v: Value| serde_json::from_value::<ArmRequest>(v).unwrap_err().to_string();
        let e = err(json!({"op": "get_resource_group", "subscription_id": "s", "nam": "g"}));
        assert!(e.contains("`nam`") && e.contains("`name`") && e.contains("`api_version`"), "{e}");
        let e = err(json!({"op": "get_resource_group", "subscription_id": "s", "name": "g."}));
        assert!(e.starts_with("resource group name \"g.\" is not valid"), "{e}");
        let e = err(json!({"op": "list_subscriptions", "api_version": " "}));
        assert!(e.contains("api-version \" \""), "{e}");
        let e = err(json!({"op": "list_subscriptions", "query": {"a": "b"}}));
        assert!(e.starts_with("query"), "{e}");
        let r: ArmRequest =
            serde_json::from_value(json!({"op": "list_subscriptions", "api_version": "2"}))
                .unwrap();
        assert_eq!((r.api_version(), r.api_version_override()), ("2", Some("2")));
    }
}
