//! The hostile servers' control API (what the Python and Node suites read), and the bounds every
//! server keeps: a redirect names its target, an unknown name is refused, a silent server answers
//! nothing and stops at once when dropped.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use azmi_emulator::hostile::{Behaviour, Hostile, HostileSet, NAMES, TOKEN};

use crate::support::{get, send};

fn lifetime() -> Duration {
    Duration::from_secs(10)
}

#[test]
fn the_control_api_counts_connections_and_finds_received_text() {
    let set = HostileSet::start_only(&["token", "redirect"], lifetime()).unwrap();
    let control = set.control_url();
    let stats = |query: &str| get(&format!("{control}/stats?{query}"), &[]).json();
    assert_eq!(stats("server=token&text=x-probe")["connections"], 0);
    let answer = get(&format!("{}/anything", set.url("token")), &[("x-probe", "marker-41")]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["access_token"], TOKEN);
    let seen = stats("server=token&text=marker-41");
    assert_eq!((seen["connections"].as_u64(), seen["received"].as_bool()), (Some(1), Some(true)));
    assert_eq!(stats("server=token&text=marker-42")["received"], false);
    // The redirect's target comes with it, and is only reached if someone follows (the test
    // agent would: ask on a bare socket).
    let redirect = set.server("redirect").addr();
    let head = raw_get(redirect, "/msi/token?x=1");
    assert!(head.starts_with("HTTP/1.1 302"), "{head}");
    let location = format!("Location: {}/msi/token?x=1\r\n", set.url("redirect_target"));
    assert!(head.contains(&location), "{head}");
    assert_eq!(stats("")["connections"]["redirect_target"], 0);
    // Reset forgets counts and heads.
    assert_eq!(send("POST", &format!("{control}/reset"), &[], None).status, 200);
    let seen = stats("server=token&text=marker-41");
    assert_eq!((seen["connections"].as_u64(), seen["received"].as_bool()), (Some(0), Some(false)));
    assert_eq!(get(&format!("{control}/stats?server=nope"), &[]).status, 404);
}

/// The answer to `GET path` on a bare socket (no client that could follow a redirect).
fn raw_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

#[test]
fn every_name_starts_and_an_unknown_one_is_refused() {
    let set = HostileSet::start(lifetime()).unwrap();
    let described = set.describe();
    for name in NAMES {
        assert!(described["servers"][name].as_str().unwrap().starts_with("http://127.0.0.1:"));
    }
    let err = HostileSet::start_only(&["silent", "sulent"], lifetime()).err().unwrap();
    assert!(err.to_string().contains("\"sulent\""), "{err}");
}

#[test]
fn a_silent_server_answers_nothing_and_stops_when_dropped() {
    let server = Hostile::start(Behaviour::Silent).unwrap();
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    assert!(stream.read(&mut [0u8; 16]).is_err(), "silent means no answer");
    drop(stream);
    // Dropping the server joins every connection thread, each of which sees the stop within a
    // 50 ms read.
    let started = Instant::now();
    drop(server);
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}
