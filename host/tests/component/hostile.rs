//! The hostile-endpoint cases (`tests/hostile/cases.json`) through the component engine: the
//! native suite's case code (`host/tests/hostile/cases.rs`), given a fresh instance of the
//! component for each case.

use azmi_host::Engine;

fn component() -> Engine {
    Engine::shared_component().unwrap_or_else(|e| panic!("{e}"))
}

crate::hostile_tests!(hostile_cases, super::component);
