//! A raw-socket server on 127.0.0.1 that misbehaves on purpose. One thread per connection,
//! every socket with read and write timeouts, and everything ends within `LIFETIME` or when the
//! server is dropped, whichever comes first, so a client that never gives up cannot hang a test.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Longest a server (and every connection it accepted) lives.
const LIFETIME: Duration = Duration::from_secs(12);
/// Read and write timeout of every accepted socket.
const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// The identity sources refuse bodies past 64 KiB; this is well past it.
const OVERSIZED: usize = 100 * 1024;

/// What the server does with each request.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// Accepts, reads the request, never answers.
    Silent,
    /// Answers one byte every 200 ms, a header line that never ends.
    Trickle,
    /// 200 with a close-delimited body that goes on until the server stops.
    Endless,
    /// 200 with a `Content-Length` body past the identity size cap.
    Oversized,
    /// 302 to the same path on another server.
    Redirect(SocketAddr),
    /// The request head echoed back in the body with this status, as JSON error text or as plain
    /// text, so any secret header sent is in the body.
    Echo { status: u16, json: bool },
    /// With this status, a JSON error whose description and message are the request's header
    /// values alone, last header first and without any `Bearer ` prefix: a secret leads the
    /// text and carries no marker a redactor could key on.
    EchoValues { status: u16 },
    /// 200 with an HTML page (a captive portal, a proxy's login page).
    Html,
    /// 200 whose body is not UTF-8.
    InvalidUtf8,
    /// A fixed status and JSON body.
    Json { status: u16, body: String },
}

/// A running server; dropping it stops it and waits for its threads.
pub struct Hostile {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Hostile {
    /// Starts a server on an ephemeral loopback port.
    pub fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        // Non-blocking accept so the loop sees the stop flag and its own end.
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            behaviour,
            stop: stop.clone(),
            ends: Instant::now() + LIFETIME,
            heads: heads.clone(),
        };
        let counter = connections.clone();
        let accept = thread::spawn(move || accept_loop(&listener, &shared, &counter));
        Hostile { addr, connections, heads, stop, accept: Some(accept) }
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Whether any request head received so far contains `text`.
    pub fn received(&self, text: &str) -> bool {
        self.heads.lock().unwrap().iter().any(|head| head.contains(text))
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
    behaviour: Behaviour,
    stop: Arc<AtomicBool>,
    ends: Instant,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Shared {
    fn over(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || Instant::now() >= self.ends
    }

    /// Sleeps `d` unless the server is over; false when it is.
    fn pause(&self, d: Duration) -> bool {
        if self.over() {
            return false;
        }
        thread::sleep(d);
        !self.over()
    }
}

fn accept_loop(listener: &TcpListener, shared: &Shared, connections: &AtomicUsize) {
    let mut served = Vec::new();
    while !shared.over() {
        match listener.accept() {
            Ok((stream, _)) => {
                connections.fetch_add(1, Ordering::SeqCst);
                let shared = shared.clone();
                served.push(thread::spawn(move || serve(stream, &shared)));
            }
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
    for connection in served {
        let _ = connection.join();
    }
}

fn serve(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let head = read_head(&mut stream);
    shared.heads.lock().unwrap().push(head.clone());
    // A client that gave up makes writes fail: nothing to do about it here.
    let _ = respond(&mut stream, shared, &head);
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

fn respond(stream: &mut TcpStream, shared: &Shared, head: &str) -> std::io::Result<()> {
    match &shared.behaviour {
        Behaviour::Silent => {
            while shared.pause(Duration::from_millis(50)) {}
            Ok(())
        }
        Behaviour::Trickle => {
            let start = b"HTTP/1.1 200 OK\r\nX-Slow: ".iter().copied();
            for byte in start.chain(std::iter::repeat(b'a')) {
                stream.write_all(&[byte])?;
                if !shared.pause(Duration::from_millis(200)) {
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
            while !shared.over() {
                stream.write_all(&filler)?;
            }
            Ok(())
        }
        Behaviour::Oversized => {
            let body = format!("{{\"pad\":\"{}\"}}", "a".repeat(OVERSIZED));
            reply(stream, 200, "application/json", body.as_bytes(), "")
        }
        Behaviour::Redirect(to) => {
            let path = head.split_whitespace().nth(1).unwrap_or("/");
            let location = format!("Location: http://{to}{path}\r\n");
            reply(stream, 302, "text/plain", b"moved", &location)
        }
        Behaviour::Echo { status, json } => {
            let body = if *json {
                let text = head.to_owned();
                serde_json::json!({
                    "error": {"code": "Echo", "message": text},
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
            let lines: Vec<&str> = head.lines().collect();
            let mut values: Vec<&str> = lines
                .iter()
                .skip(1)
                .filter_map(|line| line.split_once(':').map(|(_, value)| value.trim()))
                .map(|value| value.strip_prefix("Bearer ").unwrap_or(value))
                .filter(|value| !value.is_empty())
                .collect();
            values.reverse();
            let text = values.join(" ");
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

fn reply(
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
