//! What the emulator pretends to be: identities, subscriptions, token lifetime, ARM pacing.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Tenant of every default identity and subscription.
pub const DEFAULT_TENANT_ID: &str = "10000000-0000-4000-8000-000000000001";
/// The one default subscription.
pub const DEFAULT_SUBSCRIPTION_ID: &str = "20000000-0000-4000-8000-000000000001";

/// Whether an identity is the host's own (system-assigned) or a separate resource attached to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// Answers requests that name no identity.
    SystemAssigned,
    /// Answers only when a request names it by client id, object id or resource id.
    UserAssigned,
}

/// One managed identity the endpoints can issue tokens for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySpec {
    /// System- or user-assigned.
    pub kind: IdentityKind,
    /// A label for logs and the control API; not part of any token.
    pub name: String,
    /// The application (client) id: the token's `appid` claim.
    pub client_id: String,
    /// The service principal's object (principal) id: the token's `oid` claim.
    pub object_id: String,
    /// The ARM id of the identity (a user-assigned identity resource, or for the system-assigned
    /// identity the resource that owns it): the token's `xms_mirid` claim.
    pub resource_id: String,
}

impl IdentitySpec {
    /// A system-assigned identity owned by the resource `resource_id`.
    pub fn system_assigned(client_id: &str, object_id: &str, resource_id: &str) -> Self {
        IdentitySpec {
            kind: IdentityKind::SystemAssigned,
            name: "system".to_owned(),
            client_id: client_id.to_owned(),
            object_id: object_id.to_owned(),
            resource_id: resource_id.to_owned(),
        }
    }

    /// A user-assigned identity named `name` in resource group `azmi-emulator` of `subscription`.
    pub fn user_assigned(subscription: &str, name: &str, client_id: &str, object_id: &str) -> Self {
        IdentitySpec {
            kind: IdentityKind::UserAssigned,
            name: name.to_owned(),
            client_id: client_id.to_owned(),
            object_id: object_id.to_owned(),
            resource_id: format!(
                "/subscriptions/{subscription}/resourcegroups/azmi-emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
            ),
        }
    }
}

/// A subscription the emulated ARM lists and accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionSpec {
    /// The subscription GUID.
    pub subscription_id: String,
    /// `displayName` in ARM answers.
    pub display_name: String,
}

/// How the App Service 2017-09-01 endpoint writes `expires_on`: real hosts differ by OS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateFormat {
    /// Windows workers: `1/16/2020 5:24:12 AM +00:00` (no leading zeros, 12-hour clock).
    #[default]
    Windows,
    /// Linux workers: `06/20/2019 02:57:58 +00:00` (zero-padded, 24-hour clock).
    Linux,
}

/// Everything [`Emulator::start`](crate::Emulator::start) needs. `Default` gives a VM with one
/// system-assigned and two user-assigned identities, one subscription and small ARM pages.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// The identities; the first system-assigned one answers requests that name no identity.
    /// Without one, such requests get the source's identity-not-found error.
    pub identities: Vec<IdentitySpec>,
    /// Tenant (`tid` claim, subscription `tenantId`).
    pub tenant_id: String,
    /// Lifetime of every issued token (`exp - iat`). Short values exercise client refresh.
    pub token_lifetime: Duration,
    /// Items per ARM list page; small so clients must follow `nextLink`.
    pub arm_page_size: usize,
    /// `Retry-After` the emulated ARM sends on long-running operations (whole seconds, at least 0).
    pub lro_retry_after: Duration,
    /// How many polls of a long-running operation answer `InProgress` before it succeeds.
    pub lro_polls_until_done: u32,
    /// Where resource groups and resources persist (JSON), loaded at start and saved on change.
    /// `None` keeps them in memory only.
    pub state_file: Option<PathBuf>,
    /// Also serve the legacy VM extension (`POST /oauth2/token`) on `127.0.0.1:<port>`; `0` picks
    /// a free port. The main port serves it too.
    pub legacy_port: Option<u16>,
    /// The subscriptions ARM knows.
    pub subscriptions: Vec<SubscriptionSpec>,
    /// `expires_on` format of the App Service 2017-09-01 endpoint.
    pub app_service_2017_date_format: DateFormat,
    /// Where Azure Arc key files go. `None`: a private temp dir, removed on drop. A directory:
    /// created if missing and kept (only the emulator's key files are removed). Stock SDKs accept
    /// keys only from `/var/opt/azcmagent/tokens`; point this there (as root) to test them;
    /// azmi reads `AZMI_ARC_KEY_DIR` and works with either.
    pub arc_key_dir: Option<PathBuf>,
    /// Port of the main listener (identity endpoints, ARM over http, the control API and the
    /// `CONNECT` proxy) on 127.0.0.1; `0` picks a free one.
    pub http_port: u16,
    /// Port of ARM over https (the emulator's CA); `0` picks a free one.
    pub arm_https_port: u16,
    /// Port of the Service Fabric endpoint (https, self-signed); `0` picks a free one.
    pub service_fabric_port: u16,
    /// Where to write the emulator CA's certificate (PEM); the bundle of the system roots and
    /// it goes beside it as `NAME-bundle.pem`. Both are rewritten at every start (the CA is new
    /// each time) and kept. `None`: a private temp dir, removed on drop.
    pub ca_file: Option<PathBuf>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        // Fixed, readable ids: `3…` are client ids, `4…` object ids, the last digit the identity.
        let sub = DEFAULT_SUBSCRIPTION_ID;
        EmulatorConfig {
            identities: vec![
                IdentitySpec::system_assigned(
                    "30000000-0000-4000-8000-000000000001",
                    "40000000-0000-4000-8000-000000000001",
                    &format!(
                        "/subscriptions/{sub}/resourcegroups/azmi-emulator/providers/Microsoft.Compute/virtualMachines/azmi-vm"
                    ),
                ),
                IdentitySpec::user_assigned(
                    sub,
                    "azmi-uami-1",
                    "30000000-0000-4000-8000-000000000002",
                    "40000000-0000-4000-8000-000000000002",
                ),
                IdentitySpec::user_assigned(
                    sub,
                    "azmi-uami-2",
                    "30000000-0000-4000-8000-000000000003",
                    "40000000-0000-4000-8000-000000000003",
                ),
            ],
            tenant_id: DEFAULT_TENANT_ID.to_owned(),
            token_lifetime: Duration::from_secs(3600),
            arm_page_size: 2,
            lro_retry_after: Duration::from_secs(1),
            lro_polls_until_done: 2,
            state_file: None,
            legacy_port: None,
            subscriptions: vec![SubscriptionSpec {
                subscription_id: sub.to_owned(),
                display_name: "azmi emulator".to_owned(),
            }],
            app_service_2017_date_format: DateFormat::Windows,
            arc_key_dir: None,
            http_port: 0,
            arm_https_port: 0,
            service_fabric_port: 0,
            ca_file: None,
        }
    }
}
