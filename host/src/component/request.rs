//! A core `ArmRequest` in WIT's terms, for the component to rebuild with the same constructors.
//!
//! The named operations the WIT's `generic` request cannot express (cloud discovery, which
//! sends no token, and the existence check, whose answer is a bool) keep their names; every
//! other request goes as `generic` with its method, path, query, body and shape, which the core
//! in the component turns into the same HTTP requests.

use azmi_core::ArmRequest;

use super::wit::arm as wa;

pub(crate) fn arm_request_to_wit(r: &ArmRequest) -> wa::ArmRequest {
    let query = r.query().to_vec();
    let named = |operation| wa::ArmRequest {
        operation,
        api_version: Some(r.api_version().to_owned()),
        query: query.clone(),
    };
    if r.is_discovery() {
        return named(wa::ArmOperation::DiscoverCloud);
    }
    if r.is_existence_check() {
        if let Some(group) = group_ref(r.path()) {
            return named(wa::ArmOperation::ResourceGroupExists(group));
        }
    }
    let generic = wa::GenericRequest {
        method: r.method().to_owned(),
        path: r.path().to_owned(),
        api_version: r.api_version().to_owned(),
        body_json: r.body().map(|b| b.to_string()),
        paged: r.is_paged(),
        long_running: r.is_long_running(),
    };
    wa::ArmRequest { operation: wa::ArmOperation::Generic(generic), api_version: None, query }
}

/// The subscription and group of `/subscriptions/{id}/resourcegroups/{name}` (the name's
/// non-ASCII letters percent-encoded, as the core writes them).
fn group_ref(path: &str) -> Option<wa::GroupRef> {
    let mut parts = path.strip_prefix("/subscriptions/")?.split('/');
    let (subscription_id, literal, name) = (parts.next()?, parts.next()?, parts.next()?);
    if !literal.eq_ignore_ascii_case("resourcegroups") || parts.next().is_some() {
        return None;
    }
    Some(wa::GroupRef { subscription_id: subscription_id.to_owned(), name: percent_decode(name)? })
}

fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existence_check_keeps_its_group_with_non_ascii_letters() {
        let r = ArmRequest::resource_group_exists("sub-1", "grüne-gruppe").unwrap();
        let w = arm_request_to_wit(&r);
        let wa::ArmOperation::ResourceGroupExists(g) = w.operation else { panic!("{w:?}") };
        assert_eq!((g.subscription_id.as_str(), g.name.as_str()), ("sub-1", "grüne-gruppe"));
    }

    #[test]
    fn other_requests_go_as_generic_with_their_shape() {
        let r = ArmRequest::delete_resource_group("sub-1", "rg", Some("x/y")).unwrap();
        let w = arm_request_to_wit(&r);
        let wa::ArmOperation::Generic(g) = &w.operation else { panic!("{w:?}") };
        assert_eq!(g.method, "DELETE");
        assert!(g.long_running && !g.paged);
        assert_eq!(w.query, vec![("forceDeletionTypes".to_owned(), "x/y".to_owned())]);
        let w = arm_request_to_wit(&ArmRequest::list_subscriptions());
        let wa::ArmOperation::Generic(g) = &w.operation else { panic!("{w:?}") };
        assert!(g.paged && g.path == "/subscriptions");
        let w = arm_request_to_wit(&ArmRequest::discover_cloud());
        assert!(matches!(w.operation, wa::ArmOperation::DiscoverCloud));
    }
}
