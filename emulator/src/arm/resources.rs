//! Any other resource under a subscription, stored as the JSON last `PUT` (plus `id`, `name`,
//! `type`): enough for clients' generic requests, paging over collections and existence checks.

use http::Method;
use serde_json::{json, Map, Value};

use super::resource_groups;
use super::state::{group_key, StoredResource};
use super::{arm_error, method_not_allowed, paging, Ctx};
use crate::config::SubscriptionSpec;
use crate::http_util::Reply;
use crate::shared::lock;

/// Lists every resource whose id starts with `scope/` (a whole subscription or group).
pub(crate) fn list_under(ctx: &Ctx, scope: &str) -> Reply {
    list(ctx, scope, |_| true)
}

/// `/subscriptions/{sub}/providers/{ns}` and its `/register` action: every provider is registered.
pub(crate) fn provider(
    ctx: &Ctx,
    sub: &SubscriptionSpec,
    namespace: &str,
    register: bool,
) -> Reply {
    let allowed = if register { Method::POST } else { Method::GET };
    if ctx.req.method != allowed {
        return method_not_allowed(&ctx.req.method);
    }
    Reply::json(
        200,
        &json!({
            "id": format!("/subscriptions/{}/providers/{namespace}", sub.subscription_id),
            "namespace": namespace,
            "registrationState": "Registered",
            "resourceTypes": [],
        }),
    )
}

/// A path `…/providers/{namespace}/{type}/{name}[/{type}/{name}…]` (a resource) or one segment
/// more or less (a collection), under a subscription or a resource group.
pub(crate) fn generic(
    ctx: &Ctx,
    sub: &SubscriptionSpec,
    group: Option<&str>,
    namespace: &str,
    rest: &[String],
) -> Reply {
    let scope = match group {
        Some(g) => format!("/subscriptions/{}/resourceGroups/{g}", sub.subscription_id),
        None => format!("/subscriptions/{}", sub.subscription_id),
    };
    let id = format!("{scope}/providers/{namespace}/{}", rest.join("/"));
    if let Some(g) = group {
        let state = lock(&ctx.shared.arm);
        match state.groups.get(&group_key(&sub.subscription_id, g)) {
            None => return resource_groups::not_found(g),
            Some(found) if found.deleting && ctx.req.method == Method::PUT => {
                return arm_error(
                    409,
                    "ResourceGroupBeingDeleted",
                    &format!("The resource group '{g}' is in deprovisioning state and cannot perform this operation."),
                )
            }
            Some(_) => {}
        }
    }
    if rest.len() % 2 == 1 {
        return collection(ctx, &id);
    }
    let type_name: Vec<&str> =
        std::iter::once(namespace).chain(rest.iter().step_by(2).map(String::as_str)).collect();
    let resource_type = type_name.join("/");
    let name = rest.last().map(String::as_str).unwrap_or_default();
    let key = id.to_lowercase();
    let not_found = || {
        let what = format!("{resource_type}/{name}");
        let message = match group {
            Some(g) => format!(
                "The Resource '{what}' under resource group '{g}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
            None => format!("The Resource '{what}' was not found."),
        };
        arm_error(404, "ResourceNotFound", &message)
    };
    match ctx.req.method {
        Method::GET => match lock(&ctx.shared.arm).resources.get(&key) {
            Some(r) => Reply::json(200, &r.body),
            None => not_found(),
        },
        Method::HEAD => {
            let exists = lock(&ctx.shared.arm).resources.contains_key(&key);
            Reply::empty(if exists { 204 } else { 404 })
        }
        Method::PUT => {
            let mut body = match serde_json::from_slice::<Value>(&ctx.req.body) {
                Ok(Value::Object(map)) => map,
                _ => {
                    return arm_error(
                        400,
                        "InvalidRequestContent",
                        "The request content was invalid and could not be deserialized: the body must be a JSON object",
                    )
                }
            };
            body.insert("id".into(), json!(id));
            body.insert("name".into(), json!(name));
            body.insert("type".into(), json!(resource_type));
            let body = Value::Object(body);
            let mut state = lock(&ctx.shared.arm);
            let existed = state
                .resources
                .insert(key, StoredResource { id: id.clone(), body: body.clone() })
                .is_some();
            state.save();
            Reply::json(if existed { 200 } else { 201 }, &body)
        }
        Method::PATCH => {
            let Ok(Value::Object(patch)) = serde_json::from_slice::<Value>(&ctx.req.body) else {
                return arm_error(
                    400,
                    "InvalidRequestContent",
                    "The request content was invalid and could not be deserialized: the body must be a JSON object",
                );
            };
            let mut state = lock(&ctx.shared.arm);
            let Some(stored) = state.resources.get_mut(&key) else { return not_found() };
            if let Value::Object(target) = &mut stored.body {
                merge(target, patch);
            }
            let body = stored.body.clone();
            state.save();
            Reply::json(200, &body)
        }
        Method::DELETE => {
            let mut state = lock(&ctx.shared.arm);
            let existed = state.resources.remove(&key).is_some();
            // Child resources go with their parent.
            let prefix = format!("{key}/");
            state.resources.retain(|k, _| !k.starts_with(&prefix));
            state.save();
            Reply::empty(if existed { 200 } else { 204 })
        }
        ref m => method_not_allowed(m),
    }
}

/// A collection URL: the direct children of that type, paged.
fn collection(ctx: &Ctx, id: &str) -> Reply {
    list(ctx, id, |rest| !rest.contains('/'))
}

/// `GET`: the resources under `scope/` whose id below it passes `keep`, paged.
fn list(ctx: &Ctx, scope: &str, keep: impl Fn(&str) -> bool) -> Reply {
    if ctx.req.method != Method::GET {
        return method_not_allowed(&ctx.req.method);
    }
    let prefix = format!("{}/", scope.to_lowercase());
    let items = lock(&ctx.shared.arm)
        .resources
        .iter()
        .filter(|(k, _)| k.strip_prefix(&prefix).is_some_and(&keep))
        .map(|(_, r)| r.body.clone())
        .collect();
    paging::page(items, ctx.req, &ctx.base, ctx.shared.cfg.arm_page_size)
}

/// `PATCH` semantics: top-level fields replace, except objects, which merge one level deep
/// (so `{"properties": {"x": 1}}` keeps the other properties). Identity fields never change.
fn merge(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (k, v) in patch {
        if matches!(k.as_str(), "id" | "name" | "type") {
            continue;
        }
        match (target.get_mut(&k), v) {
            (Some(Value::Object(t)), Value::Object(p)) if k != "tags" => {
                t.extend(p);
            }
            (_, v) => {
                target.insert(k, v);
            }
        }
    }
}
