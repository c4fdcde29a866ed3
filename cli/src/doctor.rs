//! `azmi doctor`: which source applies here and why, the environment it saw (secrets hidden),
//! and whether that endpoint accepts a connection, with a short timeout.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use azmi_core::{Config, Resource, TokenFlow};
use azmi_host::{now, process_env};
use clap::Args as ClapArgs;

use crate::identity::IdentityArgs;
use crate::Failure;

#[derive(ClapArgs)]
pub(crate) struct Args {
    #[command(flatten)]
    identity: IdentityArgs,
    /// How long to wait for the endpoint to accept a connection, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    connect_timeout_ms: u64,
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
    println!("Azure Arc agent installed: {}", env.arc_agent_installed());
    let resource = Resource::new("https://management.azure.com/")?;
    // Building a flow resolves the endpoint exactly as a token request would.
    let mut flow = TokenFlow::new(&cfg, &env, &resource, now())?;
    println!("source: {}", flow.detection().explain());
    let azmi_core::Action::Send(out) = flow.poll(now()) else {
        return Err(Failure::new("config", "the flow did not produce a request"));
    };
    let uri = out.request.uri().clone();
    println!(
        "token request: {} {}://{}{}",
        out.request.method(),
        uri.scheme_str().unwrap_or(""),
        uri.authority().map(|a| a.as_str()).unwrap_or(""),
        uri.path()
    );
    let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("https") { 443 } else { 80 });
    let host =
        uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
    let timeout = Duration::from_millis(args.connect_timeout_ms);
    match reachable(&host, port, timeout) {
        Ok(()) => println!("reachable: yes ({host}:{port} accepted a connection)"),
        Err(e) => println!("reachable: no ({host}:{port}: {e})"),
    }
    Ok(())
}

fn reachable(host: &str, port: u16, timeout: Duration) -> std::io::Result<()> {
    let mut last = std::io::Error::other("no address");
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(_) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
}
