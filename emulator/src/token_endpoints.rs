//! The token endpoints: check the caller as the real service does, pick the identity, mint a
//! token and answer in the source's exact shape (docs/protocol.md §1).

use azmi_core::SourceKind;
use http::Method;
use serde_json::{json, Value};

use crate::config::{DateFormat, IdentityKind, IdentitySpec};
use crate::http_util::{unix_now, Reply, Req};
use crate::shared::{lock, Shared};
use crate::sources::SourceAnswers;

/// The only api-version the Service Fabric endpoint accepts.
const SF_API_VERSION: &str = "2019-07-01-preview";
const APP_SERVICE_API_VERSION: &str = "2019-08-01";

pub(crate) fn handle(shared: &Shared, source: SourceKind, req: &Req) -> Reply {
    let posts_form = matches!(source, SourceKind::CloudShell | SourceKind::LegacyVmExtension);
    let method = if posts_form { Method::POST } else { Method::GET };
    if req.method != method {
        return source
            .error(405, "method_not_allowed", &format!("Use {method} for this endpoint"))
            .with_header("allow", method.as_str());
    }
    if let Some(refusal) = check_caller(shared, source, req) {
        return refusal;
    }
    if let Some(refusal) = check_api_version(source, req) {
        return refusal;
    }
    let params = if posts_form { req.form() } else { req.query.clone() };
    let resource = params.iter().find(|(k, _)| k == "resource").map(|(_, v)| v.as_str());
    let Some(resource) = resource.filter(|r| !r.trim().is_empty()) else {
        return missing_resource(source);
    };
    let selector = match source.selector(&params) {
        Ok(s) => s,
        Err(reply) => return reply,
    };
    let Some(identity) = shared.find_identity(&selector) else {
        return source.identity_not_found();
    };
    let now = unix_now();
    let lifetime = shared.cfg.token_lifetime.as_secs();
    let token = shared.signer.mint(identity, resource, now, lifetime);
    Reply::json(200, &body(shared, source, identity, resource, &token, now, lifetime))
}

/// Header checks: the SSRF guard (`Metadata: true`), the per-source secret, the Arc challenge.
fn check_caller(shared: &Shared, source: SourceKind, req: &Req) -> Option<Reply> {
    let metadata_ok = req.header("metadata") == Some("true");
    let no_metadata =
        || source.error(400, "bad_request_102", "Required metadata header not specified");
    match source {
        SourceKind::Imds => {
            // IMDS refuses anything that came through a proxy.
            if req.headers.contains_key("x-forwarded-for") {
                return Some(source.error(
                    400,
                    "invalid_request",
                    "Requests with an X-Forwarded-For header are not allowed",
                ));
            }
            (!metadata_ok).then(no_metadata)
        }
        SourceKind::CloudShell | SourceKind::LegacyVmExtension => (!metadata_ok).then(no_metadata),
        SourceKind::AzureArc => {
            if !metadata_ok {
                return Some(no_metadata());
            }
            arc_challenge(shared, req)
        }
        SourceKind::AppService => refuse_unless_secret(
            (req, source),
            ("x-identity-header", &lock(&shared.secrets).identity_header),
            (
                "Unauthorized",
                "The X-IDENTITY-HEADER header is missing or not the current IDENTITY_HEADER",
            ),
        ),
        SourceKind::AppService2017 => refuse_unless_secret(
            (req, source),
            ("secret", &lock(&shared.secrets).identity_header),
            ("UnauthorizedAccessException", "The secret header is missing or wrong"),
        ),
        SourceKind::AzureMl => refuse_unless_secret(
            (req, source),
            ("secret", &lock(&shared.secrets).ml_secret),
            ("Unauthorized", "The secret header is missing or not MSI_SECRET"),
        ),
        SourceKind::ServiceFabric => {
            let expected = lock(&shared.secrets).sf_secret.clone();
            match req.header("secret") {
                None => Some(source.error(
                    401,
                    "SecretHeaderNotFound",
                    "Secret is not found in the request headers.",
                )),
                // An unknown authentication code reads as "no identity here" on Service Fabric.
                Some(s) if s != expected => Some(source.identity_not_found()),
                Some(_) => None,
            }
        }
    }
}

/// A 401 with `code` and `message` in the source's shape unless header `name` holds exactly
/// `expected` (App Service and Azure ML: a missing and a wrong secret are answered alike).
fn refuse_unless_secret(
    (req, source): (&Req, SourceKind),
    (name, expected): (&str, &str),
    (code, message): (&str, &str),
) -> Option<Reply> {
    (req.header(name) != Some(expected)).then(|| source.error(401, code, message))
}

/// Azure Arc's first leg: without the right `Authorization: Basic <key>`, write a fresh key file
/// and name it in the challenge.
fn arc_challenge(shared: &Shared, req: &Req) -> Option<Reply> {
    let presented = req
        .header("authorization")
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, secret)| secret.trim().to_owned());
    let mut keys = lock(&shared.arc);
    if presented.as_deref().is_some_and(|s| keys.accepts(s)) {
        return None;
    }
    Some(match keys.challenge() {
        Ok(path) => SourceKind::AzureArc
            .error(
                401,
                "unauthorized_client",
                "Read the key file named in WWW-Authenticate and retry",
            )
            .with_header("www-authenticate", format!("Basic realm={}", path.display())),
        Err(e) => SourceKind::AzureArc.error(
            500,
            "internal_error",
            &format!("cannot write key file: {e}"),
        ),
    })
}

