//! The policy: what is granted gets a token; anything else is refused before any request.

use azmi_core::Identity;
use azmi_host::component::plugin::PluginPolicy;

use crate::support::{
    arm_policy, claims, emulator, failure_code, identities, plugins, requests_to,
};
use crate::support::{Error, ARM, ARM_SCOPE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_granted_identity_and_scope_get_a_token() {
    let emu = emulator();
    let system = emu.identities()[0].clone();
    let mut plugin = plugins().instance(arm_policy(), &identities(&emu, "imds", None)).await;
    let token = plugin.token("arm", &[ARM_SCOPE]).await.expect("granted");
    let c = claims(&token.token);
    assert_eq!(c["aud"], ARM.trim_end_matches('/'), "the audience of the scope asked for");
    assert_eq!(c["oid"], system.object_id.as_str());
    assert_eq!(requests_to(&emu, "imds"), 1, "{:?}", emu.requests());
    // The plugin's own job goes through the same grant (and the cache).
    let left = plugin.arm_token().await.expect("the example plugin gets its ARM token");
    assert!(left > 0 && left <= token.expires_in, "{left} vs {}", token.expires_in);
    assert_eq!(requests_to(&emu, "imds"), 1, "served from the cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ungranted_name_is_no_such_identity_without_a_request() {
    let emu = emulator();
    let mut plugin = plugins().instance(arm_policy(), &identities(&emu, "imds", None)).await;
    let err = plugin.token("storage", &[ARM_SCOPE]).await.unwrap_err();
    assert_eq!(err, Error::NoSuchIdentity);
    // The example plugin reports the same for its own `arm` name when nothing is granted.
    let mut bare = plugins().instance(PluginPolicy::new(), &identities(&emu, "imds", None)).await;
    assert_eq!(bare.arm_token().await.unwrap_err(), "no-such-identity");
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ungranted_scope_is_refused_with_its_code_without_a_request() {
    let emu = emulator();
    let mut plugin = plugins().instance(arm_policy(), &identities(&emu, "imds", None)).await;
    let err = plugin.token("arm", &["https://vault.azure.net/.default"]).await.unwrap_err();
    assert_eq!(failure_code(&err), Some("scope_not_granted"), "{err:?}");
    let Error::InternalFailure(text) = &err else { unreachable!() };
    assert!(text.contains("https://vault.azure.net") && text.contains("\"arm\""), "{text}");
    // Two scopes at once, or none: the core's own configuration error, still before any request.
    let err = plugin.token("arm", &[ARM_SCOPE, "https://vault.azure.net/.default"]).await;
    assert_eq!(failure_code(&err.unwrap_err()), Some("config"));
    let err = plugin.token("arm", &[]).await;
    assert_eq!(failure_code(&err.unwrap_err()), Some("config"));
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_map_to_user_assigned_identities_by_each_selector() {
    let emu = emulator();
    let user = emu.identities()[1].clone();
    let policy = arm_policy()
        .identity("by-client", Identity::ClientId(user.client_id.clone()))
        .identity("by-object", Identity::ObjectId(user.object_id.clone()))
        .identity("by-resource", Identity::ResourceId(user.resource_id.clone()));
    let mut plugin = plugins().instance(policy, &identities(&emu, "imds", None)).await;
    for name in ["by-client", "by-object", "by-resource"] {
        let token = plugin.token(name, &[ARM]).await.unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(claims(&token.token)["oid"], user.object_id.as_str(), "{name}");
    }
    let system = plugin.token("arm", &[ARM_SCOPE]).await.expect("system-assigned");
    assert_ne!(claims(&system.token)["oid"], user.object_id.as_str());
    // One request per identity: the three selectors are three cache keys, plus the system one.
    assert_eq!(requests_to(&emu, "imds"), 4, "{:?}", emu.requests());
    let asked: Vec<String> = emu.requests().iter().map(|r| r.path.clone()).collect();
    assert!(asked.iter().any(|p| p.contains(&user.client_id)), "{asked:?}");
}
