//! The listeners: one tokio runtime on one background thread serving the main HTTP port, the
//! Service Fabric HTTPS port, the ARM HTTPS port and the optional legacy port. Each request is
//! routed to an endpoint, may take a queued fault, and is logged. The main port also answers
//! `CONNECT` ([`crate::proxy`]). Dropping the runtime cancels every connection task, hung ones
//! included, so stopping is immediate.

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use azmi_core::SourceKind;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use crate::fault::{Fault, MAX_FAULT_DELAY};
use crate::http_util::{Reply, Req};
use crate::request_log::{redacted_target, LoggedRequest};
use crate::shared::{lock, Shared};
use crate::sources::SourceAnswers;
use crate::{arm, control, token_endpoints};

/// Request bodies larger than this are refused (token requests are tiny; ARM bodies small).
const MAX_REQUEST_BODY: usize = 1 << 20;
/// A client that opens a connection and sends nothing is cut off after this.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
pub(crate) const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Padding that makes [`Fault::Oversized`] bodies exceed 64 KiB.
const OVERSIZED_PADDING: usize = 70 * 1024;

/// Which socket a request came in on; each serves its own set of paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Listener {
    Main,
    ServiceFabric,
    Legacy,
    /// ARM over https: its own port, and the tunnels the main port's proxy opens.
    ArmTls,
}

/// The TLS configurations, by listener.
pub(crate) struct Acceptors {
    /// The self-signed Service Fabric certificate.
    pub service_fabric: TlsAcceptor,
    /// The certificate from the emulator's CA for loopback and the ARM host names.
    pub arm: TlsAcceptor,
}

/// Where a request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Token(SourceKind),
    Arm,
    Control,
    Unknown,
}

impl Route {
    fn endpoint(self) -> &'static str {
        match self {
            Route::Token(s) => s.as_str(),
            Route::Arm => "arm",
            Route::Control => "control",
            Route::Unknown => "unknown",
        }
    }
}

/// The running server; [`Running::stop`] (or drop) ends it and waits for its thread.
pub(crate) struct Running {
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts serving already-bound listeners (so the caller knows the ports are live on return).
pub(crate) fn spawn(
    shared: Arc<Shared>,
    listeners: Vec<(std::net::TcpListener, Listener)>,
    tls: Acceptors,
) -> io::Result<Running> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut bound = Vec::new();
    {
        let _guard = runtime.enter();
        for (listener, kind) in listeners {
            listener.set_nonblocking(true)?;
            bound.push((TcpListener::from_std(listener)?, kind));
        }
    }
    let (tx, rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new().name("azmi-emulator".into()).spawn(move || {
        runtime.block_on(async move {
            for (listener, kind) in bound {
                let acceptor = match kind {
                    Listener::ServiceFabric => Some(tls.service_fabric.clone()),
                    Listener::ArmTls => Some(tls.arm.clone()),
                    Listener::Main | Listener::Legacy => None,
                };
                tokio::spawn(accept_loop(
                    listener,
                    kind,
                    shared.clone(),
                    acceptor,
                    tls.arm.clone(),
                ));
            }
            // Resolves on `stop` and when the handle is dropped without it.
            let _ = rx.await;
        });
        // `runtime` drops here: every accept loop and connection task is cancelled.
    })?;
    Ok(Running { shutdown: Some(tx), thread: Some(thread) })
}

async fn accept_loop(
    listener: TcpListener,
    kind: Listener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    arm_tls: TlsAcceptor,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning.
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // The socket is bound to 127.0.0.1, so this never fires; it states the rule.
        if !peer.ip().is_loopback() {
            continue;
        }
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        match tls.clone() {
            None if kind == Listener::Main => {
                tokio::spawn(crate::proxy::serve_main(stream, shared, arm_tls.clone()));
            }
            None => {
                tokio::spawn(serve(TokioIo::new(stream), kind, shared));
            }
            Some(acceptor) => {
                tokio::spawn(async move {
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        Ok(Ok(tls_stream)) => serve(TokioIo::new(tls_stream), kind, shared).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                });
            }
        }
    }
}

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug)]
pub(crate) struct CloseConnection;

impl std::fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed by an injected fault")
    }
}

impl std::error::Error for CloseConnection {}

