//! Cloud discovery (`/metadata/endpoints`) and subscriptions.

use serde_json::{json, Value};

use super::{arm_error, paging};
use crate::config::SubscriptionSpec;
use crate::http_util::{Reply, Req};
use crate::shared::Shared;
use crate::signing::ARM_AUDIENCES;

/// `GET /metadata/endpoints`: before api-version 2019-05-01 one cloud object (what msrestazure's
/// `get_cloud_from_metadata_endpoint` reads), from then on a list of clouds (azure-cli).
pub(crate) fn metadata_endpoints(req: &Req, base: &str) -> Reply {
    let version = req.query("api-version").unwrap_or_default();
    let cloud = json!({
        "name": "AzmiEmulator",
        "galleryEndpoint": format!("{base}/"),
        "graphEndpoint": "https://graph.windows.net/",
        "portalEndpoint": "https://portal.azure.com/",
        "resourceManager": format!("{base}/"),
        "authentication": {
            "loginEndpoint": "https://login.microsoftonline.com/",
            "audiences": [ARM_AUDIENCES[2], ARM_AUDIENCES[0]],
            "tenant": "common",
            "identityProvider": "AAD",
        },
    });
    // api-versions are dates, so string order is date order.
    if version < "2019-05-01" {
        Reply::json(200, &cloud)
    } else {
        Reply::json(200, &json!([cloud]))
    }
}

fn subscription_json(shared: &Shared, s: &SubscriptionSpec) -> Value {
    json!({
        "id": format!("/subscriptions/{}", s.subscription_id),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": s.subscription_id,
        "tenantId": shared.cfg.tenant_id,
        "displayName": s.display_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    })
}

pub(crate) fn list_subscriptions(shared: &Shared, req: &Req, base: &str) -> Reply {
    let items = shared.cfg.subscriptions.iter().map(|s| subscription_json(shared, s)).collect();
    paging::page(items, req, base, shared.cfg.arm_page_size)
}

pub(crate) fn get_subscription(shared: &Shared, s: &SubscriptionSpec) -> Reply {
    Reply::json(200, &subscription_json(shared, s))
}

pub(crate) fn subscription_not_found(id: &str) -> Reply {
    arm_error(404, "SubscriptionNotFound", &format!("The subscription '{id}' could not be found."))
}
