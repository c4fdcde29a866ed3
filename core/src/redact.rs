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
//! (a JWT or JWE: base64url JSON segments); or a random-looking piece of 40 characters or more
//! (`looks_random`): upper- and lower-case letters, where the lower-case ones come in short
//! runs, as in base64 of random bytes (about 1.7 letters a run), not in words, as in
//! ARM names however long (`MyResourceGroupForProduction2024`, `rg-shared-services-prod-01`).
//! A piece is a `/`-separated part of a `.`-separated part of a run, or that whole part when it
//! could be standard base64 (which contains `/`, never `-` or `_`) and none of its pieces is long
//! enough to judge. Resource ids, operation names, GUIDs, request and correlation ids,
//! thumbprints, host names and error codes stay readable;
//! the secrets azmi holds itself are masked by `known` whatever their shape.

use std::borrow::Cow;

use serde_json::Value;

/// What replaces a secret.
pub(crate) const MASK: &str = "***";

/// A random-looking piece at least this long is taken for a token.
const OPAQUE_MIN: usize = 40;
/// Lower-case letters in runs of 3.5 or more on average (7 in 2) make words, not randomness. In
/// base64 of random bytes a run averages about 1.7 letters: 40 such characters pass for words
/// about once in a thousand, 64 under once in ten thousand (measured over 200 000 samples).
const WORD_RUN: (usize, usize) = (7, 2);

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

/// Pushes `run`, masking each `/`-separated part of a `.`-separated piece that looks random; or
/// the whole piece when it is base64 that does and its parts are too short to judge.
fn push_masking_opaque(out: &mut String, run: &str) {
    for (i, piece) in run.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        // Standard base64 has `/` but never `-` or `_`, which ids (GUIDs, names) have.
        let base64 = !piece.contains(['-', '_']);
        let judged = piece.split('/').any(|part| part.len() >= OPAQUE_MIN);
        if base64 && !judged && looks_random(piece) {
            out.push_str(MASK);
            continue;
        }
        for (j, part) in piece.split('/').enumerate() {
            if j > 0 {
                out.push('/');
            }
            out.push_str(if looks_random(part) { MASK } else { part });
        }
    }
}

