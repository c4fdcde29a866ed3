//! Azure Arc's two legs with a real key file.

use crate::support::*;

fn realm_path(www_authenticate: &str) -> std::path::PathBuf {
    let realm = www_authenticate.strip_prefix("Basic realm=").expect("Basic realm=<path>");
    std::path::PathBuf::from(realm)
}

#[test]
fn two_legs_with_the_key_file() {
    let emu = start();
    let endpoint = env(&emu, "azure_arc", "IDENTITY_ENDPOINT");
    assert_eq!(env(&emu, "azure_arc", "AZMI_ARC_KEY_DIR"), emu.arc_key_dir().display().to_string());
    let target = token_url(&endpoint, "", "2020-06-01", &[]);

    let first = get(&target, &[("Metadata", "true")]);
    assert_eq!(first.status, 401);
    let path = realm_path(first.header("www-authenticate").expect("challenge"));
    assert_eq!(path.parent().unwrap(), emu.arc_key_dir());
    assert_eq!(path.extension().unwrap(), "key");
    let meta = std::fs::metadata(&path).unwrap();
    assert!(meta.len() > 0 && meta.len() <= 4096);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "only the owner reads keys");
    }
    let key = std::fs::read_to_string(&path).unwrap();

    let second = get(&target, &[("Metadata", "true"), ("Authorization", &format!("Basic {key}"))]);
    assert_eq!(second.status, 200, "{}", second.body);
    let body = second.json();
    assert!(body["expires_in"].is_string());
    assert!(body.get("client_id").is_none(), "no echo for the system identity");
    assert_token_for(&emu, body["access_token"].as_str().unwrap(), &emu.identities()[0], ARM);

    // The key stays valid for a retried second leg.
    let again = get(&target, &[("Metadata", "true"), ("Authorization", &format!("Basic {key}"))]);
    assert_eq!(again.status, 200);

    // A wrong key is challenged again, with a new file.
    let wrong = get(&target, &[("Metadata", "true"), ("Authorization", "Basic nope")]);
    assert_eq!(wrong.status, 401);
    assert_ne!(realm_path(wrong.header("www-authenticate").unwrap()), path);

    // No Metadata header: refused before any challenge.
    assert_eq!(get(&target, &[]).status, 400);
}

#[test]
fn user_assigned_requests_are_echoed() {
    let emu = start();
    let endpoint = env(&emu, "azure_arc", "IDENTITY_ENDPOINT");
    let uami = emu.identities()[1].clone();
    for (param, value) in [
        ("client_id", uami.client_id.as_str()),
        ("object_id", uami.object_id.as_str()),
        ("msi_res_id", uami.resource_id.as_str()),
    ] {
        let target = token_url(&endpoint, "", "2020-06-01", &[(param, value)]);
        let first = get(&target, &[("Metadata", "true")]);
        let key =
            std::fs::read_to_string(realm_path(first.header("www-authenticate").unwrap())).unwrap();
        let r = get(&target, &[("Metadata", "true"), ("Authorization", &format!("Basic {key}"))]);
        assert_eq!(r.status, 200, "{}", r.body);
        let body = r.json();
        assert_eq!(body["client_id"], uami.client_id.as_str());
        assert_eq!(body["object_id"], uami.object_id.as_str());
        assert_eq!(body["msi_res_id"], uami.resource_id.as_str());
        assert_token_for(&emu, body["access_token"].as_str().unwrap(), &uami, ARM);
    }
}

#[test]
fn key_directory_is_removed_on_drop() {
    let emu = start();
    let dir = emu.arc_key_dir();
    let endpoint = env(&emu, "azure_arc", "IDENTITY_ENDPOINT");
    get(&token_url(&endpoint, "", "2020-06-01", &[]), &[("Metadata", "true")]);
    assert!(dir.is_dir());
    drop(emu);
    assert!(!dir.exists());
}

#[test]
fn a_configured_key_directory_is_kept_but_emptied() {
    let dir = std::env::temp_dir().join(format!("azmi-emulator-arc-conf-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let emu = start_with(|c| c.arc_key_dir = Some(dir.clone()));
    assert_eq!(emu.arc_key_dir(), dir);
    let endpoint = env(&emu, "azure_arc", "IDENTITY_ENDPOINT");
    let first = get(&token_url(&endpoint, "", "2020-06-01", &[]), &[("Metadata", "true")]);
    let key = realm_path(first.header("www-authenticate").unwrap());
    assert_eq!(key.parent().unwrap(), dir);
    assert!(key.is_file());
    drop(emu);
    assert!(dir.is_dir(), "not ours to delete");
    assert!(!key.exists(), "our key files are gone");
    std::fs::remove_dir_all(&dir).unwrap();
}
