//! Integration tests: real HTTP(S) against an emulator on 127.0.0.1, nothing else. One binary
//! (modules below) to keep link time low.

mod arc;
mod arm;
mod faults;
mod hostile;
mod https_arm;
mod identity;
mod lifecycle;
mod request_log;
mod service_fabric;
mod support;
