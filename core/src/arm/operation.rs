//! The ARM operations azmi knows by name: one declaration of each (`ArmOperation`, its serde
//! form) and one table of what each one sends (`ArmOperationKind::spec`).
//!
//! Every surface builds an `ArmOperation` (from JSON, a WIT variant, command-line flags, or
//! Python and JavaScript arguments) and hands it to `ArmRequest::new`; none of them knows a path,
//! a method or an api-version. The generic `request` operation covers everything else ARM offers.

use std::fmt;
use std::str::FromStr;

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::ArmError;

/// One ARM operation, before it is checked and turned into an `ArmRequest`.
///
/// Its serde form is the JSON every surface accepts, tagged by `op` with the names of
/// `ArmOperationKind`: `{"op": "list_resource_groups", "subscription_id": "…", "top": 5}`.
/// Unknown keys are an error that names the key and the accepted ones; optional fields may be
/// left out. (`ArmRequest`'s serde form adds `api_version` to the named operations.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum ArmOperation {
    /// What an endpoint says about its cloud; needs no token (`{}`: no fields, so that an
    /// unknown key is refused here too).
    DiscoverCloud {},
    /// Every subscription the identity can see.
    ListSubscriptions {},
    /// One subscription.
    GetSubscription {
        /// The subscription's id.
        subscription_id: String,
    },
    /// The resource groups of a subscription.
    ListResourceGroups {
        /// The subscription's id.
        subscription_id: String,
        /// An OData `$filter`, e.g. `tagName eq 'env'`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<String>,
        /// `$top`: at most this many groups per page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        top: Option<u32>,
    },
    /// One resource group.
    GetResourceGroup {
        /// The subscription's id.
        subscription_id: String,
        /// The group's name.
        name: String,
    },
    /// Whether a resource group exists.
    ResourceGroupExists {
        /// The subscription's id.
        subscription_id: String,
        /// The group's name.
        name: String,
    },
    /// Creates a resource group, or updates its location and tags.
    CreateOrUpdateResourceGroup {
        /// The subscription's id.
        subscription_id: String,
        /// The group's name.
        name: String,
        /// Where the group lives, e.g. `westeurope`.
        location: String,
        /// The group's tags (a JSON object of strings).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tags: Option<Map<String, Value>>,
    },
    /// Deletes a resource group and waits until ARM says it is gone.
    DeleteResourceGroup {
        /// The subscription's id.
        subscription_id: String,
        /// The group's name.
        name: String,
        /// ARM's `forceDeletionTypes`, e.g. `Microsoft.Compute/virtualMachines`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        force_deletion_types: Option<String>,
    },
    /// Any request on any resource path: anything ARM offers.
    #[serde(rename = "request")]
    Generic {
        /// The HTTP method (`GET` when left out).
        #[serde(default = "default_method")]
        method: String,
        /// The resource path, starting with `/`, with an optional query (`?$filter=…`), or a
        /// full URL on the cloud's ARM endpoint (another host is a `foreign_host` error). A
        /// query's `api-version`, if any, must equal `api_version`.
        path: String,
        /// The api-version of the resource provider.
        api_version: String,
        /// The JSON body, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<Value>,
        /// Follow `nextLink` and collect every `value` (the outcome is `Items`).
        #[serde(default, skip_serializing_if = "is_false")]
        paged: bool,
        /// Poll a 201/202 answer to its end (`lro` in JSON).
        #[serde(default, rename = "lro", skip_serializing_if = "is_false")]
        long_running: bool,
    },
}

/// The names of the operations, as the JSON `op`, the CLI and every binding spell them
/// (`Display` / `FromStr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ArmOperationKind {
    /// `discover_cloud`
    DiscoverCloud,
    /// `list_subscriptions`
    ListSubscriptions,
    /// `get_subscription`
    GetSubscription,
    /// `list_resource_groups`
    ListResourceGroups,
    /// `get_resource_group`
    GetResourceGroup,
    /// `resource_group_exists`
    ResourceGroupExists,
    /// `create_or_update_resource_group`
    CreateOrUpdateResourceGroup,
    /// `delete_resource_group`
    DeleteResourceGroup,
    /// `request`: the generic operation.
    Generic,
}

