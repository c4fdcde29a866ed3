//! The one credential and ARM client on the component engine, against the emulator on
//! 127.0.0.1: the same answers as the native engine, one fetch for concurrent callers, ARM's
//! paging and long-running polling decided in the component.

use std::time::Duration;

use azmi_core::{ArmConfig, ArmOutcome, ArmRequest, Cloud, Config, Resource, SourceKind};
use azmi_host::{ArmClient, ManagedIdentityCredential};

use crate::support::{credential_on, emulator, imds_env, instance, requests_to, ARM};

#[test]
fn a_token_from_the_emulator_through_the_component() {
    let emu = emulator();
    let cred = credential_on(&emu, instance());
    assert_eq!(cred.detection().source, SourceKind::Imds);
    let token = cred.get_token(&["https://management.azure.com/.default"]).unwrap();
    assert_eq!(token.token_type, "Bearer");
    // The scope without `/.default`, as the endpoint echoes it.
    assert_eq!(token.resource.as_deref(), Some("https://management.azure.com"));
    assert!(token.expires_on.0 > azmi_host::now().0);
    assert_eq!(token.secret().split('.').count(), 3, "a JWT");
    // Cached in the component: no second request.
    let again = cred.get_token(&["https://management.azure.com/.default"]).unwrap();
    assert_eq!(again.secret(), token.secret());
    assert_eq!(requests_to(&emu, "imds"), 1);
    assert_eq!(cred.engine().name(), "component");
    // The native credential agrees on the source and on what it sends.
    let native = ManagedIdentityCredential::with_env(Config::default(), imds_env(&emu));
    assert_eq!(native.engine().name(), "native");
    assert_eq!(native.detection(), cred.detection());
    // Errors are the core's: two scopes is a config error, before any request.
    let err = cred.get_token(&["a/.default", "b/.default"]).unwrap_err();
    assert_eq!(err.code(), "config");
    assert_eq!(requests_to(&emu, "imds"), 1);
}

#[test]
fn concurrent_callers_share_one_fetch_in_the_component() {
    let emu = emulator();
    let cred = credential_on(&emu, instance());
    let resource = Resource::new(ARM).unwrap();
    let tokens: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| cred.get_token_for(&resource).unwrap().secret().to_owned()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(requests_to(&emu, "imds"), 1);
}

#[test]
fn arm_subscriptions_and_resource_groups_through_the_component() {
    let emu = emulator();
    let cred = credential_on(&emu, instance());
    let cloud = Cloud::custom(&emu.arm_endpoint(), ARM).unwrap();
    let mut cfg = ArmConfig::default();
    cfg.deadline = Duration::from_secs(60);
    let arm = ArmClient::new(cred.clone(), cloud.clone()).with_config(cfg.clone());
    let subs = arm.list_subscriptions().unwrap();
    assert!(!subs.is_empty());
    let sub = subs[0]["subscriptionId"].as_str().unwrap().to_owned();
    let groups = arm.list_resource_groups(&sub).unwrap();
    // The native client sees the same lists.
    let native_cred = ManagedIdentityCredential::with_env(Config::default(), imds_env(&emu));
    let native = ArmClient::new(native_cred, cloud).with_config(cfg);
    assert_eq!(native.list_subscriptions().unwrap(), subs);
    assert_eq!(native.list_resource_groups(&sub).unwrap(), groups);
    // A named request the WIT's generic request cannot express keeps its name: the existence
    // check answers a bool, as natively.
    let exists = |client: &ArmClient| {
        let request = ArmRequest::resource_group_exists(&sub, "azmi-component-rg").unwrap();
        match client.execute(&request) {
            Ok(ArmOutcome::Exists { exists, .. }) => exists,
            other => panic!("{other:?}"),
        }
    };
    assert!(!exists(&arm) && !exists(&native));
    // Create, list, delete (a long-running operation polled by the component), list again.
    let created = arm.create_resource_group(&sub, "azmi-component-rg", "westeurope", None).unwrap();
    assert_eq!(created["name"], "azmi-component-rg");
    assert_eq!(arm.list_resource_groups(&sub).unwrap().len(), groups.len() + 1);
    assert!(exists(&arm) && exists(&native));
    let mut waits = 0;
    arm.delete_resource_group(&sub, "azmi-component-rg", |_| waits += 1).unwrap();
    assert!(waits >= 1, "the delete was polled");
    assert_eq!(arm.list_resource_groups(&sub).unwrap().len(), groups.len());
    assert!(!exists(&arm) && !exists(&native));
    // ARM's errors come back as the core's.
    let err = arm.list_resource_groups("not a subscription").unwrap_err();
    assert_eq!(err.code(), "config", "{err}");
    // One token served the component's whole conversation (the native client fetched its own).
    assert_eq!(requests_to(&emu, "imds"), 2);
}
