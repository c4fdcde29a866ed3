//! The component itself: it imports nothing, validates, and its compiled form is cached on disk.

use std::path::PathBuf;
use std::sync::Arc;

use azmi_host::component::ComponentRuntime;

use crate::support::{runtime, tempdir};

#[test]
fn the_component_imports_nothing_and_validates() {
    let path = azmi_host::component::default_component_path();
    let bytes = std::fs::read(&path).expect("the component was built");
    // Compiling from the bytes, without the on-disk cache, runs wasmtime's full validation.
    let fresh = ComponentRuntime::compile_uncached(&bytes).expect("the component validates");
    assert_eq!(fresh.imports(), Vec::<String>::new(), "the component must import nothing");
    let exports = fresh.exports();
    for name in ["types", "identity", "cache", "arm"] {
        let export = format!("azmi:identity/{name}@0.1.0");
        assert!(exports.contains(&export), "{export} missing from {exports:?}");
    }
    assert_eq!(exports.len(), 4, "{exports:?}");
    // The shared, cached runtime loads the same component.
    assert_eq!(runtime().size(), bytes.len());
    assert!(bytes.len() <= 1 << 20, "component is {} bytes, goal ≤ 1 MiB", bytes.len());
    // Not a core module: the component-model layer.
    assert_eq!(&bytes[4..8], &[0x0d, 0x00, 0x01, 0x00], "a component's version/layer header");
}

#[test]
fn the_precompiled_artefact_is_cached_on_disk_by_hash() {
    let dir = tempdir("precompiled");
    let bytes = std::fs::read(azmi_host::component::default_component_path()).unwrap();
    let first = ComponentRuntime::from_bytes_cached_in(&bytes, &dir).unwrap();
    let files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "one artefact: {files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with(".cwasm") && name.len() > 64, "keyed by the SHA-256: {name}");
    let modified = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
    // A second load reuses it (no rewrite), and the instance works.
    let second = ComponentRuntime::from_bytes_cached_in(&bytes, &dir).unwrap();
    assert_eq!(std::fs::metadata(&files[0]).unwrap().modified().unwrap(), modified);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    let variables = Arc::new(second).instantiate().unwrap().variables().unwrap();
    assert!(variables.iter().any(|v| v == "IDENTITY_ENDPOINT"), "{variables:?}");
    // A corrupt artefact is recompiled, not trusted.
    std::fs::write(&files[0], b"not a compiled component").unwrap();
    let third = ComponentRuntime::from_bytes_cached_in(&bytes, &dir).unwrap();
    assert!(Arc::new(third).instantiate().is_ok());
    assert!(std::fs::read(&files[0]).unwrap().len() > 1000, "rewritten");
    drop(first);
    let _ = std::fs::remove_dir_all(&dir);
}
