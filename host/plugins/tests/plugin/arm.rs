//! The example plugin's own job: with the identity it is given (by the host, or by the
//! composed provider), list the resource groups of every subscription through its own outgoing
//! HTTP, against the emulator's ARM on 127.0.0.1.

use azmi_core::{Cloud, Identity};
use azmi_emulator::{Emulator, EmulatorConfig, SubscriptionSpec};
use azmi_host::component::plugin::PluginPolicy;
use azmi_host::ArmClient;

use crate::support::{emulator, identities, plugins, ARM, WAYS};

/// The emulator with a second subscription, and resource groups made natively in both: more
/// than one page (the emulator pages by two) in the first.
fn emulator_with_groups() -> (Emulator, Vec<String>) {
    let mut cfg = EmulatorConfig::default();
    cfg.subscriptions.push(SubscriptionSpec {
        subscription_id: "2b5c1f8e-4a4e-4f3a-9c55-0f6f1d0f3b21".to_owned(),
        display_name: "azmi second".to_owned(),
    });
    let emu = Emulator::start(cfg).expect("emulator on loopback");
    let credential = identities(&emu, "imds", None).credential(&Identity::SystemAssigned);
    let cloud = Cloud::custom(&emu.arm_endpoint(), ARM).expect("the emulator's ARM");
    let arm = ArmClient::new(credential, cloud);
    let subscriptions: Vec<String> = arm
        .list_subscriptions()
        .expect("subscriptions")
        .iter()
        .map(|s| s["subscriptionId"].as_str().expect("an id").to_owned())
        .collect();
    assert_eq!(subscriptions.len(), 2);
    let groups = [(0, "plugin-a"), (0, "plugin-b"), (0, "plugin-c"), (1, "plugin-d")];
    let mut ids: Vec<String> = groups
        .iter()
        .map(|(sub, name)| {
            let group = arm.create_resource_group(&subscriptions[*sub], name, "westeurope", None);
            group.expect("created")["id"].as_str().expect("an id").to_owned()
        })
        .collect();
    ids.sort();
    (emu, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plugin_lists_resource_groups_with_the_identity_it_is_given() {
    for way in WAYS {
        let (emu, expected) = emulator_with_groups();
        let before = emu.requests().len();
        let mut plugin = way.arm_plugin(&emu, "imds", None).await;
        let mut ids = plugin.list_resource_groups(&emu.arm_endpoint()).await.expect("listed");
        ids.sort();
        assert_eq!(ids, expected, "{way:?}");
        let asked: Vec<_> = emu.requests().split_off(before);
        // One token, then subscriptions and three pages of groups, each with the plugin's token.
        let to = |endpoint: &str| asked.iter().filter(|r| r.endpoint == endpoint).count();
        assert_eq!((to("imds"), to("arm")), (1, 4), "{way:?}: {asked:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_grant_the_plugin_calls_nothing() {
    let emu = emulator();
    let mut plugin = plugins().instance(PluginPolicy::new(), &identities(&emu, "imds", None)).await;
    let err = plugin.list_resource_groups(&emu.arm_endpoint()).await.unwrap_err();
    assert_eq!(err, "no-such-identity");
    assert!(emu.requests().is_empty(), "no token and no ARM request: {:?}", emu.requests());
}
