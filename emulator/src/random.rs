//! Unpredictable values: secrets, key file names, request ids. From the OS generator (ring),
//! because secrets stand in for real ones and tests must not be able to guess them.

use ring::rand::{SecureRandom, SystemRandom};

/// `n` random bytes as lower-case hex.
pub(crate) fn hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    SystemRandom::new().fill(&mut bytes).expect("the OS random generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random (version 4) UUID, as ARM and App Service write request and correlation ids.
pub(crate) fn uuid() -> String {
    let h = hex(16);
    let b = h.as_bytes();
    // Version nibble 4, variant bits 10.
    let variant = ["8", "9", "a", "b"][usize::from(b[16] % 4)];
    format!("{}-{}-4{}-{}{}-{}", &h[0..8], &h[8..12], &h[13..16], variant, &h[17..20], &h[20..32])
}
