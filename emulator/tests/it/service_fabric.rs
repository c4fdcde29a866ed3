//! Service Fabric over HTTPS, trusted only by pinning the certificate's SHA-1 thumbprint, as
//! MSAL does against a real cluster. The client is azmi-host's production transport, whose pin
//! this also exercises.

use std::time::Duration;

use azmi_core::{Outgoing, RequestId};
use azmi_host::Transport;

use crate::support::*;

/// GET over HTTPS trusting only the certificate whose SHA-1 is `thumbprint`.
fn pinned_get(url: &str, thumbprint: &str, headers: &[(&str, &str)]) -> Result<Resp, String> {
    assert_loopback(url);
    let mut request = http::Request::builder().uri(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let out = Outgoing {
        id: RequestId(1),
        request: request.body(Vec::new()).map_err(|e| e.to_string())?,
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(5),
        max_response_bytes: 1 << 20,
        tls_pin: Some(thumbprint.to_owned()),
        bypass_proxy: true,
    };
    let resp = Transport::new().send(out).map_err(|e| e.to_string())?;
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = String::from_utf8_lossy(resp.body()).into_owned();
    Ok(Resp { status: resp.status().as_u16(), headers, body })
}

#[test]
fn token_over_pinned_https() {
    let emu = start();
    let endpoint = env(&emu, "service_fabric", "IDENTITY_ENDPOINT");
    let secret = env(&emu, "service_fabric", "IDENTITY_HEADER");
    let thumbprint = env(&emu, "service_fabric", "IDENTITY_SERVER_THUMBPRINT");
    assert_eq!(thumbprint.len(), 40);
    assert!(thumbprint.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));

    let target = token_url(&endpoint, "", "2019-07-01-preview", &[]);
    let r = pinned_get(&target, &thumbprint, &[("Secret", &secret)]).unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_on"].is_u64());
    assert_eq!(body["resource"], ARM);
    assert_token_for(&emu, body["access_token"].as_str().unwrap(), &emu.identities()[0], ARM);

    let r = pinned_get(&target, &thumbprint, &[]).unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "SecretHeaderNotFound");
    let r = pinned_get(&target, &thumbprint, &[("Secret", "wrong")]).unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "ManagedIdentityNotFound");
    let r = pinned_get(
        &token_url(&endpoint, "", "2019-08-01", &[]),
        &thumbprint,
        &[("Secret", &secret)],
    )
    .unwrap();
    assert_eq!(r.json()["error"]["code"], "InvalidApiVersion");
    let r = pinned_get(
        &url(&endpoint, "", &[("api-version", "2019-07-01-preview")]),
        &thumbprint,
        &[("Secret", &secret)],
    )
    .unwrap();
    assert_eq!(r.json()["error"]["code"], "ArgumentNullOrEmpty");
}

#[test]
fn another_pin_is_refused() {
    let emu = start();
    let endpoint = env(&emu, "service_fabric", "IDENTITY_ENDPOINT");
    let err = pinned_get(&endpoint, &"0".repeat(40), &[]).unwrap_err();
    assert!(err.contains("TLS"), "{err}");
}

#[test]
fn https_port_serves_only_service_fabric() {
    let emu = start();
    let r = pinned_get(
        &format!(
            "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={ARM}",
            emu.https_url()
        ),
        &emu.sf_thumbprint(),
        &[("Metadata", "true")],
    )
    .unwrap();
    // That path is Service Fabric's own on a real cluster, so it answers as Service Fabric.
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "SecretHeaderNotFound");
    let r = pinned_get(&format!("{}/subscriptions", emu.https_url()), &emu.sf_thumbprint(), &[])
        .unwrap();
    assert_eq!(r.status, 404);
}