/// What a named operation sends and what it returns: one row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArmOperationSpec {
    /// The HTTP method.
    pub method: Method,
    /// The path on the ARM endpoint; `{field}` is the operation's field of that name, checked
    /// and encoded (`{subscription_id}`, `{name}`).
    pub path: &'static str,
    /// The default api-version (a request may replace it).
    pub api_version: &'static str,
    /// Optional fields sent as query parameters: (field, parameter), when given.
    pub query: &'static [(&'static str, &'static str)],
    /// Fields sent as the members of a JSON body, when given.
    pub body: &'static [&'static str],
    /// Follows `nextLink` and collects every `value`.
    pub paged: bool,
    /// Polls a 201/202 answer to its end.
    pub long_running: bool,
    /// The `ArmOutcome` it ends with.
    pub result: ArmResultShape,
}

/// Which `ArmOutcome` an operation ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArmResultShape {
    /// `ArmOutcome::Response`: the (last) response.
    Response,
    /// `ArmOutcome::Items`: every page's `value`.
    Items,
    /// `ArmOutcome::Exists`: 200/204 → true, 404 → false.
    Exists,
    /// `ArmOutcome::Cloud`: the cloud the metadata describes; asked without a token.
    Cloud,
}

const SUBSCRIPTIONS_API: &str = "2022-12-01";
const RESOURCE_GROUPS_API: &str = "2021-04-01";
const METADATA_API: &str = "2015-01-01";
const SUBSCRIPTION: &str = "/subscriptions/{subscription_id}";
const RESOURCE_GROUPS: &str = "/subscriptions/{subscription_id}/resourcegroups";
const RESOURCE_GROUP: &str = "/subscriptions/{subscription_id}/resourcegroups/{name}";

impl ArmOperationKind {
    /// Every operation, named ones first.
    pub const ALL: [Self; 9] = [
        Self::DiscoverCloud,
        Self::ListSubscriptions,
        Self::GetSubscription,
        Self::ListResourceGroups,
        Self::GetResourceGroup,
        Self::ResourceGroupExists,
        Self::CreateOrUpdateResourceGroup,
        Self::DeleteResourceGroup,
        Self::Generic,
    ];

    /// The table: what each named operation sends and returns. `None` for `Generic`, whose
    /// caller gives the method, path and api-version.
    pub fn spec(self) -> Option<ArmOperationSpec> {
        use ArmResultShape::{Cloud, Exists, Items, Response};
        let groups = RESOURCE_GROUPS_API;
        Some(match self {
            Self::DiscoverCloud => get("/metadata/endpoints", METADATA_API, Cloud),
            Self::ListSubscriptions => get("/subscriptions", SUBSCRIPTIONS_API, Items).paged(),
            Self::GetSubscription => get(SUBSCRIPTION, SUBSCRIPTIONS_API, Response),
            Self::ListResourceGroups => get(RESOURCE_GROUPS, groups, Items)
                .paged()
                .query(&[("filter", "$filter"), ("top", "$top")]),
            Self::GetResourceGroup => get(RESOURCE_GROUP, groups, Response),
            Self::ResourceGroupExists => spec(Method::HEAD, RESOURCE_GROUP, groups, Exists),
            Self::CreateOrUpdateResourceGroup => {
                spec(Method::PUT, RESOURCE_GROUP, groups, Response)
                    .long_running()
                    .body(&["location", "tags"])
            }
            Self::DeleteResourceGroup => spec(Method::DELETE, RESOURCE_GROUP, groups, Response)
                .long_running()
                .query(&[("force_deletion_types", "forceDeletionTypes")]),
            Self::Generic => return None,
        })
    }

    /// The name: `list_resource_groups`, ..., `request`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DiscoverCloud => "discover_cloud",
            Self::ListSubscriptions => "list_subscriptions",
            Self::GetSubscription => "get_subscription",
            Self::ListResourceGroups => "list_resource_groups",
            Self::GetResourceGroup => "get_resource_group",
            Self::ResourceGroupExists => "resource_group_exists",
            Self::CreateOrUpdateResourceGroup => "create_or_update_resource_group",
            Self::DeleteResourceGroup => "delete_resource_group",
            Self::Generic => "request",
        }
    }
}

impl fmt::Display for ArmOperationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for ArmOperationKind {
    type Err = ArmError;

