//! `azmi`: managed identity tokens and Azure Resource Manager calls from the command line, a
//! diagnosis of the environment, the local emulator, and a demo of the whole flow on loopback.

mod arm;
mod demo;
mod doctor;
mod emulate;
mod engine;
mod identity;
mod logging;
mod output;
mod token;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "azmi",
    version,
    about = "Azure managed identity tokens and ARM calls, fast and predictable"
)]
struct Cli {
    /// Log what azmi decides to stderr at debug level: the source and why, each request, each
    /// retry and wait with its reason, each poll; never tokens or secrets. AZMI_LOG (else
    /// RUST_LOG) sets any filter, e.g. AZMI_LOG=azmi_host=info.
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Get a token for a resource or scope.
    Token(token::Args),
    /// Explain which identity source applies here, why, and whether it answers.
    Doctor(doctor::Args),
    /// Call Azure Resource Manager as the managed identity.
    Arm(arm::Args),
    /// Serve every identity endpoint and a small ARM on loopback.
    Emulate(emulate::Args),
    /// Run the whole flow against an embedded emulator: token, subscriptions, resource groups.
    Demo(demo::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose);
    let result = match cli.command {
        Command::Token(args) => token::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Arm(args) => arm::run(args),
        Command::Emulate(args) => emulate::run(args),
        Command::Demo(args) => demo::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("azmi: {e}");
            ExitCode::FAILURE
        }
    }
}

/// An error for the user: a stable code and a message.
pub(crate) struct Failure {
    code: &'static str,
    message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

impl Failure {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Failure { code, message: message.into() }
    }
}

impl From<azmi_core::TokenError> for Failure {
    fn from(e: azmi_core::TokenError) -> Self {
        Failure { code: e.code(), message: e.to_string() }
    }
}

impl From<azmi_core::ArmError> for Failure {
    fn from(e: azmi_core::ArmError) -> Self {
        Failure { code: e.code(), message: e.to_string() }
    }
}

impl From<azmi_core::ConfigError> for Failure {
    fn from(e: azmi_core::ConfigError) -> Self {
        Failure { code: e.code(), message: e.to_string() }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure { code: "io", message: e.to_string() }
    }
}
