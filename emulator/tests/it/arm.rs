//! The emulated Resource Manager: discovery, subscriptions, paging, resource groups with a
//! long-running delete, generic resources, authentication, persistence.

use std::time::Duration;

use azmi_emulator::{Emulator, DEFAULT_SUBSCRIPTION_ID};
use serde_json::{json, Value};

use crate::support::*;

const RG_API: &str = "api-version=2021-04-01";

fn bearer(emu: &Emulator) -> String {
    format!("Bearer {}", emu.issue_token(&emu.identities()[0], ARM))
}

fn groups_url(emu: &Emulator) -> String {
    format!("{}/subscriptions/{DEFAULT_SUBSCRIPTION_ID}/resourcegroups", emu.arm_endpoint())
}

fn put_group(emu: &Emulator, auth: &str, name: &str) -> Resp {
    arm(
        "PUT",
        &format!("{}/{name}?{RG_API}", groups_url(emu)),
        auth,
        Some(&json!({ "location": "West US", "tags": { "owner": "azmi" } })),
    )
}

/// An ARM call with `Authorization: auth`.
fn arm(method: &str, url: &str, auth: &str, body: Option<&Value>) -> Resp {
    send(method, url, &[("Authorization", auth)], body)
}

/// Follows `nextLink` from `first`, returning each page's item names.
fn all_pages(auth: &str, first: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(link) = next {
        assert!(pages.len() < 10, "paging ends");
        let r = get(&link, &[("Authorization", auth)]);
        assert_eq!(r.status, 200, "{}", r.body);
        let body = r.json();
        pages.push(
            body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["name"].as_str().unwrap().to_owned())
                .collect(),
        );
        next = body["nextLink"].as_str().map(str::to_owned);
        if let Some(link) = &next {
            assert!(
                link.starts_with(&format!("{}/", first.split("/subscriptions").next().unwrap()))
            );
            assert!(link.contains("api-version="), "the link carries the api-version");
        }
    }
    pages
}