fn check_api_version(source: SourceKind, req: &Req) -> Option<Reply> {
    let version = req.query("api-version").unwrap_or("");
    match source {
        SourceKind::CloudShell | SourceKind::LegacyVmExtension => None,
        // Routed here only with 2017-09-01.
        SourceKind::AppService2017 => None,
        SourceKind::AppService => (version != APP_SERVICE_API_VERSION).then(|| {
            source.error(
                400,
                "BadRequest",
                &format!(
                    "The api-version '{version}' is not supported. Use {APP_SERVICE_API_VERSION} (or 2017-09-01 with the secret header)"
                ),
            )
        }),
        SourceKind::ServiceFabric => (version != SF_API_VERSION).then(|| {
            source.error(
                400,
                "InvalidApiVersion",
                &format!(
                    "The api-version '{version}' is not supported. Supported version is '{SF_API_VERSION}'."
                ),
            )
        }),
        SourceKind::Imds | SourceKind::AzureArc | SourceKind::AzureMl => version.is_empty().then(|| {
            source.error(400, "invalid_request", "Required api-version parameter not specified")
        }),
    }
}

fn missing_resource(source: SourceKind) -> Reply {
    match source {
        SourceKind::ServiceFabric => source.error(
            400,
            "ArgumentNullOrEmpty",
            "The parameter 'resource' cannot be null or empty.",
        ),
        _ => source.error(400, "invalid_request", "Required audience parameter not specified"),
    }
}

/// The 200 body in each service's own shape; field types matter (strings vs numbers).
fn body(
    shared: &Shared,
    source: SourceKind,
    identity: &IdentitySpec,
    resource: &str,
    token: &str,
    now: u64,
    lifetime: u64,
) -> Value {
    let expires_on = now + lifetime;
    match source {
        // Every value a string; `client_id` as today's IMDS adds it.
        SourceKind::Imds => json!({
            "access_token": token,
            "client_id": identity.client_id,
            "expires_in": lifetime.to_string(),
            "expires_on": expires_on.to_string(),
            "ext_expires_in": lifetime.to_string(),
            "not_before": now.to_string(),
            "refresh_token": "",
            "resource": resource,
            "token_type": "Bearer",
        }),
        SourceKind::CloudShell | SourceKind::LegacyVmExtension => json!({
            "access_token": token,
            "expires_in": lifetime.to_string(),
            "expires_on": expires_on.to_string(),
            "not_before": now.to_string(),
            "refresh_token": "",
            "resource": resource,
            "token_type": "Bearer",
        }),
        SourceKind::AzureArc => {
            let mut body = json!({
                "access_token": token,
                "expires_in": lifetime.to_string(),
                "expires_on": expires_on.to_string(),
                "ext_expires_in": lifetime.to_string(),
                "not_before": now.to_string(),
                "resource": resource,
                "token_type": "Bearer",
            });
            // Clients fail closed unless a user-assigned request is echoed (old agents silently
            // answered with the system identity).
            if identity.kind == IdentityKind::UserAssigned {
                body["client_id"] = json!(identity.client_id);
                body["object_id"] = json!(identity.object_id);
                body["msi_res_id"] = json!(identity.resource_id);
            }
            body
        }
        SourceKind::AppService => json!({
            "access_token": token,
            "client_id": identity.client_id,
            "expires_on": expires_on.to_string(),
            "not_before": now.to_string(),
            "resource": resource,
            "token_type": "Bearer",
        }),
        SourceKind::AppService2017 => json!({
            "access_token": token,
            "expires_on": app_service_2017_date(expires_on, shared.cfg.app_service_2017_date_format),
            "resource": resource,
            "token_type": "Bearer",
        }),
        SourceKind::AzureMl => json!({
            "access_token": token,
            "expires_in": lifetime,
            "expires_on": expires_on,
            "resource": resource,
            "token_type": "Bearer",
        }),
        SourceKind::ServiceFabric => json!({
            "token_type": "Bearer",
            "access_token": token,
            "expires_on": expires_on,
            "resource": resource,
        }),
    }
}

/// `expires_on` as the 2017-09-01 endpoint writes it, which depends on the worker's OS.
pub(crate) fn app_service_2017_date(unix: u64, format: DateFormat) -> String {
    let Some(t) = chrono::DateTime::from_timestamp(i64::try_from(unix).unwrap_or(i64::MAX), 0)
    else {
        return String::new();
    };
    match format {
        DateFormat::Windows => t.format("%-m/%-d/%Y %-I:%M:%S %p +00:00").to_string(),
        DateFormat::Linux => t.format("%m/%d/%Y %H:%M:%S +00:00").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_service_2017_dates_match_both_oses() {
        // 2020-01-16T05:24:12Z and 2019-06-20T02:57:58Z, the samples clients are tested with.
        assert_eq!(
            app_service_2017_date(1579152252, DateFormat::Windows),
            "1/16/2020 5:24:12 AM +00:00"
        );
        assert_eq!(
            app_service_2017_date(1560999478, DateFormat::Linux),
            "06/20/2019 02:57:58 +00:00"
        );
        assert_eq!(
            app_service_2017_date(1560999478 + 12 * 3600, DateFormat::Windows),
            "6/20/2019 2:57:58 PM +00:00"
        );
    }
}
