//! `azmi token`: a token for one resource or scope.

use azmi_core::{AccessToken, Resource};
use clap::{Args as ClapArgs, ValueEnum};
use serde_json::{json, Value};

use crate::engine::EngineArg;
use crate::identity::IdentityArgs;
use crate::Failure;

#[derive(ClapArgs)]
pub(crate) struct Args {
    /// The resource (audience), e.g. `https://management.azure.com/` (the default).
    #[arg(long, conflicts_with = "scope", value_name = "R")]
    resource: Option<String>,
    /// One scope, e.g. `https://management.azure.com/.default`.
    #[arg(long, value_name = "S")]
    scope: Option<String>,
    #[command(flatten)]
    identity: IdentityArgs,
    /// json: token and expiry as JSON; raw: the token alone (for scripts); az: what
    /// `az account get-access-token` prints (accessToken, expiresOn, expires_on, tenant,
    /// tokenType), for scripts written against az.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Json)]
    output: Output,
    /// native: the core built into azmi; component: the same core as a WebAssembly component
    /// (component/azmi.wasm or $AZMI_COMPONENT), run by wasmtime.
    #[arg(long, value_enum, default_value_t = EngineArg::Native)]
    engine: EngineArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    /// Token, type, expiry, refresh time, resource and source as JSON.
    Json,
    /// The token alone.
    Raw,
    /// `az account get-access-token`'s JSON.
    Az,
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
        Output::Az => println!("{:#}", az_json(&token)?),
    }
    Ok(())
}

/// The token as `az account get-access-token` prints it: `expiresOn` in local time with
/// microseconds, `expires_on` in epoch seconds, `tenant` from the token's `tid` claim (absent
/// from an opaque token). az's `subscription` is its account's; azmi has none to give.
fn az_json(token: &AccessToken) -> Result<Value, Failure> {
    let at = jiff::Timestamp::from_millisecond(token.expires_on.0 as i64)
        .map_err(|e| Failure::new("invalid_response", format!("the token's expiry: {e}")))?;
    let local = at.to_zoned(jiff::tz::TimeZone::system());
    let mut out = json!({
        "accessToken": token.secret(),
        "expiresOn": local.strftime("%Y-%m-%d %H:%M:%S.%6f").to_string(),
        "expires_on": token.expires_on.0 / 1000,
        "tokenType": token.token_type,
    });
    if let Some(tid) = token.identity_claims().and_then(|c| c.tid) {
        out["tenant"] = Value::from(tid);
    }
    Ok(out)
}
