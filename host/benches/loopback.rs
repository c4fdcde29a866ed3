//! Loopback benchmark against the embedded emulator: a cold token (new credential, one HTTP
//! exchange) and cached `get_token` calls per second with 1 and 8 threads. Prints a table.
//! Run: `cargo bench -p azmi-host --bench loopback` (add `-- --quick` for a short run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use azmi_core::{Config, EnvSnapshot, Resource};
use azmi_emulator::{Emulator, EmulatorConfig};
use azmi_host::{EnvSource, ManagedIdentityCredential, Transport};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick" || a == "--test");
    let emu = Emulator::start(EmulatorConfig::default()).expect("emulator on loopback");
    let env = EnvSnapshot::from_vars(emu.env_for("imds"));
    let resource = Resource::new("https://management.azure.com/").unwrap();
    let transport = Arc::new(Transport::new());
    let credential = || {
        ManagedIdentityCredential::with_transport(
            Config::default(),
            EnvSource::Fixed(env.clone()),
            Arc::clone(&transport),
        )
    };

    // Cold: each iteration is a new credential (empty cache) over a kept-alive connection.
    let rounds = if quick { 5 } else { 200 };
    let mut cold = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let c = credential();
        let t = Instant::now();
        c.get_token_for(&resource).expect("token");
        cold.push(t.elapsed());
    }
    cold.sort();

    let warm = credential();
    warm.get_token_for(&resource).expect("token");
    let window = if quick { Duration::from_millis(100) } else { Duration::from_secs(2) };
    let one = calls_per_second(&warm, &resource, 1, window);
    // The process environment, as bindings use it (the variables point at the emulator).
    for (name, value) in emu.env_for("imds") {
        std::env::set_var(name, value);
    }
    let process = ManagedIdentityCredential::with_transport(
        Config::default(),
        EnvSource::Process,
        Arc::clone(&transport),
    );
    process.get_token_for(&resource).expect("token");
    let one_process = calls_per_second(&process, &resource, 1, window);
    let eight = calls_per_second(&warm, &resource, 8, window);

    println!("| measurement | value |");
    println!("| --- | --- |");
    println!(
        "| cold token over loopback, median of {rounds} | {:.0} µs |",
        micros(cold[rounds / 2])
    );
    println!("| cold token over loopback, p95 | {:.0} µs |", micros(cold[rounds * 95 / 100]));
    println!("| cached get_token, 1 thread | {:.2} M calls/s |", one / 1e6);
    println!("| cached get_token, 8 threads | {:.2} M calls/s |", eight / 1e6);
    println!(
        "| cached get_token, 1 thread, process environment | {:.2} M calls/s |",
        one_process / 1e6
    );
    println!("| emulator requests made | {} |", emu.requests().len());
}

fn calls_per_second(
    c: &ManagedIdentityCredential,
    resource: &Resource,
    threads: usize,
    window: Duration,
) -> f64 {
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (c, resource) = (c.clone(), resource.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while started.elapsed() < window {
                    for _ in 0..1000 {
                        std::hint::black_box(c.get_token_for(&resource).expect("cached"));
                    }
                    n += 1000;
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    total as f64 / started.elapsed().as_secs_f64()
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
