//! One request through `wasi:http/outgoing-handler` (WASI 0.2), with the core's transport
//! rules: the attempt's time-outs, the size cap on the body, no certificate pin.

use azmi_core::{Outgoing, TransportFailure};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::streams::StreamError;

/// Sends `out` and reads the whole answer, or says why there is none.
pub(crate) fn send(out: Outgoing) -> Result<http::Response<Vec<u8>>, TransportFailure> {
    if out.tls_pin.is_some() {
        return Err(TransportFailure::Other(
            "a pinned server certificate (Service Fabric) cannot be checked through wasi:http"
                .into(),
        ));
    }
    let (parts, body) = out.request.into_parts();
    let headers: Vec<(String, Vec<u8>)> =
        parts.headers.iter().map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec())).collect();
    let fields = Fields::from_list(&headers).map_err(|e| other(&format!("headers: {e:?}")))?;
    let request = OutgoingRequest::new(fields);
    let method = match parts.method.as_str() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        other => Method::Other(other.to_owned()),
    };
    let scheme = match parts.uri.scheme_str() {
        Some("https") => Scheme::Https,
        _ => Scheme::Http,
    };
    request.set_method(&method).map_err(|()| other("method"))?;
    request.set_scheme(Some(&scheme)).map_err(|()| other("scheme"))?;
    request
        .set_authority(parts.uri.authority().map(|a| a.as_str()))
        .map_err(|()| other("authority"))?;
    request
        .set_path_with_query(parts.uri.path_and_query().map(|p| p.as_str()))
        .map_err(|()| other("path"))?;
    let outgoing_body = request.body().map_err(|()| other("body"))?;
    let options = RequestOptions::new();
    let nanos = |d: std::time::Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    // The host may not support every time-out; the core's deadline still bounds the flow.
    let _ = options.set_connect_timeout(Some(nanos(out.connect_timeout)));
    let _ = options.set_first_byte_timeout(Some(nanos(out.timeout)));
    let _ = options.set_between_bytes_timeout(Some(nanos(out.timeout)));
    let pending = outgoing_handler::handle(request, Some(options)).map_err(|e| failure(&e))?;
    write_body(outgoing_body, &body)?;
    pending.subscribe().block();
    let response = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(e))) => return Err(failure(&e)),
        Some(Err(())) | None => return Err(other("the response was already taken")),
    };
    let mut builder = http::Response::builder().status(response.status());
    for (name, value) in response.headers().entries() {
        builder = builder.header(name, value);
    }
    let body = read_body(
        response.consume().map_err(|()| other("response body"))?,
        out.max_response_bytes,
    )?;
    builder.body(body).map_err(|e| other(&e.to_string()))
}

fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), TransportFailure> {
    {
        let stream = body.write().map_err(|()| other("request body stream"))?;
        // blocking-write-and-flush takes at most 4096 bytes at a time.
        for chunk in bytes.chunks(4096) {
            stream.blocking_write_and_flush(chunk).map_err(|e| stream_failure(&e))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(|e| failure(&e))
}

fn read_body(body: IncomingBody, max: usize) -> Result<Vec<u8>, TransportFailure> {
    let mut bytes = Vec::new();
    {
        let stream = body.stream().map_err(|()| other("response body stream"))?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > max {
                        return Err(TransportFailure::BodyTooLarge);
                    }
                }
                Err(StreamError::Closed) => break,
                Err(e) => return Err(stream_failure(&e)),
            }
        }
    }
    drop(IncomingBody::finish(body));
    Ok(bytes)
}

/// wasi:http's error codes as the core's transport failures.
fn failure(error: &ErrorCode) -> TransportFailure {
    match error {
        ErrorCode::ConnectionRefused => TransportFailure::ConnectionRefused,
        ErrorCode::ConnectionTimeout => TransportFailure::ConnectTimeout,
        ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => TransportFailure::Timeout,
        ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::DnsError(_)
        | ErrorCode::DnsTimeout => TransportFailure::Unreachable,
        ErrorCode::ConnectionTerminated | ErrorCode::HttpResponseIncomplete => {
            TransportFailure::ConnectionReset
        }
        ErrorCode::HttpResponseBodySize(_) => TransportFailure::BodyTooLarge,
        other => TransportFailure::Other(format!("wasi:http {other:?}")),
    }
}

fn stream_failure(error: &StreamError) -> TransportFailure {
    match error {
        StreamError::Closed => TransportFailure::ConnectionReset,
        StreamError::LastOperationFailed(e) => TransportFailure::Other(e.to_debug_string()),
    }
}

fn other(what: &str) -> TransportFailure {
    TransportFailure::Other(format!("wasi:http refused the request's {what}"))
}