#[test]
fn discovery_needs_no_token() {
    let emu = start();
    let r = get(&format!("{}/metadata/endpoints?api-version=2015-01-01", emu.arm_endpoint()), &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(
        body["authentication"]["audiences"],
        json!(["https://management.core.windows.net/", "https://management.azure.com/"])
    );
    assert!(body["authentication"]["loginEndpoint"].is_string());
    assert_eq!(body["resourceManager"], format!("{}/", emu.arm_endpoint()).as_str());
    let r = get(&format!("{}/metadata/endpoints?api-version=2022-09-01", emu.arm_endpoint()), &[]);
    assert!(r.json().is_array(), "newer api-versions list clouds");
}

#[test]
fn subscriptions_and_request_headers() {
    let emu = start();
    let auth = bearer(&emu);
    let r = get(
        &format!("{}/subscriptions?api-version=2022-12-01", emu.arm_endpoint()),
        &[("Authorization", &auth)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let sub = &r.json()["value"][0];
    assert_eq!(sub["subscriptionId"], DEFAULT_SUBSCRIPTION_ID);
    assert_eq!(sub["displayName"], "azmi emulator");
    assert_eq!(sub["state"], "Enabled");
    assert_eq!(sub["tenantId"], emu.tenant_id());
    assert!(r.json().get("nextLink").is_none());
    assert!(r.header("x-ms-request-id").is_some());
    let first: u64 = r.header("x-ms-ratelimit-remaining-tenant-reads").unwrap().parse().unwrap();

    let r = get(
        &format!(
            "{}/subscriptions/{DEFAULT_SUBSCRIPTION_ID}?api-version=2022-12-01",
            emu.arm_endpoint()
        ),
        &[("Authorization", &auth), ("x-ms-correlation-request-id", "corr-1")],
    );
    assert_eq!(r.json()["id"], format!("/subscriptions/{DEFAULT_SUBSCRIPTION_ID}").as_str());
    assert_eq!(r.header("x-ms-correlation-request-id"), Some("corr-1"));
    let second: u64 = r.header("x-ms-ratelimit-remaining-tenant-reads").unwrap().parse().unwrap();
    assert_eq!(second, first - 1, "the budget counts down");

    let r = get(
        &format!(
            "{}/subscriptions/00000000-0000-0000-0000-000000000000?api-version=2022-12-01",
            emu.arm_endpoint()
        ),
        &[("Authorization", &auth)],
    );
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "SubscriptionNotFound");

    let r = get(&format!("{}/subscriptions", emu.arm_endpoint()), &[("Authorization", &auth)]);
    assert_eq!(r.json()["error"]["code"], "MissingApiVersionParameter");
}

#[test]
fn resource_groups_page_over_three_pages() {
    let emu = start();
    let auth = bearer(&emu);
    for name in ["rg-a", "rg-b", "rg-c", "rg-d", "rg-e"] {
        let r = put_group(&emu, &auth, name);
        assert_eq!(r.status, 201, "{}", r.body);
        assert!(r.header("x-ms-ratelimit-remaining-subscription-writes").is_some());
    }
    let pages = all_pages(&auth, &format!("{}?{RG_API}", groups_url(&emu)));
    assert_eq!(pages, [vec!["rg-a", "rg-b"], vec!["rg-c", "rg-d"], vec!["rg-e"]]);
    // $top caps the listing.
    let pages = all_pages(&auth, &format!("{}?{RG_API}&$top=3", groups_url(&emu)));
    assert_eq!(pages.concat(), ["rg-a", "rg-b", "rg-c"]);
}

#[test]
fn resource_group_lifecycle_with_lro_delete() {
    let emu = start();
    let auth = bearer(&emu);
    let group = format!("{}/Demo-RG?{RG_API}", groups_url(&emu));

    assert_eq!(arm("HEAD", &group, &auth, None).status, 404);
    let r = put_group(&emu, &auth, "Demo-RG");
    assert_eq!(r.status, 201);
    let body = r.json();
    assert_eq!(
        body["id"],
        format!("/subscriptions/{DEFAULT_SUBSCRIPTION_ID}/resourceGroups/Demo-RG").as_str()
    );
    assert_eq!(body["type"], "Microsoft.Resources/resourceGroups");
    assert_eq!(body["location"], "westus");
    assert_eq!(body["tags"], json!({ "owner": "azmi" }));
    assert_eq!(body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(put_group(&emu, &auth, "Demo-RG").status, 200, "update");
    assert_eq!(arm("HEAD", &group, &auth, None).status, 204);
    // Names are case-insensitive.
    let r = get(&format!("{}/demo-rg?{RG_API}", groups_url(&emu)), &[("Authorization", &auth)]);
    assert_eq!(r.json()["name"], "Demo-RG");

    let r = arm("DELETE", &group, &auth, None);
    assert_eq!(r.status, 202);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(r.header("x-ms-ratelimit-remaining-subscription-deletes").is_some());
    let op = r.header("azure-asyncoperation").unwrap().to_owned();
    assert!(op.starts_with(&emu.arm_endpoint()));
    assert!(r.header("location").unwrap().starts_with(&emu.arm_endpoint()));

    let r = get(&group, &[("Authorization", &auth)]);
    assert_eq!(r.json()["properties"]["provisioningState"], "Deleting");
    for _ in 0..2 {
        let r = get(&op, &[("Authorization", &auth)]);
        assert_eq!(r.json()["status"], "InProgress");
        assert_eq!(r.header("retry-after"), Some("1"));
    }
    assert_eq!(get(&op, &[("Authorization", &auth)]).json()["status"], "Succeeded");
    assert_eq!(arm("HEAD", &group, &auth, None).status, 404);
    let r = get(&group, &[("Authorization", &auth)]);
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "ResourceGroupNotFound");
    assert_eq!(arm("DELETE", &group, &auth, None).status, 404);
}

#[test]
fn location_polling_and_lro_settings() {
    let emu = start_with(|c| {
        c.lro_polls_until_done = 1;
        c.lro_retry_after = Duration::from_secs(3);
    });
    let auth = bearer(&emu);
    put_group(&emu, &auth, "rg");
    let r = arm("DELETE", &format!("{}/rg?{RG_API}", groups_url(&emu)), &auth, None);
    assert_eq!(r.header("retry-after"), Some("3"));
    let location = r.header("location").unwrap().to_owned();
    let r = get(&location, &[("Authorization", &auth)]);
    assert_eq!(r.status, 202);
    assert!(r.header("location").is_some());
    assert_eq!(get(&location, &[("Authorization", &auth)]).status, 200);
    let r = arm("PUT", &format!("{}/rg?{RG_API}", groups_url(&emu)), &auth, Some(&json!({})));
    assert_eq!(r.json()["error"]["code"], "LocationRequired");
}

#[test]
fn generic_resources_are_stored() {
    let emu = start();
    let auth = bearer(&emu);
    put_group(&emu, &auth, "rg");
    let collection = format!("{}/rg/providers/Microsoft.Storage/storageAccounts", groups_url(&emu));
    let one = format!("{collection}/acct1?api-version=2023-01-01");
    let r = arm(
        "PUT",
        &one,
        &auth,
        Some(&json!({ "location": "westus", "sku": { "name": "Standard_LRS" } })),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["type"], "Microsoft.Storage/storageAccounts");
    assert_eq!(r.json()["name"], "acct1");
    assert_eq!(r.json()["sku"]["name"], "Standard_LRS");
    arm("PUT", &format!("{collection}/acct2?api-version=2023-01-01"), &auth, Some(&json!({})));
    arm("PUT", &format!("{collection}/acct3?api-version=2023-01-01"), &auth, Some(&json!({})));
    assert_eq!(get(&one, &[("Authorization", &auth)]).json()["sku"]["name"], "Standard_LRS");
    let pages = all_pages(&auth, &format!("{collection}?api-version=2023-01-01"));
    assert_eq!(pages.concat(), ["acct1", "acct2", "acct3"]);

    assert_eq!(arm("DELETE", &one, &auth, None).status, 200);
    assert_eq!(arm("DELETE", &one, &auth, None).status, 204);
    let r = get(&one, &[("Authorization", &auth)]);
    assert_eq!((r.status, r.json()["error"]["code"].as_str()), (404, Some("ResourceNotFound")));

    // A group's resources go with it.
    let r = arm("DELETE", &format!("{}/rg?{RG_API}", groups_url(&emu)), &auth, None);
    let op = r.header("azure-asyncoperation").unwrap().to_owned();
    while get(&op, &[("Authorization", &auth)]).json()["status"] != "Succeeded" {}
    put_group(&emu, &auth, "rg");
    assert_eq!(
        get(&format!("{collection}?api-version=2023-01-01"), &[("Authorization", &auth)]).json()
            ["value"],
        json!([])
    );
    // No group: 404 for its resources.
    let r = arm(
        "PUT",
        &format!("{}/nope/providers/A.B/c/d?api-version=1", groups_url(&emu)),
        &auth,
        Some(&json!({})),
    );
    assert_eq!(r.json()["error"]["code"], "ResourceGroupNotFound");
}

fn assert_unauthorized(r: &Resp, code: &str) {
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], code);
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer "));
}

