//! `azmi token`: a token for one resource or scope.

use azmi_core::Resource;
use clap::{Args as ClapArgs, ValueEnum};
use serde_json::json;

use crate::engine::EngineArg;
use crate::identity::IdentityArgs;
use crate::Failure;

#[derive(ClapArgs)]
pub(crate) struct Args {
    /// The resource (audience), e.g. `https://management.azure.com/`.
    #[arg(long, conflicts_with = "scope")]
    resource: Option<String>,
    /// One scope, e.g. `https://management.azure.com/.default`.
    #[arg(long)]
    scope: Option<String>,
    #[command(flatten)]
    identity: IdentityArgs,
    /// json: token and expiry as JSON; raw: the token alone (for scripts).
    #[arg(long, value_enum, default_value_t = Output::Json)]
    output: Output,
    /// native: the core built into azmi; component: the same core as a WebAssembly component
    /// (component/azmi.wasm or $AZMI_COMPONENT), run by wasmtime.
    #[arg(long, value_enum, default_value_t = EngineArg::Native)]
    engine: EngineArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    Json,
    Raw,
}

pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let resource = match (&args.resource, &args.scope) {
        (Some(r), _) => Resource::new(r)?,
        (None, Some(s)) => Resource::from_scopes(&[s.as_str()])?,
        (None, None) => Resource::new("https://management.azure.com/")?,
    };
    let cfg = args.identity.config()?;
    let credential = args.engine.credential(cfg)?;
    let (token, detection) = (credential.get_token_for(&resource)?, credential.detection());
    match args.output {
        Output::Raw => println!("{}", token.secret()),
        Output::Json => println!(
            "{:#}",
            json!({
                "token_type": token.token_type,
                "access_token": token.secret(),
                "expires_on": token.expires_on.0 / 1000,
                "refresh_on": token.refresh_on.0 / 1000,
                "resource": token.resource.as_deref().unwrap_or(resource.as_str()),
                "source": detection.source.as_str(),
            })
        ),
    }
    Ok(())
}
