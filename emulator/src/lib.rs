//! The azmi emulator: every managed identity endpoint and a small ARM, on loopback.