    fn from_str(name: &str) -> Result<Self, ArmError> {
        Self::ALL.into_iter().find(|k| k.as_str() == name).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
            ArmError::config(format!("unknown ARM operation {name:?}; one of {}", names.join(", ")))
        })
    }
}

impl ArmOperation {
    /// Which operation this is.
    pub fn kind(&self) -> ArmOperationKind {
        use ArmOperationKind as K;
        match self {
            Self::DiscoverCloud {} => K::DiscoverCloud,
            Self::ListSubscriptions {} => K::ListSubscriptions,
            Self::GetSubscription { .. } => K::GetSubscription,
            Self::ListResourceGroups { .. } => K::ListResourceGroups,
            Self::GetResourceGroup { .. } => K::GetResourceGroup,
            Self::ResourceGroupExists { .. } => K::ResourceGroupExists,
            Self::CreateOrUpdateResourceGroup { .. } => K::CreateOrUpdateResourceGroup,
            Self::DeleteResourceGroup { .. } => K::DeleteResourceGroup,
            Self::Generic { .. } => K::Generic,
        }
    }

    /// The outcome it ends with: the table's for a named operation; `Items` for a paged
    /// generic request, else `Response`.
    pub fn result_shape(&self) -> ArmResultShape {
        match (self.kind().spec(), self) {
            (Some(spec), _) => spec.result,
            (None, Self::Generic { paged: true, .. }) => ArmResultShape::Items,
            (None, _) => ArmResultShape::Response,
        }
    }
}

fn spec(
    method: Method,
    path: &'static str,
    api_version: &'static str,
    result: ArmResultShape,
) -> ArmOperationSpec {
    ArmOperationSpec {
        method,
        path,
        api_version,
        query: &[],
        body: &[],
        paged: false,
        long_running: false,
        result,
    }
}

fn get(path: &'static str, api_version: &'static str, result: ArmResultShape) -> ArmOperationSpec {
    spec(Method::GET, path, api_version, result)
}

impl ArmOperationSpec {
    fn paged(self) -> Self {
        ArmOperationSpec { paged: true, ..self }
    }

    fn long_running(self) -> Self {
        ArmOperationSpec { long_running: true, ..self }
    }

    fn query(self, query: &'static [(&'static str, &'static str)]) -> Self {
        ArmOperationSpec { query, ..self }
    }

    fn body(self, body: &'static [&'static str]) -> Self {
        ArmOperationSpec { body, ..self }
    }
}

