//! Sources the environment half-describes: some of a source's variables are set, others are
//! missing (only `IDENTITY_ENDPOINT`: App Service lacks `IDENTITY_HEADER`, Azure Arc lacks
//! `IMDS_ENDPOINT`). Detection skips such a source and falls through to a later one (often
//! IMDS); `azmi doctor` and the logs say what is missing, so the fall-through is no surprise.

use super::{Detection, SourceKind, RULES};
use crate::env::EnvSnapshot;

/// A source some of whose variables are set, but not all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteSource {
    /// The source these variables suggest.
    pub source: SourceKind,
    /// Its variables that are set.
    pub set: Vec<&'static str>,
    /// Its variables that are not set (or empty).
    pub missing: Vec<&'static str>,
}

impl std::fmt::Display for IncompleteSource {
    /// E.g. `App Service: IDENTITY_ENDPOINT is set, IDENTITY_HEADER is missing`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = |vars: &[&str]| if vars.len() == 1 { "is" } else { "are" };
        write!(
            f,
            "{}: {} {} set, {} {} missing",
            self.source,
            self.set.join(" + "),
            verb(&self.set),
            self.missing.join(" + "),
            verb(&self.missing)
        )
    }
}

impl Detection {
    /// The sources `env` half-describes that would have been chosen before this one, had their
    /// variables been complete (for a forced source: that source, if its variables are
    /// incomplete). A source whose set variables all belong to the chosen source's rule is no
    /// suggestion (`MSI_ENDPOINT` + `MSI_SECRET` choose Azure ML; App Service 2017 is not
    /// missing anything there), nor is one needing more than another suggestion with the same
    /// variables set (Service Fabric beside App Service, when only `IDENTITY_ENDPOINT` is set).
    pub fn incomplete(&self, env: &EnvSnapshot) -> Vec<IncompleteSource> {
        let chosen = RULES.iter().position(|(vars, source)| {
            *source == self.source && !self.forced && vars.iter().all(|v| env.get(v).is_some())
        });
        let candidates =
            RULES[..chosen.unwrap_or(RULES.len())]
                .iter()
                .filter(|(_, source)| !self.forced || *source == self.source)
                .filter_map(|(vars, source)| {
                    let (set, missing): (Vec<&'static str>, Vec<&'static str>) =
                        vars.iter().partition(|v| env.get(v).is_some());
                    let chosen_vars = chosen.map(|i| RULES[i].0).unwrap_or(&[]);
                    let covered = set.iter().all(|v| chosen_vars.contains(v));
                    (!set.is_empty() && !missing.is_empty() && !covered)
                        .then_some(IncompleteSource { source: *source, set, missing })
                });
        let candidates: Vec<IncompleteSource> = candidates.collect();
        candidates
            .iter()
            .filter(|c| {
                !candidates.iter().any(|other| {
                    other.set == c.set
                        && other.missing.len() < c.missing.len()
                        && other.missing.iter().all(|v| c.missing.contains(v))
                })
            })
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incomplete(vars: &[(&str, &str)], forced: Option<SourceKind>) -> Vec<IncompleteSource> {
        let env = EnvSnapshot::from_vars(vars.iter().copied());
        Detection::detect(forced, &env).incomplete(&env)
    }

    fn source(
        source: SourceKind,
        set: &[&'static str],
        missing: &[&'static str],
    ) -> IncompleteSource {
        IncompleteSource { source, set: set.to_vec(), missing: missing.to_vec() }
    }

    /// Issue 14 item 4: only IDENTITY_ENDPOINT set says what App Service and Azure Arc lack.
    #[test]
    fn a_lone_identity_endpoint_names_what_is_missing() {
        let found = incomplete(&[("IDENTITY_ENDPOINT", "http://127.0.0.1:1/")], None);
        assert_eq!(
            found,
            vec![
                source(SourceKind::AppService, &["IDENTITY_ENDPOINT"], &["IDENTITY_HEADER"]),
                source(SourceKind::AzureArc, &["IDENTITY_ENDPOINT"], &["IMDS_ENDPOINT"]),
            ]
        );
        assert_eq!(
            found[0].to_string(),
            "App Service: IDENTITY_ENDPOINT is set, IDENTITY_HEADER is missing"
        );
        let env = EnvSnapshot::from_vars([("IDENTITY_ENDPOINT", "http://127.0.0.1:1/")]);
        let explained = Detection::detect(None, &env).explain();
        assert!(!explained.contains("no managed identity variables"), "{explained}");
    }

    #[test]
    fn complete_sources_suggest_nothing_more() {
        assert_eq!(incomplete(&[], None), vec![]);
        let ml = [("MSI_ENDPOINT", "http://x/"), ("MSI_SECRET", "s")];
        assert_eq!(incomplete(&ml, None), vec![], "Azure ML is complete");
        let app = [("IDENTITY_ENDPOINT", "http://x/"), ("IDENTITY_HEADER", "h")];
        assert_eq!(incomplete(&app, None), vec![], "App Service is complete");
        let secret_only = [("MSI_SECRET", "s")];
        assert_eq!(
            incomplete(&secret_only, None),
            vec![source(SourceKind::AzureMl, &["MSI_SECRET"], &["MSI_ENDPOINT"])]
        );
        let header_sf = [("IDENTITY_ENDPOINT", "http://x/"), ("IDENTITY_SERVER_THUMBPRINT", "A")];
        assert_eq!(
            incomplete(&header_sf, None)[0],
            source(
                SourceKind::ServiceFabric,
                &["IDENTITY_ENDPOINT", "IDENTITY_SERVER_THUMBPRINT"],
                &["IDENTITY_HEADER"]
            )
        );
    }

    #[test]
    fn a_forced_source_names_its_own_missing_variables() {
        let found = incomplete(&[("IDENTITY_ENDPOINT", "http://x/")], Some(SourceKind::AppService));
        assert_eq!(
            found,
            vec![source(SourceKind::AppService, &["IDENTITY_ENDPOINT"], &["IDENTITY_HEADER"])]
        );
        assert_eq!(incomplete(&[("MSI_SECRET", "s")], Some(SourceKind::Imds)), vec![]);
    }
}