/// Whether `piece` looks like base64 of random bytes rather than a name (see the module docs).
fn looks_random(piece: &str) -> bool {
    let bytes = piece.as_bytes();
    if piece.len() < OPAQUE_MIN
        || !bytes.iter().any(u8::is_ascii_uppercase)
        || !bytes.iter().any(u8::is_ascii_lowercase)
    {
        return false;
    }
    let runs = piece.split(|c: char| !c.is_ascii_lowercase()).filter(|r| !r.is_empty());
    let (letters, count) = runs.fold((0, 0), |(letters, count), r| (letters + r.len(), count + 1));
    let (words, per) = WORD_RUN;
    per * letters < words * count
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

    /// Error texts the way ARM writes them, with long names, resource ids, GUIDs, request and
    /// correlation ids, tracking ids, operation names and a thumbprint: nothing in them is a
    /// secret, and all of it is what a user needs to act.
    const ARM_TEXTS: &[&str] = &[
        "The Resource 'Microsoft.Network/applicationGateways/\
         my-very-long-application-gateway-name-prod-westeurope-001' under resource group \
         'rg-networking-shared-services-prod-westeurope-01' was not found.",
        "Resource group 'MyResourceGroupForProductionWorkloads2024' could not be found.",
        "The client 'ci-deployer@contoso.onmicrosoft.com' with object id \
         'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b' does not have authorization to perform action \
         'Microsoft.Resources/subscriptions/resourceGroups/write' over scope \
         '/subscriptions/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9/resourceGroups/\
         MyResourceGroupForProductionWorkloads2024/providers/Microsoft.Network/\
         applicationGateways/AppGatewayWestEurope2024PrimaryInstance01' or the scope is invalid.",
        "The template deployment \
         'AzureKubernetesService-ClusterCreate-20231114T221320Z-Deployment01' is not valid \
         according to the validation procedure. The tracking id is \
         '7f3e2c1a-0000-4000-8000-000000000001'.",
        "Tracking id: 'WESTEUROPE:20231114T221320Z:5D6A4C3B2A1F4E0D9C8B7A6F5E4D3C2B'; \
         x-ms-request-id: 3c2b1a09-8f7e-4d6c-a5b4-c3d2e1f0a9b8; x-ms-correlation-request-id: \
         9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
        "Certificate with thumbprint 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678' is not \
         trusted; digest 3f786850e387550fdab836ed7e6dc881de23001b3f786850e387550fdab836ed.",
        "Resource '/subscriptions/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9/resourceGroups/rg1/\
         providers/Microsoft.Compute/virtualMachines/vm1/extensions/\
         a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d' failed; see \
         /subscriptions/0B1C2D3E-4F50-4617-8293-A4B5C6D7E8F9/providers/Microsoft.Resources/\
         deployments/Deploy01Ab2Cd3Ef4/operations/08585012345678901234567890123CU01",
        "The storage account name 'contosoproductionlogs2024westeurope' is already taken; \
         operation Microsoft.Storage/storageAccounts/listKeys/action failed for \
         VirtualMachineScaleSetExtensionProvisioningState_Failed.",
    ];

    #[test]
    fn legitimate_arm_texts_stay_readable() {
        for text in ARM_TEXTS {
            assert_eq!(server_text(text), *text);
            let mut v = serde_json::json!({"message": text, "details": [{"target": text}]});
            let before = v.clone();
            server_json(&mut v);
            assert_eq!(v, before);
        }
    }

    #[test]
    fn token_shaped_texts_are_masked() {
        // base64url of 32 random bytes, no separators; base64 with `/` and `+` (a storage key).
        let opaque = "q3ZF8kPbXm2Lw9RtA-b7Cd1Ef4Gh6Ij0KlzMn5Op8Qr";
        let with_slashes = "Xm2Lw9Rt/Ab7Cd1Ef4Gh6Ij0Kl/Mn5Op8Qr2St4Uv6Wx8Yz0q3ZF+kPb9a/hT==";
        let cases = [
            (format!("echo: Authorization: Bearer {JWT}"), "echo: Authorization: Bearer ***"),
            (format!("invalid token {JWT}; refused"), "invalid token ***; refused"),
            ("Authorization: Basic dXNlcjpwYXNz".into(), "Authorization: Basic ***"),
            (format!("key {opaque} refused"), "key *** refused"),
            (format!("key: {with_slashes}"), "key: ***"),
            (format!("at /subscriptions/x/keys/{opaque}"), "at /subscriptions/x/keys/***"),
        ];
        for (text, masked) in cases {
            assert_eq!(server_text(&text), masked);
        }
        let echoed = "the header was hostile-secret-header-7f3a9c51, a short lowercase word";
        let masked = known(echoed, &["hostile-secret-header-7f3a9c51"]);
        assert_eq!(masked, "the header was ***, a short lowercase word");
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

    /// An ARM-style name: words (capitalised or not, at least four lower-case letters: names of
    /// only three-letter words and digits, 40 characters long, may be masked), digit blocks and
    /// acronyms, joined by nothing, `-` or `_`.
    fn arm_name() -> impl Strategy<Value = String> {
        let part = prop_oneof!["[A-Z][a-z]{4,9}", "[a-z]{4,10}", "[0-9]{1,8}", "[A-Z]{2,5}"];
        (prop::collection::vec(part, 1..10), "[-_]?").prop_map(|(parts, sep)| parts.join(&sep))
    }

    proptest! {
        /// Resource ids built of ARM-style names, however long, are never masked.
        #[test]
        fn arm_names_survive(names in prop::collection::vec(arm_name(), 1..6)) {
            let id = format!("/subscriptions/{}/resourceGroups/x", names.join("/"));
            prop_assert_eq!(server_text(&id), id.clone());
            let dotted = names.join(".");
            prop_assert_eq!(server_text(&dotted), dotted.clone());
        }

        /// Whatever surrounds it, a base64 token without separators never survives.
        #[test]
        fn an_opaque_token_never_survives(before in "[ -~]{0,40}", after in "[ -~]{0,40}") {
            let token = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A";
            let text = format!("{before} {token} {after}");
            prop_assert!(!server_text(&text).contains(token));
        }

        /// Whatever surrounds it, a JWT never survives.
        #[test]
        fn a_jwt_never_survives(before in "[ -~]{0,40}", after in "[ -~]{0,40}") {
            let text = format!("{before} {JWT} {after}");
            prop_assert!(!server_text(&text).contains("eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQifQ"));
        }
    }
}
