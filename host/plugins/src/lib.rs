//! No library: this crate holds the tests (`tests/plugin`) and the benchmark (`benches/plugin.rs`)
//! of WebAssembly plugins getting tokens through `wasi:identity@0.1.0-draft`, served by
//! `azmi_host::component::plugin` or by the composed identity provider (`component/provider`).