#[test]
fn bad_tokens_get_401() {
    let emu = start();
    let list = format!("{}/subscriptions?api-version=2022-12-01", emu.arm_endpoint());
    let id = emu.identities()[0].clone();

    assert_unauthorized(&get(&list, &[]), "AuthenticationFailed");
    assert_unauthorized(&get(&list, &[("Authorization", "Basic abc")]), "AuthenticationFailed");
    assert_unauthorized(
        &get(&list, &[("Authorization", "Bearer not-a-jwt")]),
        "InvalidAuthenticationToken",
    );

    // Tampered payload: the signature no longer matches.
    let token = emu.issue_token(&id, ARM);
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    let tampered = format!("Bearer {}", parts.join("."));
    assert_unauthorized(&get(&list, &[("Authorization", &tampered)]), "InvalidAuthenticationToken");

    // Signed by another emulator's key; that emulator's tokens also expire after a second.
    let other = start_with(|c| c.token_lifetime = Duration::from_secs(1));
    let foreign = format!("Bearer {}", other.issue_token(&other.identities()[0], ARM));
    assert_unauthorized(&get(&list, &[("Authorization", &foreign)]), "InvalidAuthenticationToken");
    let other_list = format!("{}/subscriptions?api-version=2022-12-01", other.arm_endpoint());
    std::thread::sleep(Duration::from_millis(2100));
    assert_unauthorized(
        &get(&other_list, &[("Authorization", &foreign)]),
        "ExpiredAuthenticationToken",
    );

    let vault = emu.issue_token(&id, "https://vault.azure.net");
    let r = get(&list, &[("Authorization", &format!("Bearer {vault}"))]);
    assert_unauthorized(&r, "InvalidAuthenticationTokenAudience");
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("https://vault.azure.net"));

    // Every ARM audience form works.
    for aud in [
        "https://management.azure.com/",
        "https://management.azure.com",
        "https://management.core.windows.net/",
        "https://management.core.windows.net",
    ] {
        let t = emu.issue_token(&id, aud);
        assert_eq!(get(&list, &[("Authorization", &format!("Bearer {t}"))]).status, 200, "{aud}");
    }
}

