//! Every identity endpoint issues well-formed tokens for system- and user-assigned identities,
//! in the real service's shape, and refuses callers the way it does.

use azmi_emulator::DateFormat;

use crate::support::*;

#[test]
fn imds_system_and_user_assigned() {
    let emu = start();
    let base = env(&emu, "imds", "AZURE_POD_IDENTITY_AUTHORITY_HOST");
    let ids = emu.identities().to_vec();
    let path = "/metadata/identity/oauth2/token";
    let q = |extra: &[(&str, &str)]| token_url(&base, path, "2018-02-01", extra);

    let r = get(&q(&[]), &[("Metadata", "true")]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    let body = r.json();
    for field in
        ["access_token", "expires_in", "expires_on", "not_before", "resource", "token_type"]
    {
        assert!(body[field].is_string(), "IMDS writes {field} as a string: {body}");
    }
    assert_eq!(body["refresh_token"], "");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["resource"], ARM);
    assert_eq!(body["expires_in"], "3600");
    let expires_on: u64 = body["expires_on"].as_str().unwrap().parse().unwrap();
    assert!(expires_on.abs_diff(now() + 3600) <= 5);
    assert_token_for(&emu, body["access_token"].as_str().unwrap(), &ids[0], ARM);

    for (param, value) in [
        ("client_id", ids[1].client_id.as_str()),
        ("object_id", ids[2].object_id.as_str()),
        ("msi_res_id", ids[1].resource_id.as_str()),
        ("mi_res_id", ids[2].resource_id.as_str()),
    ] {
        let r = get(&q(&[(param, value)]), &[("Metadata", "true")]);
        assert_eq!(r.status, 200, "{param}: {}", r.body);
        let expected = if value == ids[1].client_id || value == ids[1].resource_id {
            &ids[1]
        } else {
            &ids[2]
        };
        assert_token_for(&emu, r.json()["access_token"].as_str().unwrap(), expected, ARM);
    }

    let r =
        get(&q(&[("client_id", "99999999-0000-4000-8000-000000000000")]), &[("Metadata", "true")]);
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_request");
    assert_eq!(r.json()["error_description"], "Identity not found");

    let r = get(&q(&[]), &[]);
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "bad_request_102");

    let r = get(
        &q(&[("client_id", &ids[1].client_id), ("object_id", &ids[1].object_id)]),
        &[("Metadata", "true")],
    );
    assert_eq!(r.status, 400, "two selectors");

    let r = get(&url(&base, path, &[("api-version", "2018-02-01")]), &[("Metadata", "true")]);
    assert_eq!(r.status, 400, "no resource");
}

#[test]
fn app_service_2019_checks_the_header_and_echoes_client_id() {
    let emu = start();
    let endpoint = env(&emu, "app_service", "IDENTITY_ENDPOINT");
    let header = env(&emu, "app_service", "IDENTITY_HEADER");
    let ids = emu.identities().to_vec();
    let q = |extra: &[(&str, &str)]| token_url(&endpoint, "", "2019-08-01", extra);

    let r = get(&q(&[]), &[("X-IDENTITY-HEADER", &header)]);
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert!(body["expires_on"].is_string(), "epoch seconds as a string");
    assert_eq!(body["client_id"], ids[0].client_id.as_str());
    assert_eq!(body["token_type"], "Bearer");
    assert_token_for(&emu, body["access_token"].as_str().unwrap(), &ids[0], ARM);

    for (param, value, who) in [
        ("client_id", ids[1].client_id.as_str(), &ids[1]),
        ("principal_id", ids[2].object_id.as_str(), &ids[2]),
        ("object_id", ids[1].object_id.as_str(), &ids[1]),
        ("mi_res_id", ids[2].resource_id.as_str(), &ids[2]),
    ] {
        let r = get(&q(&[(param, value)]), &[("X-IDENTITY-HEADER", &header)]);
        assert_eq!(r.status, 200, "{param}: {}", r.body);
        assert_eq!(r.json()["client_id"], who.client_id.as_str());
        assert_token_for(&emu, r.json()["access_token"].as_str().unwrap(), who, ARM);
    }

    let r = get(
        &q(&[("client_id", "99999999-0000-4000-8000-000000000000")]),
        &[("X-IDENTITY-HEADER", &header)],
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["statusCode"], 400);
    assert!(r.json()["message"].is_string());

    assert_eq!(get(&q(&[]), &[]).status, 401);
    assert_eq!(get(&q(&[]), &[("X-IDENTITY-HEADER", "wrong")]).status, 401);
}

