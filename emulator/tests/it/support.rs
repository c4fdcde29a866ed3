//! Helpers: a loopback-only HTTP client that never uses a proxy, and token decoding.

use std::time::Duration;

use azmi_emulator::{Emulator, EmulatorConfig};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use serde_json::Value;

pub const ARM: &str = "https://management.azure.com/";

pub fn start() -> Emulator {
    Emulator::start(EmulatorConfig::default()).expect("emulator starts")
}

pub fn start_with(f: impl FnOnce(&mut EmulatorConfig)) -> Emulator {
    let mut cfg = EmulatorConfig::default();
    f(&mut cfg);
    Emulator::start(cfg).expect("emulator starts")
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }
}

/// No proxy (tests talk to 127.0.0.1 only), statuses are answers not errors, every call bounded.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(15)))
        .build()
        .into()
}

fn read(resp: Result<http::Response<ureq::Body>, ureq::Error>) -> Result<Resp, ureq::Error> {
    let mut resp = resp?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = resp.body_mut().with_config().limit(1 << 20).read_to_string()?;
    Ok(Resp { status, headers, body })
}

pub fn try_get(url: &str, headers: &[(&str, &str)]) -> Result<Resp, ureq::Error> {
    assert_loopback(url);
    let mut req = agent().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    read(req.call())
}

pub fn get(url: &str, headers: &[(&str, &str)]) -> Resp {
    try_get(url, headers).unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

pub fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&Value>) -> Resp {
    assert_loopback(url);
    let mut builder = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let result = match body {
        Some(json) => {
            let req = builder
                .header("content-type", "application/json")
                .body(serde_json::to_vec(json).unwrap())
                .unwrap();
            agent().run(req)
        }
        None => agent().run(builder.body(()).unwrap()),
    };
    read(result).unwrap_or_else(|e| panic!("{method} {url}: {e}"))
}

pub fn post_form(url: &str, headers: &[(&str, &str)], form: &[(&str, &str)]) -> Resp {
    assert_loopback(url);
    let mut req = agent().post(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    read(req.send_form(form.iter().copied())).unwrap_or_else(|e| panic!("POST {url}: {e}"))
}

pub fn assert_loopback(url: &str) {
    assert!(
        url.starts_with("http://127.0.0.1:") || url.starts_with("https://127.0.0.1:"),
        "tests only talk to loopback: {url}"
    );
}

/// `base + path + ?query`, the query form-encoded.
pub fn url(base: &str, path: &str, query: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        q.append_pair(k, v);
    }
    let q = q.finish();
    if q.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{q}")
    }
}

/// A token URL: `base + path + ?api-version=…&resource=ARM`, then `extra`.
pub fn token_url(base: &str, path: &str, api_version: &str, extra: &[(&str, &str)]) -> String {
    let mut query = vec![("api-version", api_version), ("resource", ARM)];
    query.extend_from_slice(extra);
    url(base, path, &query)
}

pub fn env(emu: &Emulator, source: &str, name: &str) -> String {
    emu.env_for(source)
        .into_iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("{source} has no {name}"))
        .1
}

/// Verifies the token's signature with the emulator's public key and returns its claims.
pub fn claims(emu: &Emulator, token: &str) -> Value {
    let key =
        rsa::RsaPublicKey::from_public_key_pem(&emu.public_key_pem()).expect("public key PEM");
    let decoding =
        DecodingKey::from_rsa_raw_components(&key.n().to_bytes_be(), &key.e().to_bytes_be());
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &decoding, &validation).expect("token verifies").claims
}

pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// Checks the claims every issued token carries for `identity` and `resource`.
pub fn assert_token_for(
    emu: &Emulator,
    token: &str,
    identity: &azmi_emulator::IdentitySpec,
    resource: &str,
) {
    let c = claims(emu, token);
    assert_eq!(c["aud"], resource);
    assert_eq!(c["oid"], identity.object_id.as_str());
    assert_eq!(c["appid"], identity.client_id.as_str());
    assert_eq!(c["xms_mirid"], identity.resource_id.as_str());
    assert_eq!(c["tid"], emu.tenant_id());
    assert_eq!(c["iss"], format!("https://sts.windows.net/{}/", emu.tenant_id()).as_str());
    let exp = c["exp"].as_u64().unwrap();
    let iat = c["iat"].as_u64().unwrap();
    assert_eq!(exp - iat, 3600);
    assert!(iat.abs_diff(now()) <= 5, "iat is now");
}
