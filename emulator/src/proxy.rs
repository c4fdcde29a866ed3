//! The main port's `CONNECT` proxy, for SDKs that always call the real ARM host names
//! (`HTTPS_PROXY` points here): `CONNECT management.azure.com:443` (or another of
//! [`ARM_HOSTS`]) gets `200`, then TLS with the emulator CA's certificate and the emulator's
//! own ARM inside the tunnel. Any other target gets `403`. It never opens a connection anywhere.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use crate::ca::ARM_HOSTS;
use crate::http_util::Reply;
use crate::request_log::LoggedRequest;
use crate::server::{
    handle, serve, to_response, Listener, HEADER_READ_TIMEOUT, TLS_HANDSHAKE_TIMEOUT,
};
use crate::shared::Shared;

/// The main port: everything [`serve`] does, and `CONNECT` to the ARM host names.
pub(crate) async fn serve_main(stream: TcpStream, shared: Arc<Shared>, arm_tls: TlsAcceptor) {
    let service = service_fn(move |req: Request<Incoming>| {
        let shared = shared.clone();
        let arm_tls = arm_tls.clone();
        async move {
            if req.method() == http::Method::CONNECT {
                return Ok(connect(shared, arm_tls, req));
            }
            handle(&shared, Listener::Main, req).await
        }
    });
    let result = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// `CONNECT host:443` for an ARM host: `200`, then TLS with the emulator CA's certificate and
/// the emulator's own ARM inside the tunnel. Any other target: `403`, and nothing is opened.
fn connect(
    shared: Arc<Shared>,
    arm_tls: TlsAcceptor,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let at = SystemTime::now();
    // host:port only: an authority's userinfo never reaches the log or the answer.
    let target = req
        .uri()
        .authority()
        .map(|a| format!("{}:{}", a.host(), a.port_u16().unwrap_or(443)).to_ascii_lowercase())
        .unwrap_or_default();
    let arm_host = req.uri().authority().is_some_and(|a| {
        a.port_u16().unwrap_or(443) == 443
            && ARM_HOSTS.iter().any(|h| a.host().eq_ignore_ascii_case(h))
    });
    let status = if arm_host { 200 } else { 403 };
    shared.record(LoggedRequest {
        endpoint: "proxy".to_owned(),
        method: "CONNECT".to_owned(),
        path: target.clone(),
        status: Some(status),
        at,
        duration: Duration::ZERO,
        fault: None,
    });
    tracing::info!(target = %target, status, "emulator proxy CONNECT");
    if !arm_host {
        let message = format!(
            "The azmi emulator's proxy serves only Resource Manager ({}) and connects nowhere; \
             {target:?} is not one of them. Unset HTTPS_PROXY for other https, or add the host \
             to NO_PROXY.",
            ARM_HOSTS.join(", ")
        );
        let reply = Reply::text(403, "text/plain; charset=utf-8", &message);
        return to_response(reply.with_header("connection", "close"));
    }
    tokio::spawn(async move {
        let upgraded = match hyper::upgrade::on(req).await {
            Ok(upgraded) => upgraded,
            Err(e) => return tracing::debug!(error = %e, "CONNECT upgrade failed"),
        };
        let handshake = arm_tls.accept(TokioIo::new(upgraded));
        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, handshake).await {
            Ok(Ok(tls)) => serve(TokioIo::new(tls), Listener::ArmTls, shared).await,
            Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake in a CONNECT tunnel failed"),
            Err(_) => tracing::debug!("TLS handshake in a CONNECT tunnel timed out"),
        }
    });
    to_response(Reply::empty(200))
}
