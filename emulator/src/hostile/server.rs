//! One misbehaving server: a listener on 127.0.0.1, a thread per connection, and the behaviour
//! it plays on every request.
//!
//! Every socket has read and write timeouts; a connection ends when its peer goes away, after
//! [`CONNECTION_LIFETIME`], or when the server ends ([`Hostile::start_for`]'s lifetime, or
//! dropping the [`Hostile`]), whichever comes first. At most [`MAX_LIVE`] connections are served
//! at once; more are closed on accept. A client that never gives up cannot hang its test.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::control::Registry;

/// How long [`Hostile::start`] keeps a server: long enough for one test case.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(12);
/// Longest one connection is served, however long its server lives.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(15);
/// Connections served at once; further ones are closed as soon as they are accepted.
pub const MAX_LIVE: usize = 64;
/// Read and write timeout of every accepted socket.
const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// Request heads kept for [`Hostile::received`]; the oldest go first.
const KEPT_HEADS: usize = 256;

/// What a server does with each request.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Behaviour {
    /// Accepts, reads the request, never answers.
    Silent,
    /// Answers one byte every 200 ms, a header line that never ends.
    Trickle,
    /// 200 with a close-delimited body that goes on until the connection ends.
    Endless,
    /// 200 with a JSON body of `Content-Length` this many bytes (sent, never held in memory).
    Oversized(usize),
    /// 302 to the same path on another server.
    Redirect(SocketAddr),
    /// The request head echoed back in the body with this status, as JSON error text or as plain
    /// text, so any secret header sent is in the body.
    Echo {
        /// The status answered.
        status: u16,
        /// A JSON error body (`error.message`, `error_description`), else plain text.
        json: bool,
    },
    /// With this status, a JSON error whose description and message are the request's header
    /// values alone, last header first and without any `Bearer ` prefix: a secret leads the
    /// text and carries no marker a redactor could key on.
    EchoValues {
        /// The status answered.
        status: u16,
    },
    /// 200 with an HTML page (a captive portal, a proxy's login page).
    Html,
    /// 200 whose body is not UTF-8.
    InvalidUtf8,
    /// A fixed status and JSON body.
    Json {
        /// The status answered.
        status: u16,
        /// The body, sent as is.
        body: String,
    },
}

/// What a server saw: connections accepted and the latest request heads.
#[derive(Default)]
pub(crate) struct Stats {
    connections: AtomicUsize,
    heads: Mutex<VecDeque<String>>,
}

impl Stats {
    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub(crate) fn received(&self, text: &str) -> bool {
        let heads = self.heads.lock().unwrap_or_else(|e| e.into_inner());
        heads.iter().any(|head| head.contains(text))
    }

