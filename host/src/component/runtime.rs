//! Loading the component and running it in a store that is replaced after a trap.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use wasmtime::component::{Component, Linker, ResourceAny};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder};

use super::bindings::{Engine as Bindings, EnginePre};
use super::{precompiled, ComponentError};

/// Where compiled components are kept: `AZMI_COMPONENT_CACHE`, else
/// `$XDG_CACHE_HOME/azmi/components`, else `~/.cache/azmi/components`.
pub fn precompiled_cache_dir() -> Option<PathBuf> {
    precompiled::cache_dir()
}

/// Largest linear memory one instance may grow to. Responses are capped far below (64 KiB for
/// identity endpoints, 16 MiB for ARM), so only a runaway guest reaches it — and then traps.
pub const DEFAULT_MEMORY_LIMIT: usize = 256 << 20;

/// Where the component is read from: `AZMI_COMPONENT`, else the output of
/// `scripts/build-component` in this repository (`component/azmi.wasm`).
pub fn default_component_path() -> PathBuf {
    match std::env::var_os("AZMI_COMPONENT") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../component/azmi.wasm"),
    }
}

/// The compiled component, ready to instantiate. Load it once per process and share it.
pub struct ComponentRuntime {
    engine: Engine,
    component: Component,
    pre: EnginePre<StoreLimits>,
    size: usize,
}

impl std::fmt::Debug for ComponentRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentRuntime").field("size", &self.size).finish_non_exhaustive()
    }
}

impl ComponentRuntime {
    /// The component at [`default_component_path`], loaded once per process.
    pub fn shared() -> Result<Arc<Self>, ComponentError> {
        static SHARED: OnceLock<Result<Arc<ComponentRuntime>, ComponentError>> = OnceLock::new();
        SHARED.get_or_init(|| Self::from_file(&default_component_path()).map(Arc::new)).clone()
    }

    /// The component in `path`.
    pub fn from_file(path: &Path) -> Result<Self, ComponentError> {
        let bytes = std::fs::read(path).map_err(|e| {
            ComponentError::Load(format!(
                "{}: {e}; build it with scripts/build-component or set AZMI_COMPONENT",
                path.display()
            ))
        })?;
        Self::from_bytes(&bytes)
    }

    /// A component from its bytes, compiled through the on-disk cache (see
    /// [`precompiled_cache_dir`]; compiled in memory when there is no such directory).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ComponentError> {
        Self::load(bytes, precompiled::cache_dir().as_deref())
    }

    /// A component from its bytes, with the compiled artefact kept in `dir`.
    pub fn from_bytes_cached_in(bytes: &[u8], dir: &Path) -> Result<Self, ComponentError> {
        Self::load(bytes, Some(dir))
    }

    /// A component from its bytes, validated and compiled now, without the on-disk cache.
    pub fn compile_uncached(bytes: &[u8]) -> Result<Self, ComponentError> {
        Self::load(bytes, None)
    }

    fn load(bytes: &[u8], cache_dir: Option<&Path>) -> Result<Self, ComponentError> {
        let engine = Engine::default();
        let component = precompiled::load(&engine, bytes, cache_dir)?;
        // The component imports nothing, so the linker stays empty: a component that imported
        // anything would fail here.
        let linker = Linker::new(&engine);
        let pre = linker.instantiate_pre(&component).map_err(load_error)?;
        let pre = EnginePre::new(pre).map_err(load_error)?;
        Ok(ComponentRuntime { engine, component, pre, size: bytes.len() })
    }

    /// The names of the component's imports (azmi's imports none).
    pub fn imports(&self) -> Vec<String> {
        let ty = self.component.component_type();
        ty.imports(&self.engine).map(|(name, _)| name.to_owned()).collect()
    }

    /// The names of the component's exports (`azmi:identity/types@0.1.0`, ...).
    pub fn exports(&self) -> Vec<String> {
        let ty = self.component.component_type();
        ty.exports(&self.engine).map(|(name, _)| name.to_owned()).collect()
    }

    /// The component's size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// A new instance with the default memory limit.
    pub fn instantiate(self: &Arc<Self>) -> Result<Arc<ComponentInstance>, ComponentError> {
        self.instantiate_with_memory_limit(DEFAULT_MEMORY_LIMIT)
    }

    /// A new instance whose linear memory may not grow past `bytes`.
    pub fn instantiate_with_memory_limit(
        self: &Arc<Self>,
        bytes: usize,
    ) -> Result<Arc<ComponentInstance>, ComponentError> {
        let live = self.live(bytes, 0)?;
        let instance =
            ComponentInstance { runtime: Arc::clone(self), memory_limit: bytes, live: live.into() };
        Ok(Arc::new(instance))
    }

    fn live(&self, memory_limit: usize, generation: u64) -> Result<Live, ComponentError> {
        let limits = StoreLimitsBuilder::new().memory_size(memory_limit).build();
        let mut store = Store::new(&self.engine, limits);
        store.limiter(|limits| limits);
        let bindings = self.pre.instantiate(&mut store).map_err(load_error)?;
        Ok(Live { store, bindings, generation })
    }
}

/// One instantiation of the component; its calls are serialised by a lock held only for the
/// call itself (never across I/O).
pub struct ComponentInstance {
    runtime: Arc<ComponentRuntime>,
    memory_limit: usize,
    live: Mutex<Live>,
}

impl std::fmt::Debug for ComponentInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentInstance")
            .field("generation", &self.generation())
            .finish_non_exhaustive()
    }
}

pub(crate) struct Live {
    pub(crate) store: Store<StoreLimits>,
    pub(crate) bindings: Bindings,
    /// Counts replacements: resources of an older generation died with their store.
    generation: u64,
}

impl ComponentInstance {
    /// The current generation; resources created now belong to it.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Runs one call into the component for a resource of `generation` (`None`: not tied to
    /// a resource). A failed call replaces the store, so the next call starts afresh.
    pub(crate) fn call<R>(
        &self,
        generation: Option<u64>,
        call: &'static str,
        f: impl FnOnce(&mut Store<StoreLimits>, &Bindings) -> wasmtime::Result<R>,
    ) -> Result<(R, u64), ComponentError> {
        let mut live = self.lock();
        if generation.is_some_and(|g| g != live.generation) {
            return Err(ComponentError::Restarted);
        }
        let Live { store, bindings, generation } = &mut *live;
        match f(store, bindings) {
            Ok(result) => Ok((result, *generation)),
            Err(e) => {
                let message = format!("{e:#}");
                tracing::warn!(call, error = %message, "the azmi component trapped; replacing its store");
                self.replace(&mut live);
                Err(ComponentError::Trap { call, message })
            }
        }
    }

    /// Drops a guest resource, unless it died with an older store.
    pub(crate) fn drop_resource(&self, generation: u64, resource: ResourceAny) {
        let mut live = self.lock();
        if live.generation == generation {
            // A failing destructor leaves nothing to clean up that the next trap would not.
            let _ = resource.resource_drop(&mut live.store);
        }
    }

    fn replace(&self, live: &mut Live) {
        let next = live.generation + 1;
        match self.runtime.live(self.memory_limit, next) {
            Ok(fresh) => *live = fresh,
            // Keep the old store: its calls keep failing with a clear error.
            Err(e) => {
                tracing::error!(error = %e, "cannot re-instantiate the azmi component");
                live.generation = next;
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn load_error(e: wasmtime::Error) -> ComponentError {
    ComponentError::Load(format!("{e:#}"))
}
