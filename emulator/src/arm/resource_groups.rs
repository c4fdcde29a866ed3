//! Resource groups: list, get, exists (`HEAD`), create or update (`PUT`), `PATCH`, and delete as
//! a long-running operation.

use http::Method;
use serde_json::{json, Map, Value};

use super::state::{group_key, Group, Operation};
use super::{arm_error, method_not_allowed, paging, Ctx};
use crate::config::SubscriptionSpec;
use crate::http_util::Reply;
use crate::shared::lock;

/// ARM's rule: 1–90 characters of letters, digits, `-`, `_`, `.`, `(`, `)`, not ending in `.`.
pub(crate) fn valid_name(name: &str) -> bool {
    let len = name.chars().count();
    (1..=90).contains(&len)
        && !name.ends_with('.')
        && name.chars().all(|c| c.is_alphanumeric() || "-_.()".contains(c))
}

pub(crate) fn group_json(g: &Group) -> Value {
    let mut body = json!({
        "id": format!("/subscriptions/{}/resourceGroups/{}", g.subscription_id, g.name),
        "name": g.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": g.location,
        "properties": { "provisioningState": if g.deleting { "Deleting" } else { "Succeeded" } },
    });
    if let Some(tags) = &g.tags {
        body["tags"] = Value::Object(tags.clone());
    }
    body
}

pub(crate) fn not_found(name: &str) -> Reply {
    arm_error(404, "ResourceGroupNotFound", &format!("Resource group '{name}' could not be found."))
}

pub(crate) fn list(ctx: &Ctx, sub: &SubscriptionSpec) -> Reply {
    if ctx.req.method != Method::GET {
        return method_not_allowed(&ctx.req.method);
    }
    let prefix = format!("{}/", sub.subscription_id.to_ascii_lowercase());
    let items = lock(&ctx.shared.arm)
        .groups
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, g)| group_json(g))
        .collect();
    paging::page(items, ctx.req, &ctx.base, ctx.shared.cfg.arm_page_size)
}

pub(crate) fn one(ctx: &Ctx, sub: &SubscriptionSpec, name: &str) -> Reply {
    let key = group_key(&sub.subscription_id, name);
    match ctx.req.method {
        Method::GET => match lock(&ctx.shared.arm).groups.get(&key) {
            Some(g) => Reply::json(200, &group_json(g)),
            None => not_found(name),
        },
        Method::HEAD => {
            let exists = lock(&ctx.shared.arm).groups.contains_key(&key);
            Reply::empty(if exists { 204 } else { 404 })
        }
        Method::PUT => put(ctx, sub, name, &key),
        Method::PATCH => patch(ctx, name, &key),
        Method::DELETE => delete(ctx, sub, name, &key),
        ref m => method_not_allowed(m),
    }
}

fn parse_body(ctx: &Ctx) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(&ctx.req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid_content("the body must be a JSON object")),
        Err(e) => Err(invalid_content(&e.to_string())),
    }
}

fn invalid_content(why: &str) -> Reply {
    arm_error(
        400,
        "InvalidRequestContent",
        &format!("The request content was invalid and could not be deserialized: {why}"),
    )
}

fn parse_tags(body: &Map<String, Value>) -> Result<Option<Map<String, Value>>, Reply> {
    match body.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(tags)) if tags.values().all(Value::is_string) => Ok(Some(tags.clone())),
        Some(_) => Err(invalid_content("'tags' must be an object of strings")),
    }
}

/// ARM stores locations in their short form: `West US` becomes `westus`.
fn normalise_location(location: &str) -> String {
    location.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase()
}

fn put(ctx: &Ctx, sub: &SubscriptionSpec, name: &str, key: &str) -> Reply {
    if !valid_name(name) {
        return arm_error(
            400,
            "InvalidResourceGroupName",
            &format!(
                "Resource group name '{name}' is invalid. It must be 1-90 characters of letters, digits, '-', '_', '.', '(' or ')' and must not end in '.'."
            ),
        );
    }
    let body = match parse_body(ctx) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let location = match body.get("location").and_then(Value::as_str) {
        Some(l) if !l.trim().is_empty() => normalise_location(l),
        _ => {
            return arm_error(
                400,
                "LocationRequired",
                "The location property is required for this definition.",
            )
        }
    };
    let tags = match parse_tags(&body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let mut state = lock(&ctx.shared.arm);
    let (status, json) = match state.groups.get_mut(key) {
        Some(g) if g.deleting => {
            return arm_error(
                409,
                "ResourceGroupBeingDeleted",
                &format!(
                    "The resource group '{}' is in deprovisioning state and cannot perform this operation.",
                    g.name
                ),
            )
        }
        Some(g) if g.location != location => {
            return arm_error(
                409,
                "InvalidResourceGroupLocation",
                &format!(
                    "Invalid resource group location '{location}'. The Resource group already exists in location '{}'.",
                    g.location
                ),
            )
        }
        Some(g) => {
            g.tags = tags;
            (200, group_json(g))
        }
        None => {
            let g = Group {
                subscription_id: sub.subscription_id.clone(),
                name: name.to_owned(),
                location,
                tags,
                deleting: false,
            };
            let json = group_json(&g);
            state.groups.insert(key.to_owned(), g);
            (201, json)
        }
    };
    state.save();
    Reply::json(status, &json)
}

fn patch(ctx: &Ctx, name: &str, key: &str) -> Reply {
    let body = match parse_body(ctx) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let tags = match parse_tags(&body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let mut state = lock(&ctx.shared.arm);
    let Some(g) = state.groups.get_mut(key) else { return not_found(name) };
    if body.contains_key("tags") {
        g.tags = tags;
    }
    let json = group_json(g);
    state.save();
    Reply::json(200, &json)
}

/// `202 Accepted` with both polling headers; the group shows `Deleting` until an operation poll
/// finds it done (after `lro_polls_until_done` polls) and removes it.
fn delete(ctx: &Ctx, sub: &SubscriptionSpec, name: &str, key: &str) -> Reply {
    let mut state = lock(&ctx.shared.arm);
    let Some(g) = state.groups.get_mut(key) else { return not_found(name) };
    g.deleting = true;
    let existing = state.operations.iter().find(|(_, op)| op.group_key == key && !op.done);
    let op_id = match existing {
        Some((id, _)) => id.clone(),
        None => {
            // Forget finished operations once there are many, so a long session stays bounded.
            if state.operations.len() > 1000 {
                state.operations.retain(|_, op| !op.done);
            }
            let id = crate::random::hex(16);
            state.operations.insert(
                id.clone(),
                Operation {
                    subscription_id: sub.subscription_id.clone(),
                    group_key: key.to_owned(),
                    polls: 0,
                    done: false,
                },
            );
            id
        }
    };
    drop(state);
    let sub_id = &sub.subscription_id;
    let version = &ctx.api_version;
    let base = &ctx.base;
    Reply::empty(202)
        .with_header(
            "azure-asyncoperation",
            format!(
                "{base}/subscriptions/{sub_id}/providers/Microsoft.Resources/operationStatuses/{op_id}?api-version={version}"
            ),
        )
        .with_header(
            "location",
            format!("{base}/subscriptions/{sub_id}/operationresults/{op_id}?api-version={version}"),
        )
        .with_header("retry-after", ctx.shared.cfg.lro_retry_after.as_secs().to_string())
}
