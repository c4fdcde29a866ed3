//! An IMDS that drops connection attempts (a laptop or CI runner with a default route but no
//! IMDS) is `unavailable` within the probe budget, not a silent wait until the deadline.
//! Run in a loopback-only namespace; nothing leaves 127.0.0.1.
#![cfg(target_os = "linux")]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use azmi_core::{Action, Config, EnvSnapshot, Outgoing, Resource, TokenFlow, TransportFailure};
use azmi_host::{EnvSource, ManagedIdentityCredential, Transport};

/// A listener whose accept queue is full and never drained: Linux drops further SYNs, so a
/// connect hangs as it does towards an address nobody answers. Closed when dropped.
struct BlackHole {
    fd: libc::c_int,
    addr: SocketAddr,
    _queued: Vec<TcpStream>,
}

impl BlackHole {
    fn new() -> Self {
        // SAFETY: plain socket calls on a descriptor this function owns; every pointer passed
        // points at a live, correctly sized sockaddr_in.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            assert!(fd >= 0);
            let mut sa: libc::sockaddr_in = std::mem::zeroed();
            sa.sin_family = libc::AF_INET as libc::sa_family_t;
            sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
            let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            assert_eq!(libc::bind(fd, (&raw const sa).cast(), len), 0);
            assert_eq!(libc::listen(fd, 0), 0);
            let mut got: libc::sockaddr_in = std::mem::zeroed();
            let mut got_len = len;
            assert_eq!(libc::getsockname(fd, (&raw mut got).cast(), &mut got_len), 0);
            let addr = SocketAddr::from(([127, 0, 0, 1], u16::from_be(got.sin_port)));
            let mut queued = Vec::new();
            // Fill the queue until a connect no longer completes.
            for _ in 0..8 {
                match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                    Ok(s) => queued.push(s),
                    Err(_) => break,
                }
            }
            BlackHole { fd, addr, _queued: queued }
        }
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        // SAFETY: the descriptor is ours and closed once.
        unsafe { libc::close(self.fd) };
    }
}

#[test]
fn an_imds_that_drops_connections_is_unavailable_within_the_probe() {
    let hole = BlackHole::new();
    let host = format!("http://{}", hole.addr);
    let env = EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", host.as_str())]);
    let cred = ManagedIdentityCredential::with_env(Config::default(), EnvSource::Fixed(env));
    let started = Instant::now();
    let err = cred.get_token(&["https://management.azure.com/.default"]).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.code(), "unavailable", "{err}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let text = err.to_string();
    assert!(text.contains("AZURE_POD_IDENTITY_AUTHORITY_HOST") && text.contains("azmi emulate"));
}

/// The first request a flow sends to the pod identity host `host`, with the default budgets
/// (connect within the 1 s probe budget, the whole attempt within 10 s).
fn first_request(host: &str) -> Outgoing {
    let env = EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", host)]);
    let resource = Resource::new("https://management.azure.com/").unwrap();
    let now = azmi_host::now();
    let mut flow = TokenFlow::new(&Config::default(), &env, &resource, now).unwrap();
    let Action::Send(out) = flow.poll(now) else { panic!("no request") };
    out
}

#[test]
fn the_transport_reports_a_connect_time_out_as_such() {
    let hole = BlackHole::new();
    let mut out = first_request(&format!("http://{}", hole.addr));
    out.connect_timeout = Duration::from_millis(300);
    let started = Instant::now();
    let got = Transport::new().send(out).map(|_| ());
    assert_eq!(got, Err(TransportFailure::ConnectTimeout));
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
}

#[test]
fn an_answer_that_never_comes_is_a_whole_attempt_time_out() {
    // Accepted by the kernel (the backlog), never answered: connected, then silence.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut out = first_request(&format!("http://{}", listener.local_addr().unwrap()));
    out.timeout = Duration::from_millis(500);
    let got = Transport::new().send(out).map(|_| ());
    assert_eq!(got, Err(TransportFailure::Timeout));
}