    pub(crate) fn reset(&self) {
        self.connections.store(0, Ordering::SeqCst);
        self.heads.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn record(&self, head: &str) {
        let mut heads = self.heads.lock().unwrap_or_else(|e| e.into_inner());
        if heads.len() == KEPT_HEADS {
            heads.pop_front();
        }
        heads.push_back(head.to_owned());
    }
}

/// What a listener serves: a behaviour, or the control API of a [`super::HostileSet`].
#[derive(Clone)]
pub(crate) enum Role {
    Plays(Behaviour),
    Control(Arc<Registry>),
}

/// A running server; dropping it stops it and waits for its threads.
pub struct Hostile {
    addr: SocketAddr,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Hostile {
    /// Starts a server playing `behaviour` on an ephemeral loopback port, for
    /// [`DEFAULT_LIFETIME`].
    pub fn start(behaviour: Behaviour) -> std::io::Result<Self> {
        Self::start_for(behaviour, DEFAULT_LIFETIME)
    }

    /// Starts a server playing `behaviour` that ends by itself after `lifetime`.
    pub fn start_for(behaviour: Behaviour, lifetime: Duration) -> std::io::Result<Self> {
        Self::serve(Role::Plays(behaviour), lifetime)
    }

    pub(crate) fn serve(role: Role, lifetime: Duration) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        // Non-blocking accept, so the loop sees the stop flag and its own end.
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stats = Arc::new(Stats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Shared {
            role,
            stop: stop.clone(),
            ends: Instant::now() + lifetime,
            stats: stats.clone(),
        };
        let accept = thread::Builder::new()
            .name(format!("azmi-hostile-{}", addr.port()))
            .spawn(move || accept_loop(&listener, &shared))?;
        Ok(Hostile { addr, stats, stop, accept: Some(accept) })
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far (since the last reset).
    pub fn connections(&self) -> usize {
        self.stats.connections()
    }

    /// Whether any request head received so far (the latest 256) contains `text`.
    pub fn received(&self, text: &str) -> bool {
        self.stats.received(text)
    }

    pub(crate) fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

#[derive(Clone)]
struct Shared {
    role: Role,
    stop: Arc<AtomicBool>,
    ends: Instant,
    stats: Arc<Stats>,
}

/// One connection's view: its server's, with its own end.
struct Conn {
    shared: Shared,
    ends: Instant,
}

impl Conn {
    fn over(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst) || Instant::now() >= self.ends
    }

    /// Sleeps `d` unless the connection is over; false when it is.
    fn pause(&self, d: Duration) -> bool {
        if self.over() {
            return false;
        }
        thread::sleep(d);
        !self.over()
    }
}

fn accept_loop(listener: &TcpListener, shared: &Shared) {
    let mut live: Vec<JoinHandle<()>> = Vec::new();
    while !shared.stop.load(Ordering::SeqCst) && Instant::now() < shared.ends {
        match listener.accept() {
            Ok((stream, _)) => {
                shared.stats.connections.fetch_add(1, Ordering::SeqCst);
                live.retain(|c| !c.is_finished());
                if live.len() >= MAX_LIVE {
                    continue; // dropped: closed at once
                }
                let conn =
                    Conn { shared: shared.clone(), ends: shared.ends.min(deadline_from_now()) };
                if let Ok(handle) = thread::Builder::new().spawn(move || serve(stream, &conn)) {
                    live.push(handle);
                }
            }
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
    // Every connection sees the server's end within a pause; wait for them.
    let _ = shared.stop.swap(true, Ordering::SeqCst);
    for connection in live {
        let _ = connection.join();
    }
}

fn deadline_from_now() -> Instant {
    Instant::now() + CONNECTION_LIFETIME
}

fn serve(mut stream: TcpStream, conn: &Conn) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let head = read_head(&mut stream);
    // A client that gave up makes writes fail: nothing to do about it here.
    let _ = match &conn.shared.role {
        Role::Plays(behaviour) => {
            conn.shared.stats.record(&head);
            play(&mut stream, conn, behaviour, &head)
        }
        Role::Control(registry) => {
            let (status, body) = registry.answer(&head);
            reply(&mut stream, status, "application/json", body.as_bytes(), "")
        }
    };
}

/// The request line and headers (bounded); the body, if any, is left unread.
fn read_head(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while buf.len() < 16 * 1024 && !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn play(
    stream: &mut TcpStream,
    conn: &Conn,
    behaviour: &Behaviour,
    head: &str,
) -> std::io::Result<()> {
    match behaviour {
        Behaviour::Silent => {
            silent(stream, conn);
            Ok(())
        }
        Behaviour::Trickle => {
            let start = b"HTTP/1.1 200 OK\r\nX-Slow: ".iter().copied();
            for byte in start.chain(std::iter::repeat(b'a')) {
                stream.write_all(&[byte])?;
                if !conn.pause(Duration::from_millis(200)) {
                    break;
                }
            }
            Ok(())
        }
        Behaviour::Endless => {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"access_token\":\"",
            )?;
            let filler = [b'a'; 8192];
            while !conn.over() {
                stream.write_all(&filler)?;
            }
            Ok(())
        }
        Behaviour::Oversized(size) => oversized(stream, conn, *size),
        Behaviour::Redirect(to) => {
            let path = head.split_whitespace().nth(1).unwrap_or("/");
            let location = format!("Location: http://{to}{path}\r\n");
            reply(stream, 302, "text/plain", b"moved", &location)
        }
        Behaviour::Echo { status, json } => {
            let body = if *json {
                serde_json::json!({
                    "error": {"code": "Echo", "message": head},
                    "error_description": head,
                })
                .to_string()
            } else {
                head.to_owned()
            };
            let kind = if *json { "application/json" } else { "text/plain" };
            reply(stream, *status, kind, body.as_bytes(), "")
        }
        Behaviour::EchoValues { status } => {
            let text = header_values_last_first(head);
            let body = serde_json::json!({
                "error": {"code": "Echo", "message": text},
                "error_description": text,
            });
            reply(stream, *status, "application/json", body.to_string().as_bytes(), "")
        }
        Behaviour::Html => {
            let page =
                b"<!DOCTYPE html><html><body><form>Sign in to the network</form></body></html>";
            reply(stream, 200, "text/html", page, "")
        }
        Behaviour::InvalidUtf8 => {
            reply(stream, 200, "application/json", b"{\"access_token\":\"\xff\xfe\xc3\x28\"}", "")
        }
        Behaviour::Json { status, body } => {
            reply(stream, *status, "application/json", body.as_bytes(), "")
        }
    }
}

/// Holds the connection open without answering until the peer closes it or it is over.
fn silent(stream: &mut TcpStream, conn: &Conn) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let mut sink = [0u8; 1024];
    while !conn.over() {
        match stream.read(&mut sink) {
            Ok(0) => return, // the client gave up
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
}

/// `{"pad":"aaa…"}` of `size` bytes in all, written in chunks.
fn oversized(stream: &mut TcpStream, conn: &Conn, size: usize) -> std::io::Result<()> {
    let (open, close) = (b"{\"pad\":\"", b"\"}");
    let size = size.max(open.len() + close.len());
    let head = format!(
        "HTTP/1.1 200 Hostile\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(open)?;
    let filler = [b'a'; 8192];
    let mut left = size - open.len() - close.len();
    while left > 0 && !conn.over() {
        let n = left.min(filler.len());
        stream.write_all(&filler[..n])?;
        left -= n;
    }
    stream.write_all(close)?;
    stream.flush()
}

fn header_values_last_first(head: &str) -> String {
    let mut values: Vec<&str> = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':').map(|(_, value)| value.trim()))
        .map(|value| value.strip_prefix("Bearer ").unwrap_or(value))
        .filter(|value| !value.is_empty())
        .collect();
    values.reverse();
    values.join(" ")
}

pub(crate) fn reply(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    extra: &str,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} Hostile\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n{extra}\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}
