//! Plugins get tokens through the draft `wasi:identity` interface served by azmi-host
//! (feature `component`): the example plugin (component/example-plugin.wasm, built by
//! scripts/build-component) in wasmtime, against the emulator on 127.0.0.1. Policy decisions
//! make no request; cached tokens make none either; concurrent plugins share one fetch. The same
//! plugin composed with the identity provider runs in a plain WASI 0.2 + wasi:http host.

mod arm;
mod composed;
mod fetch;
mod policy;
mod support;
