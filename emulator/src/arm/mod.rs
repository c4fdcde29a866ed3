//! A small Azure Resource Manager on the main port: cloud discovery, subscriptions, resource
//! groups with long-running deletes, generic resources. Every route but discovery demands an
//! ARM bearer token issued by this emulator, and answers carry ARM's request-id and
//! remaining-budget headers.

mod discovery;
mod operations;
mod paging;
mod resource_groups;
mod resources;
pub(crate) mod state;

use http::Method;
use serde_json::json;

use crate::config::SubscriptionSpec;
use crate::http_util::{unix_now, Reply, Req};
use crate::shared::{lock, Shared};
use operations::PollKind;

/// What every handler needs about the request.
pub(crate) struct Ctx<'a> {
    pub shared: &'a Shared,
    pub req: &'a Req,
    /// `http(s)://host:port` links are built on (see [`base_url`]).
    pub base: String,
    pub api_version: String,
}

/// An error in ARM's shape.
pub(crate) fn arm_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(status, &json!({ "error": { "code": code, "message": message } }))
}

pub(crate) fn method_not_allowed(method: &Method) -> Reply {
    arm_error(
        405,
        "MethodNotAllowed",
        &format!("The requested resource does not support http method '{method}'."),
    )
}

/// Whether a path belongs to ARM (the main port's router asks).
pub(crate) fn is_arm_path(path: &str) -> bool {
    let first =
        path.trim_start_matches('/').split('/').next().unwrap_or_default().to_ascii_lowercase();
    matches!(first.as_str(), "subscriptions" | "providers" | "tenants")
        || path.eq_ignore_ascii_case("/metadata/endpoints")
}

/// Links (`nextLink`, LRO URLs) must point where the client already talks, or clients that check
/// the host (azmi does) refuse them: use the request's scheme and `Host` when it is a plain
/// host[:port] (`management.azure.com` through the proxy, `127.0.0.1:PORT` directly).
fn base_url(shared: &Shared, req: &Req) -> String {
    let scheme = if req.tls { "https" } else { "http" };
    match req.header("host") {
        Some(h)
            if !h.is_empty()
                && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)) =>
        {
            format!("{scheme}://{h}")
        }
        _ if req.tls => shared.arm_https_base.clone(),
        _ => shared.http_base.clone(),
    }
}

/// Request and correlation ids and no-cache headers, on every ARM answer (injected faults too).
pub(crate) fn decorate(req: &Req, reply: Reply) -> Reply {
    let correlation = req
        .header("x-ms-correlation-request-id")
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_owned)
        .unwrap_or_else(crate::random::uuid);
    let mut reply = reply
        .with_header("x-ms-request-id", crate::random::uuid())
        .with_header("x-ms-correlation-request-id", correlation)
        .with_header("cache-control", "no-cache")
        .with_header("pragma", "no-cache")
        .with_header("expires", "-1");
    if let Some(client_id) = req.header("x-ms-client-request-id").filter(|v| v.len() <= 128) {
        reply = reply.with_header("x-ms-client-request-id", client_id.to_owned());
    }
    reply
}

pub(crate) fn handle(shared: &Shared, req: &Req) -> Reply {
    let segments: Vec<String> = req
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let lower: Vec<String> = segments.iter().map(|s| s.to_lowercase()).collect();
    let api_version = req.query("api-version").unwrap_or_default().to_owned();
    let ctx = Ctx { shared, req, base: base_url(shared, req), api_version };

    let discovery = lower.first().is_some_and(|s| s == "metadata");
    if !discovery {
        if let Err(e) = shared.signer.verify_arm(req.header("authorization"), unix_now()) {
            let tenant = &shared.cfg.tenant_id;
            return arm_error(401, e.code(), &e.message()).with_header(
                "www-authenticate",
                format!(
                    "Bearer authorization_uri=\"https://login.microsoftonline.com/{tenant}\", error=\"invalid_token\", error_description=\"{}\"",
                    e.message().replace('"', "'")
                ),
            );
        }
    }
    if ctx.api_version.is_empty() {
        return arm_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
    }
    if discovery {
        if req.method != Method::GET {
            return method_not_allowed(&req.method);
        }
        return discovery::metadata_endpoints(req, &ctx.base);
    }
    let reply = route(&ctx, &segments, &lower);
    with_budget(shared, req, lower.len() <= 2, reply)
}

