//! The plugin's own calls to Azure Resource Manager, through WASI 0.2 outgoing HTTP.

use std::time::Duration;

use azmi_wasi_send::{send, Limits};
use serde_json::Value;

/// ARM's list of subscriptions, and of a subscription's resource groups.
const SUBSCRIPTIONS: &str = "subscriptions?api-version=2022-12-01";
const RESOURCE_GROUPS: &str = "resourcegroups?api-version=2021-04-01";

/// A list's pages are followed this far, no further (a loop of `nextLink`s ends).
const MAX_PAGES: usize = 100;

const LIMITS: Limits = Limits {
    connect: Duration::from_secs(10),
    read: Duration::from_secs(30),
    max_body_bytes: 16 << 20,
};

/// The resource ids of every resource group in every subscription `token` can see.
pub(crate) fn resource_group_ids(endpoint: &str, token: &str) -> Result<Vec<String>, String> {
    let base = endpoint.trim_end_matches('/');
    let mut ids = Vec::new();
    for subscription in list(&format!("{base}/{SUBSCRIPTIONS}"), token)? {
        let id = text(&subscription, "subscriptionId")?;
        for group in list(&format!("{base}/subscriptions/{id}/{RESOURCE_GROUPS}"), token)? {
            ids.push(text(&group, "id")?.to_owned());
        }
    }
    Ok(ids)
}

/// Every item of an ARM list: each page's `value`, following `nextLink`.
fn list(url: &str, token: &str) -> Result<Vec<Value>, String> {
    let mut items = Vec::new();
    let mut next = Some(url.to_owned());
    for _ in 0..MAX_PAGES {
        let Some(url) = next.take() else { return Ok(items) };
        let mut page = get(&url, token)?;
        match page.get_mut("value").map(Value::take) {
            Some(Value::Array(values)) => items.extend(values),
            _ => return Err(format!("GET {url}: the answer has no `value` list")),
        }
        next = page.get("nextLink").and_then(Value::as_str).map(str::to_owned);
    }
    Err(format!("GET {url}: more than {MAX_PAGES} pages"))
}

fn get(url: &str, token: &str) -> Result<Value, String> {
    let mut bearer = http::HeaderValue::try_from(format!("Bearer {token}"))
        .map_err(|_| "the token is not a valid header value".to_owned())?;
    bearer.set_sensitive(true);
    let request = http::Request::get(url)
        .header(http::header::AUTHORIZATION, bearer)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| format!("GET {url}: {e}"))?;
    let response = send(request, &LIMITS).map_err(|e| format!("GET {url}: {e:?}"))?;
    let status = response.status();
    if !status.is_success() {
        let body = String::from_utf8_lossy(response.body());
        return Err(format!("GET {url}: HTTP {status}: {body}"));
    }
    serde_json::from_slice(response.body()).map_err(|e| format!("GET {url}: not JSON: {e}"))
}

fn text<'a>(item: &'a Value, field: &str) -> Result<&'a str, String> {
    item.get(field).and_then(Value::as_str).ok_or_else(|| format!("an item has no `{field}`"))
}
