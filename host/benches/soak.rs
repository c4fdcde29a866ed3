//! Soak: the native credential from many threads for a fixed time against `azmi emulate`
//! (started by `scripts/soak`, which points the process environment at it and queues faults).
//! Prints one table row: calls, endpoint requests, expired tokens served, errors by code, RSS.
//! Run by `scripts/soak`; by hand: `AZMI_SOAK_SECONDS=10 AZMI_SOAK_CONTROL=http://127.0.0.1:PORT
//! cargo bench -p azmi-host --bench soak` with the emulator's variables exported.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use azmi_core::Config;
use azmi_host::ManagedIdentityCredential;

const SCOPE: &str = "https://management.azure.com/.default";

#[derive(Default)]
struct Tally {
    calls: u64,
    expired: u64,
    errors: BTreeMap<&'static str, u64>,
}

fn main() {
    let seconds: u64 = env_or("AZMI_SOAK_SECONDS", 10);
    let threads: usize = env_or("AZMI_SOAK_THREADS", 32);
    let control = std::env::var("AZMI_SOAK_CONTROL").expect("AZMI_SOAK_CONTROL: the emulator URL");
    let credential = Arc::new(ManagedIdentityCredential::new(Config::default()));
    // A warm-up with the same threads first (not counted), so the growth figure measures what
    // calls keep, not what starting up costs.
    soak(&credential, threads, Duration::from_millis(seconds.min(5) * 200));
    let rss_before = rss_mb();
    let tally = soak(&credential, threads, Duration::from_secs(seconds));
    let rss_after = rss_mb();
    let requests = imds_requests(&control);
    let errors: Vec<String> = tally.errors.iter().map(|(c, n)| format!("{c}:{n}")).collect();
    let growth = (rss_after - rss_before) / tally.calls.max(1) as f64 * 1e6;
    println!(
        "| native ({threads} threads) | {} | {requests} | {} | {} | {rss_before:.1} | {rss_after:.1} | {growth:.2} |",
        tally.calls,
        tally.expired,
        if errors.is_empty() { "0".to_owned() } else { errors.join(" ") },
    );
    if tally.expired > 0 {
        std::process::exit(1);
    }
}

/// `threads` threads calling for `duration`; their tallies merged.
fn soak(credential: &Arc<ManagedIdentityCredential>, threads: usize, duration: Duration) -> Tally {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let stop = Instant::now() + duration;
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (credential, tally) = (Arc::clone(credential), Arc::clone(&tally));
            std::thread::spawn(move || run(&credential, &tally, stop))
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let mut tally = tally.lock().unwrap();
    std::mem::take(&mut *tally)
}

/// Calls in a loop until `stop`, counting locally and merging into `tally` once at the end.
fn run(credential: &ManagedIdentityCredential, tally: &Mutex<Tally>, stop: Instant) {
    let mut local = Tally::default();
    while Instant::now() < stop {
        local.calls += 1;
        match credential.get_token(&[SCOPE]) {
            Ok(token) => {
                if token.expires_on.0 <= now_ms() {
                    local.expired += 1;
                }
            }
            Err(e) => *local.errors.entry(e.kind.code()).or_default() += 1,
        }
    }
    let mut t = tally.lock().unwrap();
    t.calls += local.calls;
    t.expired += local.expired;
    for (code, n) in local.errors {
        *t.errors.entry(code).or_default() += n;
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Resident set size from /proc (Linux), in MB; 0 elsewhere.
fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Requests the emulator logged for IMDS, and how many got an injected fault: a plain HTTP/1.0 GET of its control API on loopback.
fn imds_requests(control: &str) -> String {
    let hostport = control.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(hostport).expect("emulator control API");
    write!(stream, "GET /_emulator/requests HTTP/1.0\r\nHost: {hostport}\r\n\r\n").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("control API reply");
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let log: Vec<serde_json::Value> = serde_json::from_str(body).expect("request log JSON");
    let imds: Vec<_> = log.iter().filter(|r| r["endpoint"] == "imds").collect();
    let faulted = imds.iter().filter(|r| !r["fault"].is_null() && r["fault"] != "pass").count();
    format!("{} ({faulted} faulted)", imds.len())
}
