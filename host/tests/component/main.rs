//! The WebAssembly component (`component/azmi.wasm`, built by `scripts/build-component`): it
//! imports nothing and validates (`artefact`); every shared vector runs through it and through
//! the native core with identical results, step by step (`vectors`, over the flows of `engines`);
//! a trap fails its call clearly, the next call works on a fresh store, and a fetch that dies
//! wakes its waiters at once in both engines (`traps`); and the one credential and ARM client,
//! given the component engine, get tokens and manage resource groups on the emulator on
//! 127.0.0.1 (`emulator`); every hostile-endpoint case of `tests/hostile/cases.json` fails the
//! same way through the component as natively (`hostile`, the native suite's own case code).

mod artefact;
mod emulator;
mod engines;
mod hostile;
#[path = "../hostile/cases.rs"]
mod hostile_cases;
#[path = "../../../core/tests/support/results.rs"]
mod results;
mod support;
mod traps;
mod vectors;
