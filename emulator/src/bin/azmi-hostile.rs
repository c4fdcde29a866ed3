//! `azmi-hostile`: every misbehaving server of `azmi_emulator::hostile` on 127.0.0.1, for tests
//! in other languages (the Python and Node hostile suites).
//!
//! Prints one JSON line, `{"servers": {name: url}, "control": url, "token": …, "opaque_token":
//! …}`, then serves until its standard input closes or its lifetime ends (`--lifetime SECS`,
//! default 600, at most 3600), whichever comes first.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::Duration;

use azmi_emulator::hostile::HostileSet;

const DEFAULT_LIFETIME: u64 = 600;
const MAX_LIFETIME: u64 = 3600;

fn main() {
    let lifetime = match lifetime(std::env::args().skip(1).collect()) {
        Ok(secs) => Duration::from_secs(secs),
        Err(problem) => {
            eprintln!("azmi-hostile: {problem}\nusage: azmi-hostile [--lifetime SECS]");
            std::process::exit(2);
        }
    };
    let set = match HostileSet::start(lifetime) {
        Ok(set) => set,
        Err(e) => {
            eprintln!("azmi-hostile: cannot start the servers on 127.0.0.1: {e}");
            std::process::exit(1);
        }
    };
    let mut out = std::io::stdout().lock();
    let printed = writeln!(out, "{}", set.describe()).and_then(|()| out.flush());
    if printed.is_err() {
        std::process::exit(1);
    }
    drop(out);
    // The parent closing our stdin (or dying) ends the servers at once.
    let (closed, wait) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin().lock();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        let _ = closed.send(());
    });
    let _ = wait.recv_timeout(lifetime);
    drop(set);
}

/// `--lifetime SECS` (1 to `MAX_LIFETIME`), else the default.
fn lifetime(args: Vec<String>) -> Result<u64, String> {
    match args.as_slice() {
        [] => Ok(DEFAULT_LIFETIME),
        [flag, secs] if flag == "--lifetime" => match secs.parse::<u64>() {
            Ok(n) if (1..=MAX_LIFETIME).contains(&n) => Ok(n),
            _ => Err(format!("--lifetime must be a whole number of seconds, 1 to {MAX_LIFETIME}")),
        },
        _ => Err(format!("unexpected arguments: {}", args.join(" "))),
    }
}