#[test]
fn tokens_from_an_identity_endpoint_work_on_arm() {
    let emu = start();
    let base = env(&emu, "imds", "AZURE_POD_IDENTITY_AUTHORITY_HOST");
    let r = get(
        &url(
            &base,
            "/metadata/identity/oauth2/token",
            &[("api-version", "2018-02-01"), ("resource", "https://management.core.windows.net/")],
        ),
        &[("Metadata", "true")],
    );
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    let r = get(
        &format!("{}?{RG_API}", groups_url(&emu)),
        &[("Authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["value"], json!([]));
}

#[test]
fn state_persists_across_restarts_and_reset_restores_it() {
    let dir = std::env::temp_dir().join(format!("azmi-emulator-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    let _ = std::fs::remove_file(&file);
    {
        let emu = start_with(|c| c.state_file = Some(file.clone()));
        let auth = bearer(&emu);
        put_group(&emu, &auth, "kept");
        arm(
            "PUT",
            &format!(
                "{}/kept/providers/Microsoft.Web/sites/app?api-version=2022-03-01",
                groups_url(&emu)
            ),
            &auth,
            Some(&json!({ "location": "westus" })),
        );
    }
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["resource_groups"][0]["name"], "kept");
    let emu = start_with(|c| c.state_file = Some(file.clone()));
    let auth = bearer(&emu);
    let pages = all_pages(&auth, &format!("{}?{RG_API}", groups_url(&emu)));
    assert_eq!(pages.concat(), ["kept"]);
    let app = format!(
        "{}/kept/providers/Microsoft.Web/sites/app?api-version=2022-03-01",
        groups_url(&emu)
    );
    assert_eq!(get(&app, &[("Authorization", &auth)]).status, 200);

    put_group(&emu, &auth, "extra");
    emu.reset();
    let pages = all_pages(&auth, &format!("{}?{RG_API}", groups_url(&emu)));
    assert_eq!(pages.concat(), ["kept"], "reset returns to the state at start");
    drop(emu);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn invalid_state_file_is_an_error() {
    let file =
        std::env::temp_dir().join(format!("azmi-emulator-bad-state-{}.json", std::process::id()));
    std::fs::write(&file, "not json").unwrap();
    let cfg =
        azmi_emulator::EmulatorConfig { state_file: Some(file.clone()), ..Default::default() };
    let err = Emulator::start(cfg).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    std::fs::remove_file(&file).unwrap();
}