#[test]
fn identity_header_rotation() {
    let emu = start();
    let endpoint = env(&emu, "app_service", "IDENTITY_ENDPOINT");
    let old = env(&emu, "app_service", "IDENTITY_HEADER");
    let target = token_url(&endpoint, "", "2019-08-01", &[]);
    assert_eq!(get(&target, &[("X-IDENTITY-HEADER", &old)]).status, 200);

    let new = emu.rotate_identity_header();
    assert_ne!(new, old);
    assert_eq!(env(&emu, "app_service", "IDENTITY_HEADER"), new);
    assert_eq!(get(&target, &[("X-IDENTITY-HEADER", &old)]).status, 401);
    assert_eq!(get(&target, &[("X-IDENTITY-HEADER", &new)]).status, 200);

    // The 2017 protocol's secret is the same value on App Service.
    let msi = env(&emu, "app_service_2017", "MSI_ENDPOINT");
    let legacy = format!("{msi}/?resource={ARM}&api-version=2017-09-01");
    assert_eq!(get(&legacy, &[("secret", &old)]).status, 401);
    assert_eq!(get(&legacy, &[("secret", &new)]).status, 200);

    // Through the control API too.
    let r = post_form(&format!("{}/_emulator/rotate-identity-header", emu.http_url()), &[], &[]);
    let newest = r.json()["identity_header"].as_str().unwrap().to_owned();
    assert_eq!(get(&target, &[("X-IDENTITY-HEADER", &new)]).status, 401);
    assert_eq!(get(&target, &[("X-IDENTITY-HEADER", &newest)]).status, 200);
}

/// `M/D/YYYY h:mm:ss AM +00:00` on Windows workers, `MM/DD/YYYY HH:MM:SS +00:00` on Linux.
fn check_2017_date(value: &str, format: DateFormat) {
    let (date, rest) = value.split_once(' ').unwrap();
    let parts: Vec<&str> = date.split('/').collect();
    assert_eq!(parts.len(), 3, "{value}");
    assert!(value.ends_with(" +00:00"), "{value}");
    match format {
        DateFormat::Windows => {
            assert!(!parts[0].starts_with('0') && !parts[1].starts_with('0'), "{value}");
            assert!(rest.contains(" AM +") || rest.contains(" PM +"), "{value}");
        }
        DateFormat::Linux => {
            assert!(parts[0].len() == 2 && parts[1].len() == 2, "{value}");
            assert!(!rest.contains('M'), "{value}");
        }
    }
}

#[test]
fn app_service_2017_msrestazure_url_and_both_date_formats() {
    for format in [DateFormat::Windows, DateFormat::Linux] {
        let emu = start_with(|c| c.app_service_2017_date_format = format);
        let endpoint = env(&emu, "app_service_2017", "MSI_ENDPOINT");
        let secret = env(&emu, "app_service_2017", "MSI_SECRET");
        assert_eq!(env(&emu, "app_service_2017", "APPSETTING_WEBSITE_SITE_NAME"), "azmi-emulator");
        let uami = emu.identities()[1].clone();
        // msrestazure's exact URL: `$MSI_ENDPOINT/?resource=<not encoded>&api-version=..&clientid=..`
        let target = format!(
            "{endpoint}/?resource={ARM}&api-version=2017-09-01&clientid={}",
            uami.client_id
        );
        let r = get(&target, &[("secret", &secret)]);
        assert_eq!(r.status, 200, "{}", r.body);
        let body = r.json();
        check_2017_date(body["expires_on"].as_str().unwrap(), format);
        assert_eq!(body["resource"], ARM);
        assert_token_for(&emu, body["access_token"].as_str().unwrap(), &uami, ARM);

        let r = get(&target, &[]);
        assert_eq!(r.status, 401);
        assert!(r.json()["ExceptionMessage"].is_string(), "msrestazure detects ExceptionMessage");
        let r = get(
            &format!("{endpoint}/?resource={ARM}&api-version=2017-09-01&clientid=nope"),
            &[("secret", &secret)],
        );
        assert_eq!(r.status, 400);
    }
}

#[test]
fn azure_ml_int_expiry_and_clientid() {
    let emu = start();
    let endpoint = env(&emu, "azure_ml", "MSI_ENDPOINT");
    let secret = env(&emu, "azure_ml", "MSI_SECRET");
    let ids = emu.identities().to_vec();
    let r = get(&token_url(&endpoint, "", "2017-09-01", &[]), &[("secret", &secret)]);
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert!(body["expires_on"].is_u64(), "an integer: {body}");
    assert_token_for(&emu, body["access_token"].as_str().unwrap(), &ids[0], ARM);

    let r = get(
        &token_url(&endpoint, "", "2017-09-01", &[("clientid", &ids[2].client_id)]),
        &[("secret", &secret)],
    );
    assert_token_for(&emu, r.json()["access_token"].as_str().unwrap(), &ids[2], ARM);
    // An empty clientid (DEFAULT_IDENTITY_CLIENT_ID unset) means the system identity.
    let r =
        get(&token_url(&endpoint, "", "2017-09-01", &[("clientid", "")]), &[("secret", &secret)]);
    assert_token_for(&emu, r.json()["access_token"].as_str().unwrap(), &ids[0], ARM);
    assert_eq!(get(&token_url(&endpoint, "", "2017-09-01", &[]), &[("secret", "x")]).status, 401);
}

