//! The native row of bench/compare.sh: the same credential the bindings wrap, called from Rust.
//! Prints one tab-separated line: `rust (native)`, cached token call (µs), cold first token
//! (ms), library load (ms: none, it is linked in). Reads the identity variables of the process
//! (compare.sh points them at `azmi emulate`).

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scope = "https://management.azure.com/.default".to_owned();
    let iterations: u32 = std::env::args().nth(1).map_or(Ok(200_000), |n| n.parse())?;
    let credential = azmi_uniffi::ManagedIdentityCredential::new(String::new(), None)?;
    let started = Instant::now();
    credential.get_token(scope.clone(), None)?;
    let cold = started.elapsed();
    let started = Instant::now();
    for _ in 0..iterations {
        let token = credential.get_token(scope.clone(), None)?;
        std::hint::black_box(token.secret());
    }
    let cached = started.elapsed() / iterations;
    let us = cached.as_nanos() as f64 / 1000.0;
    println!("rust (native)\t{us:.3}\t{:.1}\t0", cold.as_secs_f64() * 1000.0);
    Ok(())
}
