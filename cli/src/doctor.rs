//! `azmi doctor`: what azmi sees and does here. The managed identity variables that are set
//! (secrets hidden) and, for a source they half-describe, the ones that are missing (the core's
//! `Detection::incomplete`); the source chosen and why; the exact first request (secret header
//! values hidden); then a real token fetch (unless `--no-fetch`) and the token's identity claims,
//! never the token. The exit status is non-zero when no token can be had.

use std::time::Instant;

use azmi_core::{Action, Config, IdentityClaims, Outgoing, Resource, TokenFlow, UnixMillis};
use azmi_host::{now, process_env, EnvSource, ManagedIdentityCredential};
use clap::Args as ClapArgs;

use crate::identity::IdentityArgs;
use crate::Failure;

#[derive(ClapArgs)]
pub(crate) struct Args {
    #[command(flatten)]
    identity: IdentityArgs,
    /// The resource (audience) to ask a token for.
    #[arg(long, default_value = "https://management.azure.com/", value_name = "R")]
    resource: String,
    /// Stop after showing the request: do not fetch a token.
    #[arg(long)]
    no_fetch: bool,
}

pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let cfg: Config = args.identity.config()?;
    let env = process_env();
    println!("environment (secrets hidden):");
    let shown = env.redacted();
    if shown.is_empty() {
        println!("  (no managed identity variables set)");
    }
    for (name, value) in shown {
        println!("  {name}={value}");
    }
    println!("Azure Arc agent installed: {}", if env.arc_agent_installed() { "yes" } else { "no" });
    let resource = Resource::new(&args.resource)?;
    let detection = azmi_core::Detection::detect(cfg.source, &env);
    for incomplete in detection.incomplete(&env) {
        println!("incomplete: {incomplete}");
    }
    println!("source: {}", detection.explain());
    // Building a flow resolves the endpoint exactly as a token request would: a variable the
    // chosen source needs, or a bad endpoint, is an error here, before any request.
    let mut flow = TokenFlow::new(&cfg, &env, &resource, now())?;
    let Action::Send(out) = flow.poll(now()) else {
        return Err(Failure::new("config", "the flow did not produce a request"));
    };
    print_request(&out);
    if args.no_fetch {
        println!("token: not fetched (--no-fetch)");
        return Ok(());
    }
    fetch(cfg, env, &resource)
}

/// The request as it goes out: method, URL (its query names the resource and any identity id,
/// nothing secret; userinfo, which endpoints may not carry anyway, masked), and the headers,
/// secret values hidden.
fn print_request(out: &Outgoing) {
    let uri = out.request.uri();
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or("");
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_owned(),
    };
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let scheme = uri.scheme_str().unwrap_or("");
    println!("token request: {} {scheme}://{authority}{path}", out.request.method());
    for (name, value) in out.request.headers() {
        let shown = if value.is_sensitive() { "***" } else { value.to_str().unwrap_or("(binary)") };
        println!("  {name}: {shown}");
    }
    if let Some(pin) = &out.tls_pin {
        println!("  (server certificate pinned to thumbprint {pin})");
    }
}

/// Fetches a token as `azmi token` would and prints who it is for.
fn fetch(cfg: Config, env: azmi_core::EnvSnapshot, resource: &Resource) -> Result<(), Failure> {
    let credential = ManagedIdentityCredential::with_env(cfg, EnvSource::Fixed(env));
    let started = Instant::now();
    let token = credential.get_token_for(resource).inspect_err(|e| {
        println!("token: none after {:.1} s", started.elapsed().as_secs_f64());
        for attempt in &e.attempts {
            println!("  attempt {attempt}");
        }
    })?;
    let minutes = token.expires_on.0.saturating_sub(now().0) / 60_000;
    println!(
        "token: {} token in {:.1} s, expires in {minutes} min (at {})",
        token.token_type,
        started.elapsed().as_secs_f64(),
        utc(token.expires_on),
    );
    match token.identity_claims() {
        Some(claims) => print_claims(&claims),
        None => println!("  (not a JWT: no identity claims to show)"),
    }
    Ok(())
}

fn print_claims(c: &IdentityClaims) {
    let fields = [
        ("oid (object id)", &c.oid),
        ("appid (client id)", &c.appid),
        ("xms_mirid (resource id)", &c.xms_mirid),
        ("tid (tenant)", &c.tid),
        ("aud (audience)", &c.aud),
    ];
    for (name, value) in fields {
        println!("  {name}: {}", value.as_deref().unwrap_or("(absent)"));
    }
    match c.exp {
        Some(exp) => println!("  exp: {exp} ({})", utc(UnixMillis(exp.saturating_mul(1000)))),
        None => println!("  exp: (absent)"),
    }
}

fn utc(at: UnixMillis) -> String {
    match jiff::Timestamp::from_millisecond(at.0 as i64) {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => format!("{} ms", at.0),
    }
}
