//! List pages: `arm_page_size` items each, `nextLink` an absolute URL on the emulator carrying
//! the original query plus `$skiptoken` (the offset of the next page), as real ARM links do.

use serde_json::{json, Value};

use super::arm_error;
use crate::http_util::{Reply, Req};

pub(crate) fn page(items: Vec<Value>, req: &Req, base: &str, page_size: usize) -> Reply {
    let skip = match req.query("$skiptoken") {
        None => 0,
        Some(token) => match token.parse::<usize>() {
            Ok(n) => n,
            Err(_) => return arm_error(400, "InvalidSkipToken", "The skip token is not valid."),
        },
    };
    // `$top` caps the whole listing, not a page.
    let total = match req.query("$top").map(str::parse::<usize>) {
        None => items.len(),
        Some(Ok(top)) => top.min(items.len()),
        Some(Err(_)) => {
            return arm_error(400, "InvalidTopValue", "The $top query parameter must be a number.")
        }
    };
    let start = skip.min(total);
    let end = (start + page_size.max(1)).min(total);
    let mut body = json!({ "value": items[start..end] });
    if end < total {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in req.query.iter().filter(|(k, _)| k != "$skiptoken") {
            query.append_pair(k, v);
        }
        query.append_pair("$skiptoken", &end.to_string());
        body["nextLink"] = json!(format!("{base}{}?{}", req.path, query.finish()));
    }
    Reply::json(200, &body)
}
