//! Judging one HTTP response: a token, a reason to retry, the Arc challenge, or a failure.
//!
//! Order matters: the size cap first, then the status, and only then the body. A body that is not
//! JSON where IMDS should be is judged by its shape, not its words: Docker Desktop and proxies
//! answer with text (sometimes localised), IMDS never does.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::config::Identity;
use crate::error::ErrorKind;
use crate::expiry;
use crate::jwt;
use crate::redact;
use crate::retry;
use crate::source::{arc, SourceKind};
use crate::time::UnixMillis;
use crate::token::AccessToken;

/// What one response means.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// A usable token.
    Token(AccessToken),
    /// Worth another attempt; `failure` is the error if none is left.
    Retry { failure: ErrorKind, server_delay: Option<Duration>, gone: bool },
    /// Azure Arc's first-leg challenge: read the key at this path (or the path was refused).
    ArcChallenge(Result<String, String>),
    /// Final.
    Fail(ErrorKind),
}

/// What the flow knows when a response arrives.
pub(crate) struct Context<'a> {
    pub(crate) kind: SourceKind,
    pub(crate) identity: &'a Identity,
    pub(crate) now: UnixMillis,
    pub(crate) max_body: usize,
    /// Arc: no key sent yet, so a 401 is the expected challenge.
    pub(crate) arc_first_leg: bool,
    pub(crate) arc_key_dir: Option<&'a arc::KeyDir>,
}

/// Judges `resp`.
pub(crate) fn judge(cx: &Context<'_>, resp: &http::Response<Vec<u8>>) -> Verdict {
    let status = resp.status().as_u16();
    let body = resp.body();
    if body.len() > cx.max_body {
        let problem = format!("body of {} bytes is over the {} byte cap", body.len(), cx.max_body);
        return Verdict::Fail(ErrorKind::InvalidResponse { problem });
    }
    let json = serde_json::from_slice::<Value>(body).ok().filter(Value::is_object);
    if cx.kind == SourceKind::Imds && json.is_none() && !retry::is_retryable(cx.kind, status) {
        let reason = format!("status {status} with a non-JSON body at the IMDS address: something other than IMDS answered (Docker Desktop, a proxy, a firewall)");
        return Verdict::Fail(ErrorKind::Unavailable { reason });
    }
    if resp.status().is_success() {
        return match json {
            Some(json) => token(cx, json, body),
            None => Verdict::Fail(ErrorKind::InvalidResponse {
                problem: format!("status {status} but the body is not a JSON object"),
            }),
        };
    }
    let detail = error_detail(json.as_ref());
    if cx.kind == SourceKind::AzureArc && cx.arc_first_leg && status == 401 {
        let challenge = resp.headers().get("www-authenticate").and_then(|v| v.to_str().ok());
        let path = match cx.arc_key_dir {
            Some(dir) => arc::key_path(challenge, dir),
            None => Err("no Azure Arc key directory is known".to_owned()),
        };
        return Verdict::ArcChallenge(path);
    }
    if retry::is_retryable(cx.kind, status) {
        let server_delay = retry::server_delay(resp.headers(), cx.now);
        let failure = match status {
            429 => ErrorKind::Throttled { retry_after: server_delay },
            _ => ErrorKind::EndpointError { status, detail },
        };
        return Verdict::Retry {
            failure,
            server_delay,
            gone: status == 410 && cx.kind == SourceKind::Imds,
        };
    }
    Verdict::Fail(failure(cx.kind, status, json.as_ref(), detail))
}

/// The error for a final non-success status.
fn failure(kind: SourceKind, status: u16, json: Option<&Value>, detail: String) -> ErrorKind {
    let code = json
        .and_then(|j| j.get("error"))
        .and_then(|e| e.as_str().or_else(|| e.get("code")?.as_str()));
    match (kind, status, code) {
        (_, _, Some("ManagedIdentityNotFound")) => ErrorKind::IdentityNotFound { status, detail },
        (SourceKind::Imds, 400, Some("invalid_resource" | "bad_request_102")) => {
            ErrorKind::BadRequest { status, detail }
        }
        (_, 400, _) => ErrorKind::IdentityNotFound { status, detail },
        (_, 401 | 403, _) => ErrorKind::Unauthorized { status, detail },
        _ => ErrorKind::EndpointError { status, detail },
    }
}

/// ` (code: description)` from the error shapes of IMDS, App Service and Service Fabric.
fn error_detail(json: Option<&Value>) -> String {
    let Some(j) = json else { return String::new() };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let nested = j.get("error").filter(|e| e.is_object());
    let code = text(j.get("error")).or_else(|| text(nested.and_then(|e| e.get("code"))));
    let message = text(j.get("error_description"))
        .or_else(|| text(j.get("message")))
        .or_else(|| text(nested.and_then(|e| e.get("message"))));
    let joined = match (code, message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(s), None) | (None, Some(s)) => s,
        (None, None) => return String::new(),
    };
    // Redact before truncating, so a cut can never leave a token piece too short to recognise.
    format!(" ({})", truncate(&redact::server_text(&joined), 200))
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The fields of a token response azmi reads; types vary by source, so values stay loose.
#[derive(Deserialize)]
struct Wire {
    access_token: Option<Value>,
    expires_on: Option<Value>,
    expires_in: Option<Value>,
    refresh_in: Option<Value>,
    not_before: Option<Value>,
    token_type: Option<Value>,
    resource: Option<Value>,
    client_id: Option<Value>,
    object_id: Option<Value>,
    principal_id: Option<Value>,
    msi_res_id: Option<Value>,
    mi_res_id: Option<Value>,
}

