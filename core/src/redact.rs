//! Redaction of secrets from text that reaches an error: the one place that decides what looks
//! like a secret.
//!
//! Two kinds of text need it. Server-supplied text (an identity endpoint's `error_description`,
//! ARM's error `message` and `details`) may echo the request, bearer token included, whatever
//! the server is; `server_text` replaces anything token-shaped with `***`. Endpoint URLs from
//! the environment may carry `user:password@` userinfo; `userinfo` hides it before a URL is
//! shown in a configuration error.
//!
//! Token-shaped means: the word after `Bearer` or `Basic`; a run from `eyJ` on with two dots
//! (a JWT or JWE: base64url JSON segments); or any base64-like piece of 40 characters or more
//! mixing letters and digits. Resource ids, GUIDs (36 characters), host names and error codes
//! stay readable.

use std::borrow::Cow;

use serde_json::Value;

/// What replaces a secret.
pub(crate) const MASK: &str = "***";

/// A base64-like piece at least this long, mixing letters and digits, is taken for a token.
const OPAQUE_MIN: usize = 40;

/// `text` with every token-shaped run replaced by `***`.
pub(crate) fn server_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_scheme = false;
    let mut rest = text;
    while !rest.is_empty() {
        let gap = rest.find(is_token_char).unwrap_or(rest.len());
        out.push_str(&rest[..gap]);
        rest = &rest[gap..];
        let len = rest.find(|c| !is_token_char(c)).unwrap_or(rest.len());
        let run = &rest[..len];
        if run.is_empty() {
            break;
        }
        if after_scheme {
            out.push_str(MASK);
        } else if let Some(at) = jwt_start(run) {
            // What precedes it in the run (`token=`, `access_token:`) stays readable.
            out.push_str(&run[..at]);
            out.push_str(MASK);
        } else {
            push_masking_opaque(&mut out, run);
        }
        after_scheme = run.eq_ignore_ascii_case("bearer") || run.eq_ignore_ascii_case("basic");
        rest = &rest[len..];
    }
    out
}

/// Every string inside `value` passed through `server_text`.
pub(crate) fn server_json(value: &mut Value) {
    match value {
        Value::String(s) => *s = server_text(s),
        Value::Array(items) => items.iter_mut().for_each(server_json),
        Value::Object(map) => map.values_mut().for_each(server_json),
        _ => {}
    }
}

/// `text` with every occurrence of a secret azmi itself holds (the identity header value, the Arc
/// key, the bearer token it sent) replaced by `***`, whatever its shape: a server may echo it
/// back in an error. Secrets shorter than 4 characters are left alone (they would mask words).
pub(crate) fn known(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| s.len() >= 4)
        .fold(text.to_owned(), |text, secret| text.replace(secret, MASK))
}

/// Every string inside `value` passed through `known`.
pub(crate) fn known_json(value: &mut Value, secrets: &[&str]) {
    match value {
        Value::String(s) => *s = known(s, secrets),
        Value::Array(items) => items.iter_mut().for_each(|v| known_json(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| known_json(v, secrets)),
        _ => {}
    }
}

/// `url` with any `user:password@` before the host replaced by `***@`.
pub(crate) fn userinfo(url: &str) -> Cow<'_, str> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let authority_len = url[start..].find(['/', '?', '#']).unwrap_or(url.len() - start);
    match url[start..start + authority_len].rfind('@') {
        Some(at) => Cow::Owned(format!("{}{MASK}{}", &url[..start], &url[start + at..])),
        None => Cow::Borrowed(url),
    }
}

/// Whether `url` carries userinfo before its host.
pub(crate) fn has_userinfo(url: &str) -> bool {
    matches!(userinfo(url), Cow::Owned(_))
}

/// Characters of base64, base64url and JWTs (`.` joins a JWT's segments).
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '/' | '=')
}

/// Where a JWT-like part of `run` starts: `eyJ` followed by at least two dots.
fn jwt_start(run: &str) -> Option<usize> {
    run.match_indices("eyJ").map(|(i, _)| i).find(|&i| run[i..].matches('.').count() >= 2)
}

/// Pushes `run`, masking each `.`- or `/`-separated piece that looks like an opaque token.
fn push_masking_opaque(out: &mut String, run: &str) {
    let mut piece_start = 0;
    for (i, c) in run.char_indices().chain([(run.len(), '.')]) {
        if matches!(c, '.' | '/') {
            let piece = &run[piece_start..i];
            out.push_str(if is_opaque(piece) { MASK } else { piece });
            if i < run.len() {
                out.push(c);
            }
            piece_start = i + 1;
        }
    }
}

fn is_opaque(piece: &str) -> bool {
    piece.len() >= OPAQUE_MIN
        && piece.bytes().any(|b| b.is_ascii_alphabetic())
        && piece.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQifQ.c2lnbmF0dXJl";

    #[test]
    fn tokens_are_masked() {
        let text = format!("request had Authorization: Bearer {JWT}, rejected");
        assert_eq!(server_text(&text), "request had Authorization: Bearer ***, rejected");
        assert_eq!(server_text(&format!("token={JWT}")), "token=***");
        assert_eq!(server_text("bearer abc"), "bearer ***");
        assert_eq!(server_text("Basic dXNlcjpwYXNz"), "Basic ***");
        let opaque = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A";
        assert_eq!(server_text(&format!("got {opaque} back")), "got *** back");
    }

    #[test]
    fn ordinary_text_stays() {
        let text = "The client '7f3e2c1a-0000-4000-8000-000000000001' with object id \
                    '7f3e2c1a-0000-4000-8000-000000000002' does not have authorization to \
                    perform action 'Microsoft.Resources/subscriptions/resourcegroups/read' over \
                    scope '/subscriptions/7f3e2c1a-0000-4000-8000-000000000003/resourceGroups/rg'";
        assert_eq!(server_text(text), text);
        let text =
            "invalid_resource: AADSTS500011: resource https://management.azure.com/ not found";
        assert_eq!(server_text(text), text);
    }

    #[test]
    fn json_strings_are_masked() {
        let mut v = serde_json::json!({"a": [format!("Bearer {JWT}")], "n": 1});
        server_json(&mut v);
        assert_eq!(v, serde_json::json!({"a": ["Bearer ***"], "n": 1}));
    }

    #[test]
    fn userinfo_is_hidden() {
        assert_eq!(
            userinfo("http://user:pa55@127.0.0.1:9/msi?x=1"),
            "http://***@127.0.0.1:9/msi?x=1"
        );
        assert_eq!(userinfo("http://127.0.0.1:9/a@b"), "http://127.0.0.1:9/a@b");
        assert_eq!(userinfo("u:p@host"), "***@host");
        assert!(has_userinfo("https://a:b@c/"));
        assert!(!has_userinfo("https://c/"));
    }

    proptest! {
        /// Whatever surrounds it, a JWT never survives.
        #[test]
        fn a_jwt_never_survives(before in "[ -~]{0,40}", after in "[ -~]{0,40}") {
            let text = format!("{before} {JWT} {after}");
            prop_assert!(!server_text(&text).contains("eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQifQ"));
        }
    }
}
