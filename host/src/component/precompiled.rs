//! The compiled component, cached on disk: compiling with Cranelift takes a second or more,
//! loading the compiled artefact a few milliseconds.
//!
//! The key is the SHA-256 of the component's bytes plus wasmtime's compatibility hash (its
//! version and the engine's settings), so a new component or a new wasmtime never loads a stale
//! artefact. The directory is `AZMI_COMPONENT_CACHE`, else `$XDG_CACHE_HOME/azmi/components`,
//! else `~/.cache/azmi/components`.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

use super::ComponentError;

/// The component compiled for `engine`, from the cache in `dir` when it is there.
pub(crate) fn load(
    engine: &Engine,
    bytes: &[u8],
    dir: Option<&Path>,
) -> Result<Component, ComponentError> {
    let Some(dir) = dir else { return compile(engine, bytes) };
    let path = dir.join(format!("{}.cwasm", key(engine, bytes)));
    if path.exists() {
        // SAFETY: the file was written by `precompile_component` below into the user's own cache
        // directory (as trusted as the binary itself); wasmtime also checks its header against
        // this engine's version and settings and refuses a mismatch.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
            return Ok(component);
        }
    }
    let compiled = engine.precompile_component(bytes).map_err(load_error)?;
    if store(dir, &path, &compiled).is_err() {
        tracing::debug!(path = %path.display(), "cannot cache the compiled component");
    }
    // SAFETY: `compiled` was produced by this engine just now.
    unsafe { Component::deserialize(engine, &compiled) }.map_err(load_error)
}

/// Where compiled components are kept; `None` when no home directory is known.
pub(crate) fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("AZMI_COMPONENT_CACHE") {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("azmi").join("components"))
}

fn key(engine: &Engine, bytes: &[u8]) -> String {
    let mut compat = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}-{:016x}", compat.finish())
}

fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component, ComponentError> {
    Component::new(engine, bytes).map_err(load_error)
}

/// Writes atomically (temporary file, then rename), so a concurrent reader never sees half.
fn store(dir: &Path, path: &Path, compiled: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{}.{}.tmp", std::process::id(), compiled.len()));
    std::fs::write(&tmp, compiled)?;
    std::fs::rename(&tmp, path)
}

fn load_error(e: wasmtime::Error) -> ComponentError {
    ComponentError::Load(format!("{e:#}"))
}