fn default_method() -> String {
    "GET".to_owned()
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// One example of each operation, in `ArmOperationKind::ALL` order.
    pub(crate) fn examples() -> Vec<ArmOperation> {
        let (sub, name) = ("0000-1".to_owned(), "rg-1".to_owned());
        vec![
            ArmOperation::DiscoverCloud {},
            ArmOperation::ListSubscriptions {},
            ArmOperation::GetSubscription { subscription_id: sub.clone() },
            ArmOperation::ListResourceGroups {
                subscription_id: sub.clone(),
                filter: Some("tagName eq 'a'".into()),
                top: Some(5),
            },
            ArmOperation::GetResourceGroup { subscription_id: sub.clone(), name: name.clone() },
            ArmOperation::ResourceGroupExists { subscription_id: sub.clone(), name: name.clone() },
            ArmOperation::CreateOrUpdateResourceGroup {
                subscription_id: sub.clone(),
                name: name.clone(),
                location: "westeurope".into(),
                tags: json!({"env": "test"}).as_object().cloned(),
            },
            ArmOperation::DeleteResourceGroup {
                subscription_id: sub,
                name,
                force_deletion_types: Some("Microsoft.Compute/virtualMachines".into()),
            },
            ArmOperation::Generic {
                method: "POST".into(),
                path: "/providers/Microsoft.Resources/x".into(),
                api_version: "2024-01-01".into(),
                body: Some(json!({"n": 1.5, "k": [1, "two"]})),
                paged: false,
                long_running: true,
            },
        ]
    }

    #[test]
    fn the_table() {
        use ArmOperationKind as K;
        use ArmResultShape as R;
        // Written out again, not taken from the constants above, so a typo there shows here.
        let (sub, groups) = ("/subscriptions/{subscription_id}", "2021-04-01");
        let list = "/subscriptions/{subscription_id}/resourcegroups";
        let group = "/subscriptions/{subscription_id}/resourcegroups/{name}";
        #[rustfmt::skip]
        let rows = [
            (K::DiscoverCloud, "GET", "/metadata/endpoints", "2015-01-01", false, false, R::Cloud),
            (K::ListSubscriptions, "GET", "/subscriptions", "2022-12-01", true, false, R::Items),
            (K::GetSubscription, "GET", sub, "2022-12-01", false, false, R::Response),
            (K::ListResourceGroups, "GET", list, groups, true, false, R::Items),
            (K::GetResourceGroup, "GET", group, groups, false, false, R::Response),
            (K::ResourceGroupExists, "HEAD", group, groups, false, false, R::Exists),
            (K::CreateOrUpdateResourceGroup, "PUT", group, groups, false, true, R::Response),
            (K::DeleteResourceGroup, "DELETE", group, groups, false, true, R::Response),
        ];
        for (kind, method, path, api, paged, lro, result) in rows {
            let s = kind.spec().unwrap();
            let got = (s.method.as_str(), s.path, s.api_version, s.paged, s.long_running, s.result);
            assert_eq!(got, (method, path, api, paged, lro, result), "{kind}");
            assert_eq!(s.paged, s.result == R::Items, "{kind}: paged exactly when it lists");
        }
        assert_eq!(K::Generic.spec(), None);
        assert_eq!(rows.len() + 1, K::ALL.len(), "every named operation has a row");
    }

    /// The table's query and body fields are fields of the operation, so none is silently
    /// never sent.
    #[test]
    fn table_fields_exist() {
        for op in examples() {
            let Value::Object(fields) = serde_json::to_value(&op).unwrap() else { panic!() };
            let Some(spec) = op.kind().spec() else { continue };
            let named = spec.query.iter().map(|(f, _)| *f).chain(spec.body.iter().copied());
            for field in named {
                assert!(fields.contains_key(field), "{}: no field {field}", op.kind());
            }
        }
    }

    #[test]
    fn names_match_the_serde_tags() {
        for (kind, op) in ArmOperationKind::ALL.into_iter().zip(examples()) {
            assert_eq!(op.kind(), kind);
            let json = serde_json::to_value(&op).unwrap();
            assert_eq!(json["op"], kind.as_str());
            assert_eq!(kind.to_string().parse::<ArmOperationKind>().unwrap(), kind);
        }
        let e = "list_resource_group".parse::<ArmOperationKind>().unwrap_err().to_string();
        assert!(
            e.contains("\"list_resource_group\"") && e.contains("list_resource_groups,"),
            "{e}"
        );
    }

    #[test]
    fn serde_round_trip() {
        for op in examples() {
            let text = serde_json::to_string(&op).unwrap();
            let back: ArmOperation = serde_json::from_str(&text).unwrap();
            assert_eq!(back, op, "{text}");
        }
        let op: ArmOperation =
            serde_json::from_value(json!({"op": "request", "path": "/x", "api_version": "1"}))
                .unwrap();
        let ArmOperation::Generic { method, .. } = &op else { panic!("{op:?}") };
        assert_eq!(method, "GET", "the method defaults to GET");
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(
            json,
            json!({"op": "request", "method": "GET", "path": "/x", "api_version": "1"})
        );
    }

    #[test]
    fn misspelt_keys_are_named_with_the_accepted_ones() {
        let e = serde_json::from_value::<ArmOperation>(
            json!({"op": "get_resource_group", "subscription": "s", "name": "n"}),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`subscription`") && e.contains("`subscription_id`"), "{e}");
        let e = serde_json::from_value::<ArmOperation>(json!({"op": "discover_cloud", "x": 1}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`x`"), "{e}");
        let e = serde_json::from_value::<ArmOperation>(json!({"op": "list_groups"}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`list_groups`") && e.contains("`list_resource_groups`"), "{e}");
        let e = serde_json::from_value::<ArmOperation>(json!({"subscription_id": "s"}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`op`"), "{e}");
    }

    #[test]
    fn result_shapes() {
        let shapes: Vec<ArmResultShape> = examples().iter().map(|o| o.result_shape()).collect();
        use ArmResultShape::*;
        assert_eq!(
            shapes,
            [Cloud, Items, Response, Items, Response, Exists, Response, Response, Response]
        );
    }
}
