//! The IMDS probe's budget is a setting (`Config::probe_timeout`), range-checked like the others.

use std::time::Duration;

use azmi_core::{
    Action, Config, ConfigError, EnvSnapshot, Resource, TokenFlow, TransportFailure, UnixMillis,
};

fn resource() -> Resource {
    Resource::new("https://management.azure.com/").unwrap()
}

#[test]
fn the_probe_budget_is_configurable() {
    let mut cfg = Config::default();
    cfg.probe_timeout = Duration::from_millis(300);
    let env = EnvSnapshot::from_vars(Vec::<(&str, &str)>::new());
    let mut flow = TokenFlow::new(&cfg, &env, &resource(), UnixMillis(0)).unwrap();
    let Action::Send(out) = flow.poll(UnixMillis(0)) else { panic!("no request") };
    assert_eq!(out.connect_timeout, Duration::from_millis(300));
    flow.handle_transport_error(out.id, TransportFailure::ConnectTimeout, UnixMillis(300));
    let Action::Done(Err(e)) = flow.poll(UnixMillis(300)) else { panic!("not done") };
    assert_eq!(e.code(), "unavailable", "{e}");
    assert_eq!(e.attempts.len(), 1);
}

/// The probe policy reads the transport's report, not the clock: a whole-attempt time-out that
/// arrives when a connect time-out would is retried, and a connect time-out that arrives late
/// (a slow timer) still means no managed identity.
#[test]
fn only_a_reported_connect_time_out_ends_the_probe() {
    let env = EnvSnapshot::from_vars(Vec::<(&str, &str)>::new());
    let cfg = Config::default();
    let mut flow = TokenFlow::new(&cfg, &env, &resource(), UnixMillis(0)).unwrap();
    let Action::Send(out) = flow.poll(UnixMillis(0)) else { panic!("no request") };
    flow.handle_transport_error(out.id, TransportFailure::Timeout, UnixMillis(1000));
    assert!(matches!(flow.poll(UnixMillis(1000)), Action::WaitUntil(_)), "retried");

    let mut flow = TokenFlow::new(&cfg, &env, &resource(), UnixMillis(0)).unwrap();
    let Action::Send(out) = flow.poll(UnixMillis(0)) else { panic!("no request") };
    flow.handle_transport_error(out.id, TransportFailure::ConnectTimeout, UnixMillis(9000));
    let Action::Done(Err(e)) = flow.poll(UnixMillis(9000)) else { panic!("not done") };
    assert_eq!(e.code(), "unavailable", "{e}");
}

#[test]
fn a_zero_probe_budget_is_refused() {
    let mut cfg = Config::default();
    cfg.probe_timeout = Duration::ZERO;
    let got = cfg.validate();
    assert!(
        matches!(&got, Err(ConfigError::InvalidSetting { name, .. }) if name == "probe_timeout"),
        "{got:?}"
    );
}
