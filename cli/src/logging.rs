//! Logs to stderr: `tracing` events of azmi's crates (the source decision, requests, retries
//! and waits with the core's reasons, polls), filtered by `AZMI_LOG`, else `RUST_LOG` (the
//! `tracing-subscriber` filter syntax), and `-v` (debug for azmi's crates). Colours only when
//! stderr is a terminal and `NO_COLOR` is unset, so a pipe or a file never gets escape codes.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// What `-v` turns on: azmi's own crates at debug, the emulator's at info.
const VERBOSE: &str = "azmi_core=debug,azmi_host=debug,azmi_cli=debug,azmi_emulator=info";

/// Installs the subscriber. Nothing is logged unless a filter variable or `-v` asks for it: the
/// command prints its result and its errors itself.
pub(crate) fn init(verbose: bool) {
    let from_env = ["AZMI_LOG", "RUST_LOG"].into_iter().find_map(|name| {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty()).map(|v| (name, v))
    });
    let mut directives = match &from_env {
        Some((_, value)) => value.clone(),
        None if verbose => VERBOSE.to_owned(),
        None => return,
    };
    if verbose && from_env.is_some() {
        directives = format!("{directives},{VERBOSE}");
    }
    let filter = match EnvFilter::try_new(&directives) {
        Ok(filter) => filter,
        Err(e) => {
            let name = from_env.map(|(name, _)| name).unwrap_or("-v");
            eprintln!("azmi: {name} is not a log filter ({e}); using {VERBOSE}");
            EnvFilter::new(VERBOSE)
        }
    };
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_env_filter(filter)
        .init();
}