/// Counts the request against its kind and reports what is left, as ARM does.
fn with_budget(shared: &Shared, req: &Req, tenant_level: bool, reply: Reply) -> Reply {
    let mut state = lock(&shared.arm);
    let budget = &mut state.budget;
    let (name, counter) = if tenant_level {
        ("x-ms-ratelimit-remaining-tenant-reads", &mut budget.tenant_reads)
    } else if req.method == Method::GET || req.method == Method::HEAD {
        ("x-ms-ratelimit-remaining-subscription-reads", &mut budget.reads)
    } else if req.method == Method::DELETE {
        ("x-ms-ratelimit-remaining-subscription-deletes", &mut budget.deletes)
    } else {
        ("x-ms-ratelimit-remaining-subscription-writes", &mut budget.writes)
    };
    *counter = counter.saturating_sub(1);
    let left = counter.to_string();
    drop(state);
    reply.with_header(name, left)
}

fn find_subscription<'a>(shared: &'a Shared, id: &str) -> Option<&'a SubscriptionSpec> {
    shared.cfg.subscriptions.iter().find(|s| s.subscription_id.eq_ignore_ascii_case(id))
}

fn route(ctx: &Ctx, segs: &[String], lower: &[String]) -> Reply {
    let no_route = || {
        arm_error(
            404,
            "NotFound",
            &format!("The emulated Resource Manager has no route for '{}'.", ctx.req.path),
        )
    };
    if lower.first().map(String::as_str) != Some("subscriptions") {
        return no_route();
    }
    if segs.len() == 1 {
        if ctx.req.method != Method::GET {
            return method_not_allowed(&ctx.req.method);
        }
        return discovery::list_subscriptions(ctx.shared, ctx.req, &ctx.base);
    }
    let Some(sub) = find_subscription(ctx.shared, &segs[1]) else {
        return discovery::subscription_not_found(&segs[1]);
    };
    let rest: Vec<&str> = lower[2..].iter().map(String::as_str).collect();
    match rest.as_slice() {
        [] => {
            if ctx.req.method != Method::GET {
                return method_not_allowed(&ctx.req.method);
            }
            discovery::get_subscription(ctx.shared, sub)
        }
        ["resourcegroups"] => resource_groups::list(ctx, sub),
        ["resourcegroups", _] => resource_groups::one(ctx, sub, &segs[3]),
        ["resourcegroups", _, "resources"] => {
            let key = state::group_key(&sub.subscription_id, &segs[3]);
            if !lock(&ctx.shared.arm).groups.contains_key(&key) {
                return resource_groups::not_found(&segs[3]);
            }
            let scope =
                format!("/subscriptions/{}/resourcegroups/{}", sub.subscription_id, segs[3]);
            resources::list_under(ctx, &scope)
        }
        ["resources"] => {
            resources::list_under(ctx, &format!("/subscriptions/{}", sub.subscription_id))
        }
        ["operationresults", _] => operations::poll(ctx, sub, &segs[3], PollKind::Location),
        ["providers", "microsoft.resources", "operationstatuses", _] => {
            operations::poll(ctx, sub, &segs[5], PollKind::AsyncOperation)
        }
        ["providers", _] => resources::provider(ctx, sub, &segs[3], false),
        ["providers", _, "register"] => resources::provider(ctx, sub, &segs[3], true),
        ["resourcegroups", _, "providers", _, ..] if rest.len() > 4 => {
            resources::generic(ctx, sub, Some(&segs[3]), &segs[5], &segs[6..])
        }
        ["providers", _, ..] if rest.len() > 2 => {
            resources::generic(ctx, sub, None, &segs[3], &segs[4..])
        }
        _ => no_route(),
    }
}
