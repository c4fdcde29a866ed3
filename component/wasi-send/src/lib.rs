//! One request through `wasi:http/outgoing-handler` (WASI 0.2): an `http::Request` out, the
//! whole `http::Response` back, within the caller's time-outs and size cap. The calls block the
//! guest (WASI 0.2 `pollable.block`), which is what a guest without an async runtime can do.

use std::time::Duration;

use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::streams::StreamError;

pub use wasip2::http::types::ErrorCode;

/// How long an exchange may take and how much it may read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Until the connection is made.
    pub connect: Duration,
    /// Until the first byte of the answer, and between two of its bytes.
    pub read: Duration,
    /// The largest body read; a longer one is [`SendError::TooLarge`].
    pub max_body_bytes: usize,
}

/// Why an exchange gave no response.
#[derive(Debug)]
pub enum SendError {
    /// The host's `wasi:http` error.
    Http(ErrorCode),
    /// A body stream closed before its end.
    Closed,
    /// A body stream failed: the host's description.
    Stream(String),
    /// The host refused a part of the request (named) or the answer was already taken.
    Refused(&'static str),
    /// The answer's body is larger than [`Limits::max_body_bytes`].
    TooLarge,
}

/// Sends `request` and reads the whole answer.
pub fn send(
    request: http::Request<Vec<u8>>,
    limits: &Limits,
) -> Result<http::Response<Vec<u8>>, SendError> {
    let (parts, body) = request.into_parts();
    let outgoing = outgoing_request(&parts)?;
    let outgoing_body = outgoing.body().map_err(|()| SendError::Refused("body"))?;
    let pending =
        outgoing_handler::handle(outgoing, Some(options(limits))).map_err(SendError::Http)?;
    write_body(outgoing_body, &body)?;
    pending.subscribe().block();
    let response = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(e))) => return Err(SendError::Http(e)),
        Some(Err(())) | None => return Err(SendError::Refused("response")),
    };
    let mut builder = http::Response::builder().status(response.status());
    for (name, value) in response.headers().entries() {
        builder = builder.header(name, value);
    }
    let body = response.consume().map_err(|()| SendError::Refused("response body"))?;
    let body = read_body(body, limits.max_body_bytes)?;
    builder.body(body).map_err(|_| SendError::Refused("response headers"))
}

/// The request's method, URL and headers as `wasi:http` takes them.
fn outgoing_request(parts: &http::request::Parts) -> Result<OutgoingRequest, SendError> {
    let headers: Vec<(String, Vec<u8>)> =
        parts.headers.iter().map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec())).collect();
    let fields = Fields::from_list(&headers).map_err(|_| SendError::Refused("headers"))?;
    let request = OutgoingRequest::new(fields);
    let method = match parts.method.as_str() {
        "GET" => Method::Get,
        "PUT" => Method::Put,
        "POST" => Method::Post,
        "DELETE" => Method::Delete,
        other => Method::Other(other.to_owned()),
    };
    let scheme = match parts.uri.scheme_str() {
        Some("https") => Scheme::Https,
        _ => Scheme::Http,
    };
    request.set_method(&method).map_err(|()| SendError::Refused("method"))?;
    request.set_scheme(Some(&scheme)).map_err(|()| SendError::Refused("scheme"))?;
    request
        .set_authority(parts.uri.authority().map(|a| a.as_str()))
        .map_err(|()| SendError::Refused("authority"))?;
    request
        .set_path_with_query(parts.uri.path_and_query().map(|p| p.as_str()))
        .map_err(|()| SendError::Refused("path"))?;
    Ok(request)
}

fn options(limits: &Limits) -> RequestOptions {
    let options = RequestOptions::new();
    let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    // A host may support only some time-outs; the caller's own deadline still bounds its flow.
    let _ = options.set_connect_timeout(Some(nanos(limits.connect)));
    let _ = options.set_first_byte_timeout(Some(nanos(limits.read)));
    let _ = options.set_between_bytes_timeout(Some(nanos(limits.read)));
    options
}

fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), SendError> {
    {
        let stream = body.write().map_err(|()| SendError::Refused("request body stream"))?;
        // blocking-write-and-flush takes at most 4096 bytes at a time.
        for chunk in bytes.chunks(4096) {
            stream.blocking_write_and_flush(chunk).map_err(stream_failure)?;
        }
    }
    OutgoingBody::finish(body, None).map_err(SendError::Http)
}

fn read_body(body: IncomingBody, max: usize) -> Result<Vec<u8>, SendError> {
    let mut bytes = Vec::new();
    {
        let stream = body.stream().map_err(|()| SendError::Refused("response body stream"))?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > max {
                        return Err(SendError::TooLarge);
                    }
                }
                Err(StreamError::Closed) => break,
                Err(e) => return Err(stream_failure(e)),
            }
        }
    }
    drop(IncomingBody::finish(body));
    Ok(bytes)
}

fn stream_failure(error: StreamError) -> SendError {
    match error {
        StreamError::Closed => SendError::Closed,
        StreamError::LastOperationFailed(e) => SendError::Stream(e.to_debug_string()),
    }
}
