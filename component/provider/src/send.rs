//! One request of the core through `wasi:http` (azmi-wasi-send), with the core's transport
//! rules: the attempt's time-outs, the size cap on the body, no certificate pin.

use azmi_core::{Outgoing, TransportFailure};
use azmi_wasi_send::{ErrorCode, Limits, SendError};

/// Sends `out` and reads the whole answer, or says why there is none.
pub(crate) fn send(out: Outgoing) -> Result<http::Response<Vec<u8>>, TransportFailure> {
    if out.tls_pin.is_some() {
        return Err(TransportFailure::Other(
            "a pinned server certificate (Service Fabric) cannot be checked through wasi:http"
                .into(),
        ));
    }
    let limits = Limits {
        connect: out.connect_timeout,
        read: out.timeout,
        max_body_bytes: out.max_response_bytes,
    };
    azmi_wasi_send::send(out.request, &limits).map_err(|e| failure(&e))
}

/// What went wrong, as the core's transport failures.
fn failure(error: &SendError) -> TransportFailure {
    match error {
        SendError::Http(code) => http_failure(code),
        SendError::Closed => TransportFailure::ConnectionReset,
        SendError::Stream(text) => TransportFailure::Other(text.clone()),
        SendError::Refused(what) => {
            TransportFailure::Other(format!("wasi:http refused the request's {what}"))
        }
        SendError::TooLarge => TransportFailure::BodyTooLarge,
    }
}

/// wasi:http's error codes as the core's transport failures.
fn http_failure(error: &ErrorCode) -> TransportFailure {
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