#[test]
fn cloud_shell_posts_a_form() {
    let emu = start();
    let endpoint = env(&emu, "cloud_shell", "MSI_ENDPOINT");
    let r = post_form(&endpoint, &[("Metadata", "true")], &[("resource", ARM)]);
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert!(body["expires_on"].is_string());
    assert_token_for(&emu, body["access_token"].as_str().unwrap(), &emu.identities()[0], ARM);
    assert_eq!(post_form(&endpoint, &[], &[("resource", ARM)]).status, 400);
    assert_eq!(get(&endpoint, &[("Metadata", "true")]).status, 405);
}

#[test]
fn legacy_vm_extension_on_its_own_port_and_the_main_one() {
    let emu = start_with(|c| c.legacy_port = Some(0));
    let port = emu.legacy_port().expect("legacy port");
    let endpoint = env(&emu, "legacy_vm_extension", "MSI_ENDPOINT");
    assert_eq!(endpoint, format!("http://127.0.0.1:{port}/oauth2/token"));
    let uami = emu.identities()[2].clone();
    for target in [endpoint.clone(), format!("{}/oauth2/token", emu.http_url())] {
        let r = post_form(
            &target,
            &[("Metadata", "true")],
            &[("resource", ARM), ("object_id", &uami.object_id)],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.json()["expires_in"].is_string());
        assert_token_for(&emu, r.json()["access_token"].as_str().unwrap(), &uami, ARM);
    }
    // The legacy port serves nothing else.
    assert_eq!(
        get(&format!("http://127.0.0.1:{port}/metadata/identity/oauth2/token"), &[]).status,
        404
    );
}

#[test]
fn token_lifetime_is_configurable() {
    let emu = start_with(|c| c.token_lifetime = std::time::Duration::from_secs(5));
    let base = env(&emu, "imds", "AZURE_POD_IDENTITY_AUTHORITY_HOST");
    let r = get(
        &token_url(&base, "/metadata/identity/oauth2/token", "2018-02-01", &[]),
        &[("Metadata", "true")],
    );
    assert_eq!(r.json()["expires_in"], "5");
    let c = claims(&emu, r.json()["access_token"].as_str().unwrap());
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 5);
}

#[test]
fn env_for_every_source() {
    let emu = start();
    let http = emu.http_url();
    let names = |s: &str| emu.env_for(s).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(names("imds"), ["AZURE_POD_IDENTITY_AUTHORITY_HOST"]);
    assert_eq!(names("app_service"), ["IDENTITY_ENDPOINT", "IDENTITY_HEADER"]);
    assert_eq!(
        names("app_service_2017"),
        ["MSI_ENDPOINT", "MSI_SECRET", "APPSETTING_WEBSITE_SITE_NAME"]
    );
    assert_eq!(names("azure_ml"), ["MSI_ENDPOINT", "MSI_SECRET"]);
    assert_eq!(names("cloud_shell"), ["MSI_ENDPOINT"]);
    assert_eq!(names("azure_arc"), ["IDENTITY_ENDPOINT", "IMDS_ENDPOINT", "AZMI_ARC_KEY_DIR"]);
    assert_eq!(
        names("service_fabric"),
        ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT"]
    );
    assert_eq!(names("legacy_vm_extension"), ["MSI_ENDPOINT"]);
    assert!(emu.env_for("nonsense").is_empty());
    assert_eq!(env(&emu, "imds", "AZURE_POD_IDENTITY_AUTHORITY_HOST"), http);
    assert_eq!(env(&emu, "azure_arc", "IMDS_ENDPOINT"), http);
    assert!(env(&emu, "service_fabric", "IDENTITY_ENDPOINT").starts_with("https://127.0.0.1:"));
    assert_eq!(env(&emu, "service_fabric", "IDENTITY_SERVER_THUMBPRINT"), emu.sf_thumbprint());
    for source in azmi_emulator::SOURCES {
        for (_, value) in emu.env_for(source) {
            assert!(!value.contains("0.0.0.0"), "{source}");
        }
    }
}
