//! How an operation goes on the wire: a named one laid out by its row of the table (path
//! parameters checked by their rules, optional fields as query parameters or body members), the
//! generic one checked as given.

use http::Method;
use serde_json::{Map, Value};

use super::error::ArmError;
use super::operation::{ArmOperation, ArmOperationSpec, ArmResultShape};

/// How the flow treats the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One request, one response.
    Single,
    /// A list: follow `nextLink`, collect `value`.
    Paged,
    /// 201/202 start polling.
    LongRunning,
    /// HEAD: 200/204 → true, 404 → false.
    Exists,
    /// `metadata/endpoints`, without a token.
    Discovery,
}

/// What goes on the wire, worked out once from the table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) api_version: String,
    /// The operation's own parameters (the extra ones follow them).
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Value>,
    pub(crate) shape: Shape,
    /// A generic request given as a full URL: its scheme and authority, which must be the
    /// cloud's endpoint (checked when the flow starts, where the cloud is known).
    pub(crate) origin: Option<String>,
}

impl Plan {
    /// The wire form of `operation`, or why it cannot be sent.
    pub(crate) fn of(operation: &ArmOperation) -> Result<Self, ArmError> {
        match operation.kind().spec() {
            Some(spec) => named(&spec, operation),
            None => generic(operation),
        }
    }
}

/// A named operation laid out by its row: path parameters checked and filled in, optional
/// fields as query parameters or body members.
fn named(spec: &ArmOperationSpec, operation: &ArmOperation) -> Result<Plan, ArmError> {
    if let ArmOperation::CreateOrUpdateResourceGroup { location, .. } = operation {
        if location.trim().is_empty() {
            return Err(ArmError::config("a resource group needs a location, e.g. westeurope"));
        }
    }
    let fields = match serde_json::to_value(operation) {
        Ok(Value::Object(fields)) => fields,
        _ => return Err(ArmError::config(format!("{} cannot be laid out", operation.kind()))),
    };
    let query = spec.query.iter().filter_map(|(field, parameter)| {
        let value = match fields.get(*field)? {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Some(((*parameter).to_owned(), value))
    });
    let body = spec.body.iter().filter_map(|k| Some(((*k).to_owned(), fields.get(*k)?.clone())));
    let body: Map<String, Value> = body.collect();
    Ok(Plan {
        method: spec.method.clone(),
        path: fill(spec.path, &fields)?,
        api_version: spec.api_version.to_owned(),
        query: query.collect(),
        body: (!spec.body.is_empty()).then_some(Value::Object(body)),
        shape: shape(spec.result, spec.paged, spec.long_running),
        origin: None,
    })
}

fn generic(operation: &ArmOperation) -> Result<Plan, ArmError> {
    let ArmOperation::Generic { method, path, api_version, body, paged, long_running } = operation
    else {
        return Err(ArmError::config(format!("{} has no row in the table", operation.kind())));
    };
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| ArmError::config(format!("{method:?} is not an HTTP method")))?;
    let target = Target::parse(path)?;
    check_api_version(api_version)?;
    let query = target.query_without(api_version)?;
    if *paged && *long_running {
        return Err(ArmError::config("a request is paged or long-running (lro), not both"));
    }
    let result = if *paged { ArmResultShape::Items } else { ArmResultShape::Response };
    Ok(Plan {
        method,
        path: target.path.to_owned(),
        api_version: api_version.clone(),
        query,
        body: body.clone(),
        shape: shape(result, *paged, *long_running),
        origin: target.origin,
    })
}

/// A generic request's target as the caller wrote it: a resource path, the path with a query
/// (`/subscriptions/…/resources?$filter=…`), or a full URL (`https://management.azure.com/…`,
/// as copied from ARM's documentation or a `nextLink`).
struct Target<'a> {
    origin: Option<String>,
    path: &'a str,
    query: &'a str,
}

impl<'a> Target<'a> {
    fn parse(target: &'a str) -> Result<Self, ArmError> {
        let scheme = ["https://", "http://"]
            .into_iter()
            .find(|s| target.get(..s.len()).is_some_and(|head| head.eq_ignore_ascii_case(s)));
        let (origin, rest) = match scheme {
            Some(scheme) => {
                let after = &target[scheme.len()..];
                let end = after.find(['/', '?', '#']).unwrap_or(after.len());
                let origin = format!("{}{}", &target[..scheme.len()], &after[..end]);
                (Some(origin), &after[end..])
            }
            None => (None, target),
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let valid = path.starts_with('/')
            && !path.starts_with("//")
            && path.parse::<http::uri::PathAndQuery>().is_ok();
        if !valid || rest.contains('#') {
            let shown = crate::redact::userinfo(target);
            return Err(ArmError::config(format!(
                "path {shown:?} must be a resource path starting with / (a query may follow), \
                 or a URL on the ARM endpoint; no fragment"
            )));
        }
        Ok(Target { origin, path, query })
    }

    /// The query's parameters, decoded, without `api-version`, which must then equal the
    /// request's own (it is sent once, first).
    fn query_without(&self, api_version: &str) -> Result<Vec<(String, String)>, ArmError> {
        let mut pairs = Vec::new();
        for (name, value) in form_urlencoded::parse(self.query.as_bytes()) {
            if !name.eq_ignore_ascii_case("api-version") {
                pairs.push((name.into_owned(), value.into_owned()));
            } else if value != api_version {
                return Err(ArmError::config(format!(
                    "the path's query says api-version={value} but the request's api-version \
                     is {api_version}; give one"
                )));
            }
        }
        Ok(pairs)
    }
}

fn shape(result: ArmResultShape, paged: bool, long_running: bool) -> Shape {
    match result {
        ArmResultShape::Cloud => Shape::Discovery,
        ArmResultShape::Exists => Shape::Exists,
        _ if paged => Shape::Paged,
        _ if long_running => Shape::LongRunning,
        _ => Shape::Single,
    }
}

pub(crate) fn check_api_version(api_version: &str) -> Result<(), ArmError> {
    if api_version.trim().is_empty() || api_version.contains(char::is_whitespace) {
        return Err(ArmError::config(format!("api-version {api_version:?} is not valid")));
    }
    Ok(())
}

/// The template with each `{field}` replaced by that field, checked by its rule.
fn fill(template: &str, fields: &Map<String, Value>) -> Result<String, ArmError> {
    let mut path = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some((before, after)) = rest.split_once('{') {
        let (field, after) = after.split_once('}').unwrap_or((after, ""));
        let value = fields.get(field).and_then(Value::as_str).unwrap_or_default();
        path.push_str(before);
        path.push_str(&path_parameter(field, value)?);
        rest = after;
    }
    path.push_str(rest);
    Ok(path)
}

/// A path parameter by its rule, so that no value can change the path's shape.
fn path_parameter(field: &str, value: &str) -> Result<String, ArmError> {
    match field {
        "subscription_id" => segment("subscription id", value).map(str::to_owned),
        "name" => group_name(value).map(percent_encode_non_ascii),
        _ => Err(ArmError::config(format!("no rule for the path parameter {field:?}"))),
    }
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
