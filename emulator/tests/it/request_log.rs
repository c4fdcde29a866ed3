//! The request log names endpoints and statuses but never holds a token or a secret.

use serde_json::json;

use crate::support::*;

#[test]
fn log_never_contains_tokens_or_secrets() {
    let emu = start();
    let mut secrets = Vec::new();

    let header = env(&emu, "app_service", "IDENTITY_HEADER");
    let r = get(
        &token_url(&env(&emu, "app_service", "IDENTITY_ENDPOINT"), "", "2019-08-01", &[]),
        &[("X-IDENTITY-HEADER", &header)],
    );
    secrets.push(header);
    secrets.push(r.json()["access_token"].as_str().unwrap().to_owned());

    let ml = env(&emu, "azure_ml", "MSI_SECRET");
    get(
        &token_url(&env(&emu, "azure_ml", "MSI_ENDPOINT"), "", "2017-09-01", &[]),
        &[("secret", &ml)],
    );
    secrets.push(ml);
    secrets.push(env(&emu, "service_fabric", "IDENTITY_HEADER"));

    let arc = token_url(&env(&emu, "azure_arc", "IDENTITY_ENDPOINT"), "", "2020-06-01", &[]);
    let first = get(&arc, &[("Metadata", "true")]);
    let key_path =
        first.header("www-authenticate").unwrap().trim_start_matches("Basic realm=").to_owned();
    let key = std::fs::read_to_string(key_path).unwrap();
    let r = get(&arc, &[("Metadata", "true"), ("Authorization", &format!("Basic {key}"))]);
    secrets.push(key);
    secrets.push(r.json()["access_token"].as_str().unwrap().to_owned());

    let token = emu.issue_token(&emu.identities()[0], ARM);
    get(
        &format!("{}/subscriptions?api-version=2022-12-01", emu.arm_endpoint()),
        &[("Authorization", &format!("Bearer {token}"))],
    );
    secrets.push(token);
    // A client mistake: a secret in the query.
    get(&format!("{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x&client_secret=hunter2", emu.http_url()), &[("Metadata", "true")]);
    secrets.push("hunter2".to_owned());
    send(
        "POST",
        &format!("{}/_emulator/faults", emu.http_url()),
        &[],
        Some(&json!({"endpoint": "arm", "faults": []})),
    );

    let log = emu.requests();
    let endpoints: Vec<&str> = log.iter().map(|r| r.endpoint.as_str()).collect();
    assert_eq!(
        endpoints,
        ["app_service", "azure_ml", "azure_arc", "azure_arc", "arm", "imds"],
        "control calls are not logged"
    );
    assert_eq!(log[2].status, Some(401));
    assert!(log[0].path.starts_with("/msi/token?api-version=2019-08-01&resource="));

    let served = get(&format!("{}/_emulator/requests", emu.http_url()), &[]).body;
    let debug = format!("{log:?}");
    for secret in &secrets {
        // Compare on a distinctive part: JWT payloads and signatures, whole secrets.
        let needle = secret.split('.').nth(2).unwrap_or(secret);
        assert!(!served.contains(needle), "served log leaks {needle}");
        assert!(!debug.contains(needle), "log leaks {needle}");
    }
    assert!(served.contains("client_secret=REDACTED"));
}