fn token(cx: &Context<'_>, json: Value, body: &[u8]) -> Verdict {
    let invalid =
        |problem: &str| Verdict::Fail(ErrorKind::InvalidResponse { problem: problem.to_owned() });
    let Ok(w) = serde_json::from_value::<Wire>(json) else {
        return invalid("the body is not a token response");
    };
    let Some(secret) = w.access_token.as_ref().and_then(Value::as_str).filter(|t| !t.is_empty())
    else {
        return invalid("no access_token in the response");
    };
    let claims = jwt::claims(secret).unwrap_or_default();
    if let Err(kind) = check_identity(cx, &w, &claims) {
        return Verdict::Fail(kind);
    }
    let Some(expires_on) = (match local_expiry(cx.now, &w, &claims) {
        Ok(at) => at,
        Err(field) => return invalid(&format!("{field} is not a time azmi understands")),
    }) else {
        return invalid("no expires_on, expires_in or JWT exp");
    };
    if expires_on <= cx.now {
        return invalid("the token is already expired (check this host's clock)");
    }
    if expires_on > cx.now.plus(MAX_LIFETIME) {
        // Managed identity tokens live about a day; a far expiry would be cached for ever.
        return invalid("the token says it expires more than 7 days from now, which no managed identity token does (check the endpoint, or this host's clock)");
    }
    let refresh_in =
        w.refresh_in.as_ref().and_then(expiry::parse_seconds).map(Duration::from_secs_f64);
    let token_type = w.token_type.as_ref().and_then(Value::as_str).unwrap_or("Bearer");
    let mut t = AccessToken::new(
        secret,
        token_type,
        expires_on,
        expiry::refresh_on(cx.now, expires_on, refresh_in),
    );
    t.not_before = w.not_before.as_ref().and_then(expiry::parse_instant);
    t.resource = w.resource.as_ref().and_then(Value::as_str).map(str::to_owned);
    Verdict::Token(t.with_raw_response(&String::from_utf8_lossy(body)))
}

/// The longest lifetime a token may claim; managed identity tokens live about a day.
const MAX_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Clock skew beyond this between `expires_in` and the absolute expiry is taken for a wrong
/// host clock (five minutes is what Entra and Kerberos tolerate).
const SKEW_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// When the token expires on this host's clock. `expires_on` and the JWT's `exp` are instants
/// on the issuer's clock; `expires_in` is relative, so `now + expires_in` holds whatever this
/// host's clock says. Normally the earliest wins (the safe choice when they differ by transit
/// time or a stale body). When the absolute instant lies before `now + expires_in` by more than
/// `SKEW_TOLERANCE`, or by more than half the time `expires_in` leaves, this host's clock runs
/// ahead of the issuer's and trusting the absolute instant would make tokens look expired:
/// `expires_in` decides then, capped by the JWT's lifetime as issued (`exp - iat`, skew-free
/// too) so an inflated `expires_in` cannot outlive the token. Every field present must parse:
/// `Err` names the one that does not.
fn local_expiry(
    now: UnixMillis,
    w: &Wire,
    claims: &jwt::Claims,
) -> Result<Option<UnixMillis>, &'static str> {
    let on = w.expires_on.as_ref().map(|v| expiry::parse_instant(v).ok_or("expires_on"));
    let exp = claims.exp.map(|exp| UnixMillis((exp * 1000.0) as u64));
    let absolute = on.transpose()?.into_iter().chain(exp).min();
    let relative = w
        .expires_in
        .as_ref()
        .map(|v| expiry::parse_seconds(v).ok_or("expires_in"))
        .transpose()?
        .map(Duration::from_secs_f64)
        .map(|d| now.plus(claims.lifetime().map_or(d, |l| d.min(l))));
    Ok(match (relative, absolute) {
        (Some(r), Some(a)) if r.since(a) > SKEW_TOLERANCE.min(r.since(now) / 2) => Some(r),
        (r, a) => r.into_iter().chain(a).min(),
    })
}

/// Fails closed when the response or the JWT names another identity than the one asked for.
/// Azure Arc must echo the identity: old agents silently return the system identity.
fn check_identity(cx: &Context<'_>, w: &Wire, claims: &jwt::Claims) -> Result<(), ErrorKind> {
    let text = |v: &Option<Value>| v.as_ref().and_then(Value::as_str).map(str::to_owned);
    let (wanted, echoes) = match cx.identity {
        Identity::SystemAssigned => return Ok(()),
        Identity::ClientId(id) => (id, [text(&w.client_id), claims.appid.clone(), None]),
        Identity::ObjectId(id) => {
            (id, [text(&w.object_id), text(&w.principal_id), claims.oid.clone()])
        }
        Identity::ResourceId(id) => {
            (id, [text(&w.msi_res_id), text(&w.mi_res_id), claims.xms_mirid.clone()])
        }
    };
    let mut echoed = echoes.into_iter().flatten().peekable();
    if echoed.peek().is_none() {
        if cx.kind == SourceKind::AzureArc {
            return Err(ErrorKind::WrongIdentity {
                requested: cx.identity.describe(),
                returned: "no identity echo (an old Arc agent ignores user-assigned identities)"
                    .into(),
            });
        }
        return Ok(());
    }
    match echoed.find(|e| !e.eq_ignore_ascii_case(wanted)) {
        Some(other) => {
            let returned = redact::server_text(&other);
            Err(ErrorKind::WrongIdentity { requested: cx.identity.describe(), returned })
        }
        None => Ok(()),
    }
}
