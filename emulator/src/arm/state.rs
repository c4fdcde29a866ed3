//! What the emulated ARM stores: resource groups, generic resources, long-running operations,
//! and the remaining-request budget it reports. Optionally persisted as JSON.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A resource group. Keys in [`ArmState::groups`] are `sub/name` lower-cased: ARM names are
/// case-insensitive but keep the casing of their creation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Group {
    pub subscription_id: String,
    pub name: String,
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Map<String, Value>>,
    /// Between a `DELETE` and the end of its operation (not persisted).
    #[serde(skip)]
    pub deleting: bool,
}

/// A generic resource: the body as last `PUT` (plus `id`, `name`, `type`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StoredResource {
    pub id: String,
    pub body: Value,
}

/// A long-running operation (today only resource group deletion).
pub(crate) struct Operation {
    pub subscription_id: String,
    pub group_key: String,
    pub polls: u32,
    pub done: bool,
}

/// Remaining requests per kind, as `x-ms-ratelimit-remaining-*` reports them. Starts at ARM's
/// classic hourly limits and only counts down (never throttles by itself: use a fault for that).
#[derive(Clone, Copy)]
pub(crate) struct Budget {
    pub tenant_reads: u64,
    pub reads: u64,
    pub writes: u64,
    pub deletes: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { tenant_reads: 11999, reads: 11999, writes: 1199, deletes: 14999 }
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Persisted {
    #[serde(default)]
    resource_groups: Vec<Group>,
    #[serde(default)]
    resources: Vec<StoredResource>,
}

pub(crate) struct ArmState {
    pub groups: BTreeMap<String, Group>,
    pub resources: BTreeMap<String, StoredResource>,
    pub operations: HashMap<String, Operation>,
    pub budget: Budget,
    state_file: Option<PathBuf>,
    /// What `reset` returns to: the state loaded at start.
    initial: (BTreeMap<String, Group>, BTreeMap<String, StoredResource>),
}

pub(crate) fn group_key(subscription: &str, name: &str) -> String {
    format!("{}/{}", subscription.to_ascii_lowercase(), name.to_lowercase())
}

impl ArmState {
    /// Empty, or what `state_file` holds when it exists.
    pub fn load(state_file: Option<&Path>) -> io::Result<ArmState> {
        let persisted: Persisted = match state_file {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(path)?;
                serde_json::from_str(&text).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("ARM state file {}: {e}", path.display()),
                    )
                })?
            }
            _ => Persisted::default(),
        };
        let groups: BTreeMap<String, Group> = persisted
            .resource_groups
            .into_iter()
            .map(|g| (group_key(&g.subscription_id, &g.name), g))
            .collect();
        let resources: BTreeMap<String, StoredResource> =
            persisted.resources.into_iter().map(|r| (r.id.to_lowercase(), r)).collect();
        Ok(ArmState {
            initial: (groups.clone(), resources.clone()),
            groups,
            resources,
            operations: HashMap::new(),
            budget: Budget::default(),
            state_file: state_file.map(Path::to_path_buf),
        })
    }

    /// Back to the state at start; pending operations and the budget are forgotten.
    pub fn reset(&mut self) {
        self.groups = self.initial.0.clone();
        self.resources = self.initial.1.clone();
        self.operations.clear();
        self.budget = Budget::default();
        self.save();
    }

    /// Writes the state file (atomically: temp file, then rename). Failures are logged, not fatal:
    /// the in-memory state stays authoritative.
    pub fn save(&self) {
        let Some(path) = &self.state_file else { return };
        let persisted = Persisted {
            resource_groups: self.groups.values().cloned().collect(),
            resources: self.resources.values().cloned().collect(),
        };
        let result =
            serde_json::to_vec_pretty(&persisted).map_err(io::Error::other).and_then(|bytes| {
                let tmp = path.with_extension("tmp");
                std::fs::write(&tmp, bytes)?;
                std::fs::rename(&tmp, path)
            });
        if let Err(e) = result {
            tracing::warn!(path = %path.display(), error = %e, "cannot save the ARM state file");
        }
    }

    /// Removes a group and everything stored under it.
    pub fn remove_group(&mut self, key: &str) {
        if let Some(group) = self.groups.remove(key) {
            let prefix = format!(
                "/subscriptions/{}/resourcegroups/{}/",
                group.subscription_id.to_ascii_lowercase(),
                group.name.to_lowercase()
            );
            self.resources.retain(|k, _| !k.starts_with(&prefix));
        }
    }
}