pub(crate) async fn serve<I>(io: TokioIo<I>, kind: Listener, shared: Arc<Shared>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req: Request<Incoming>| {
        let shared = shared.clone();
        async move { handle(&shared, kind, req).await }
    });
    let result = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(io, service)
        .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

fn route(kind: Listener, req: &Req) -> Route {
    let path = req.path.as_str();
    // Token endpoints tolerate one trailing slash: msrestazure writes `$MSI_ENDPOINT/?resource=`.
    let trimmed = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    match kind {
        Listener::ServiceFabric => match trimmed {
            // Real clusters serve `/metadata/identity/oauth2/token`; `/sf/token` is ours.
            "/sf/token" | "/metadata/identity/oauth2/token" => {
                Route::Token(SourceKind::ServiceFabric)
            }
            _ => Route::Unknown,
        },
        Listener::Legacy => match trimmed {
            "/oauth2/token" => Route::Token(SourceKind::LegacyVmExtension),
            _ => Route::Unknown,
        },
        Listener::ArmTls if arm::is_arm_path(path) => Route::Arm,
        Listener::ArmTls => Route::Unknown,
        Listener::Main => {
            if path == "/_emulator" || path.starts_with("/_emulator/") {
                return Route::Control;
            }
            match trimmed {
                "/metadata/identity/oauth2/token" => Route::Token(SourceKind::Imds),
                // One App Service endpoint serves both protocol versions, told apart by
                // api-version, as on App Service (where MSI_ENDPOINT and IDENTITY_ENDPOINT agree).
                p if p.eq_ignore_ascii_case("/msi/token") => {
                    if req.query("api-version") == Some("2017-09-01") {
                        Route::Token(SourceKind::AppService2017)
                    } else {
                        Route::Token(SourceKind::AppService)
                    }
                }
                "/ml/token" => Route::Token(SourceKind::AzureMl),
                "/cloudshell/token" => Route::Token(SourceKind::CloudShell),
                "/arc/token" => Route::Token(SourceKind::AzureArc),
                "/oauth2/token" => Route::Token(SourceKind::LegacyVmExtension),
                p if arm::is_arm_path(p) => Route::Arm,
                _ => Route::Unknown,
            }
        }
    }
}

pub(crate) async fn handle(
    shared: &Shared,
    kind: Listener,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, CloseConnection> {
    let at = SystemTime::now();
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(to_response(Reply::text(413, "text/plain", "request body too large"))),
    };
    let mut req = Req::new(parts.method, parts.uri.path(), parts.uri.query(), parts.headers, body);
    req.tls = matches!(kind, Listener::ServiceFabric | Listener::ArmTls);
    let route = route(kind, &req);
    if route == Route::Control {
        return Ok(to_response(control::handle(shared, &req)));
    }

    let fault = match route {
        Route::Unknown => None,
        _ => lock(&shared.faults).pop(route.endpoint()),
    };
    let reply = match &fault {
        None | Some(Fault::Pass) => Some(normal(shared, route, &req)),
        Some(Fault::Drop) => None,
        Some(Fault::Hang(d)) => {
            tokio::time::sleep((*d).min(MAX_FAULT_DELAY)).await;
            None
        }
        Some(Fault::Latency(d)) => {
            tokio::time::sleep((*d).min(MAX_FAULT_DELAY)).await;
            Some(normal(shared, route, &req))
        }
        Some(Fault::MissingField(field)) => {
            let mut reply = normal(shared, route, &req);
            if let Some(mut map) = reply.json_object() {
                map.remove(field);
                reply.set_json_object(map);
            }
            Some(reply)
        }
        Some(Fault::Oversized) => Some(oversized(normal(shared, route, &req))),
        Some(other) => Some(fault_reply(route, other)),
    };
    let reply = match route {
        Route::Arm => reply.map(|r| arm::decorate(&req, r)),
        _ => reply,
    };

    let entry = LoggedRequest {
        endpoint: route.endpoint().to_owned(),
        method: req.method.to_string(),
        path: redacted_target(&req.path, req.raw_query.as_deref()),
        status: reply.as_ref().map(|r| r.status),
        at,
        duration: started.elapsed(),
        fault: fault.as_ref().map(|f| f.kind().to_owned()),
    };
    tracing::info!(
        endpoint = %entry.endpoint,
        method = %entry.method,
        path = %entry.path,
        status = ?entry.status,
        fault = ?entry.fault,
        "emulator request"
    );
    shared.record(entry);
    reply.map(to_response).ok_or(CloseConnection)
}

