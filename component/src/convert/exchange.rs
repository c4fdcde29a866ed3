//! HTTP requests and responses.

use super::{c, duration, ms, wt};

pub(crate) fn outgoing_to_wit(out: &c::Outgoing) -> wt::HttpRequest {
    let req = &out.request;
    let headers = req
        .headers()
        .iter()
        .map(|(name, value)| wt::RequestHeader {
            name: name.as_str().to_owned(),
            value: value.as_bytes().to_vec(),
            sensitive: value.is_sensitive(),
        })
        .collect();
    wt::HttpRequest {
        id: out.id.0,
        method: req.method().as_str().to_owned(),
        url: req.uri().to_string(),
        headers,
        body: req.body().clone(),
        timeout_ms: ms(out.timeout),
        connect_timeout_ms: ms(out.connect_timeout),
        max_response_bytes: out.max_response_bytes as u64,
        tls_pin: out.tls_pin.clone(),
        bypass_proxy: out.bypass_proxy,
    }
}

/// The request as the core built it (sensitive headers stay marked); `Err` when a peer sent
/// something `http` cannot hold.
pub(crate) fn outgoing_from_wit(r: wt::HttpRequest) -> Result<c::Outgoing, String> {
    let mut builder = http::Request::builder().method(r.method.as_str()).uri(r.url.as_str());
    for h in r.headers {
        let mut value = http::HeaderValue::from_bytes(&h.value).map_err(|e| e.to_string())?;
        value.set_sensitive(h.sensitive);
        builder = builder.header(h.name.as_str(), value);
    }
    let request = builder.body(r.body).map_err(|e| format!("invalid request: {e}"))?;
    Ok(c::Outgoing {
        id: c::RequestId(r.id),
        request,
        timeout: duration(r.timeout_ms),
        connect_timeout: duration(r.connect_timeout_ms),
        max_response_bytes: usize::try_from(r.max_response_bytes).unwrap_or(usize::MAX),
        tls_pin: r.tls_pin,
        bypass_proxy: r.bypass_proxy,
    })
}

pub(crate) fn response_to_wit(resp: &http::Response<Vec<u8>>) -> wt::HttpResponse {
    let headers = resp
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    wt::HttpResponse { status: resp.status().as_u16(), headers, body: resp.body().clone() }
}

/// `Err` when the status or a header cannot be an HTTP one.
pub(crate) fn response_from_wit(r: wt::HttpResponse) -> Result<http::Response<Vec<u8>>, String> {
    let mut builder = http::Response::builder().status(r.status);
    for (name, value) in r.headers {
        builder = builder.header(name.as_str(), value.as_slice());
    }
    builder.body(r.body).map_err(|e| format!("invalid HTTP response: {e}"))
}