fn normal(shared: &Shared, route: Route, req: &Req) -> Reply {
    match route {
        Route::Token(source) => token_endpoints::handle(shared, source, req),
        Route::Arm => arm::handle(shared, req),
        Route::Control => control::handle(shared, req),
        Route::Unknown => Reply::json(
            404,
            &serde_json::json!({
                "error": "not_found",
                "error_description": format!(
                    "The azmi emulator serves nothing at {}; see GET /_emulator/info",
                    req.path
                ),
            }),
        ),
    }
}

/// An error in the shape of the endpoint the fault stands in for.
fn error_for(route: Route, status: u16, code: &str, message: &str) -> Reply {
    match route {
        Route::Token(source) => source.error(status, code, message),
        _ => arm::arm_error(status, code, message),
    }
}

fn fault_reply(route: Route, fault: &Fault) -> Reply {
    match fault {
        Fault::Status { status, headers, body } => {
            let looks_json = matches!(body.trim_start().chars().next(), Some('{' | '['));
            let content_type =
                if looks_json { "application/json; charset=utf-8" } else { "text/plain; charset=utf-8" };
            let mut reply = Reply::text(*status, content_type, body);
            for (name, value) in headers {
                // A given content-type replaces the guessed one.
                if name.eq_ignore_ascii_case("content-type") {
                    reply.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
                }
                reply.headers.push((name.clone(), value.clone()));
            }
            reply
        }
        Fault::Gone => error_for(
            route,
            410,
            "gone",
            "IMDS is going through updates, available within 70 seconds",
        ),
        Fault::Throttle { retry_after_secs } => {
            let (code, message) = match route {
                Route::Arm => (
                    "SubscriptionRequestsThrottled",
                    "Number of requests for this subscription exceeded the limit. Please try again later.",
                ),
                Route::Token(SourceKind::ServiceFabric) => ("TooManyRequests", "Too many requests."),
                _ => ("too_many_requests", "Too many requests; retry after the Retry-After interval."),
            };
            error_for(route, 429, code, message).with_header("retry-after", retry_after_secs.to_string())
        }
        Fault::Malformed => Reply::text(
            200,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><head><title>Proxy</title></head><body>Please log in to the network.</body></html>",
        ),
        Fault::DockerDesktop403 => Reply::text(
            403,
            "text/plain; charset=utf-8",
            "connecting to 169.254.169.254:80: connecting to 169.254.169.254:80: dial tcp 169.254.169.254:80: connectex: A socket operation was attempted to an unreachable network.",
        )
        .with_header("connection", "close"),
        Fault::IdentityNotFound => match route {
            Route::Token(source) => source.identity_not_found(),
            _ => arm::arm_error(400, "IdentityNotFound", "The managed identity was not found."),
        },
        // Handled before a reply exists.
        Fault::Latency(_)
        | Fault::Hang(_)
        | Fault::Drop
        | Fault::MissingField(_)
        | Fault::Oversized
        | Fault::Pass => unreachable!("handled by the caller"),
    }
}

/// The normal answer grown past 64 KiB: a padding field when it is a JSON object (so only its
/// size is wrong), else trailing spaces.
fn oversized(mut reply: Reply) -> Reply {
    let padding = " ".repeat(OVERSIZED_PADDING);
    match reply.json_object() {
        Some(mut map) => {
            map.insert("padding".into(), serde_json::Value::String(padding));
            reply.set_json_object(map);
        }
        None => reply.body.extend_from_slice(padding.as_bytes()),
    }
    reply
}

pub(crate) fn to_response(reply: Reply) -> Response<Full<Bytes>> {
    // 1xx cannot be a final answer; hyper would send garbage.
    if reply.status < 200 {
        return to_response(Reply::text(500, "text/plain", "injected status must be 200-999"));
    }
    let mut builder = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        match (
            http::HeaderName::try_from(name.as_str()),
            http::HeaderValue::try_from(value.as_str()),
        ) {
            (Ok(n), Ok(v)) => builder = builder.header(n, v),
            _ => tracing::warn!(header = %name, "dropping a header that is not valid HTTP"),
        }
    }
    builder.body(Full::new(Bytes::from(reply.body))).unwrap_or_else(|_| {
        let mut fallback = Response::new(Full::new(Bytes::from_static(b"invalid status")));
        *fallback.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}
