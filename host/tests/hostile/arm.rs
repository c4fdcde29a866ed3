//! The ARM client against hostile ARM endpoints, with a token from a fixed IMDS answer: the
//! bearer token is the secret that must not show up in any error.

use std::time::Duration;

use azmi_core::{ArmConfig, Cloud};
use azmi_host::ArmClient;

use crate::common::{check, good_token_body, imds, timed, ARM, DEADLINE, TIMED_OUT, TOKEN};
use crate::server::{Behaviour, Hostile};

/// Statuses and answers ARM errors may honestly map a hostile answer to.
const REFUSED: &[&str] = &["bad_request", "server_error", "http_error", "invalid_response"];

fn arm_config() -> ArmConfig {
    let mut cfg = ArmConfig::default();
    cfg.deadline = DEADLINE;
    cfg.attempt_timeout = Duration::from_secs(1);
    cfg.connect_timeout = Duration::from_secs(1);
    cfg.retry.max_retries = 2;
    cfg.retry.initial_delay = Duration::from_millis(100);
    cfg.retry.max_delay = Duration::from_millis(200);
    cfg.lro_poll_delay = Duration::from_millis(100);
    // The same cap as the identity sources, so the oversized case is past it here too.
    cfg.max_response_bytes = 64 * 1024;
    cfg
}

/// An ARM client on `arm` whose credential gets `TOKEN` from a well-behaved IMDS.
fn client(idp: &Hostile, arm: &Hostile) -> ArmClient {
    let cloud = Cloud::custom(&arm.url(), ARM).expect("loopback cloud");
    ArmClient::new(imds(&idp.url()), cloud).with_config(arm_config())
}

fn run(behaviour: Behaviour, codes: &[&str]) {
    let echoes = matches!(behaviour, Behaviour::Echo { .. } | Behaviour::EchoValues { .. });
    let idp = Hostile::start(Behaviour::Json { status: 200, body: good_token_body() });
    let arm = Hostile::start(behaviour);
    let client = client(&idp, &arm);
    let (err, took) = timed(|| client.list_subscriptions());
    check(err.code(), &err.to_string(), &format!("{err:?}"), took, codes);
    assert!(idp.connections() > 0, "no token was fetched, so the bearer was never at stake");
    if echoes {
        assert!(arm.received(TOKEN), "the bearer never reached the echo, so nothing was at stake");
    }
}

#[test]
fn silent_after_accept() {
    run(Behaviour::Silent, TIMED_OUT);
}

#[test]
fn trickling_a_byte_every_200_ms() {
    run(Behaviour::Trickle, TIMED_OUT);
}

#[test]
fn endless_body() {
    run(Behaviour::Endless, &["invalid_response", "deadline_exceeded"]);
}

#[test]
fn body_past_the_cap() {
    run(Behaviour::Oversized, &["invalid_response"]);
}

#[test]
fn redirect_to_another_port_does_not_carry_the_bearer() {
    let idp = Hostile::start(Behaviour::Json { status: 200, body: good_token_body() });
    let target = Hostile::start(Behaviour::Echo { status: 200, json: true });
    let arm = Hostile::start(Behaviour::Redirect(target.addr()));
    let client = client(&idp, &arm);
    let (err, took) = timed(|| client.list_subscriptions());
    let codes = &["foreign_host", "http_error", "invalid_response"];
    check(err.code(), &err.to_string(), &format!("{err:?}"), took, codes);
    assert_eq!(target.connections(), 0, "the redirect was followed: {err}");
}

#[test]
fn echoed_authorization_in_a_400_text_body() {
    run(Behaviour::Echo { status: 400, json: false }, REFUSED);
}

#[test]
fn echoed_authorization_in_a_400_json_error_message() {
    run(Behaviour::Echo { status: 400, json: true }, REFUSED);
}

#[test]
fn echoed_authorization_in_a_500_text_body() {
    run(Behaviour::Echo { status: 500, json: false }, REFUSED);
}

#[test]
fn echoed_authorization_in_a_500_json_error_message() {
    run(Behaviour::Echo { status: 500, json: true }, REFUSED);
}

#[test]
fn bare_token_first_in_a_400_json_error_message() {
    run(Behaviour::EchoValues { status: 400 }, REFUSED);
}

#[test]
fn bare_token_first_in_a_500_json_error_message() {
    run(Behaviour::EchoValues { status: 500 }, REFUSED);
}

/// Access tokens are JWTs today, and JWT-shaped text is masked by its shape; an opaque token
/// (the format is not promised) has only its value to be recognised by.
#[test]
fn bare_opaque_token_first_in_a_500_json_error_message() {
    const OPAQUE: &str = "opaque-bearer-5b2e8d17c4a9";
    let body = good_token_body().replace(TOKEN, OPAQUE);
    let idp = Hostile::start(Behaviour::Json { status: 200, body });
    let arm = Hostile::start(Behaviour::EchoValues { status: 500 });
    let client = client(&idp, &arm);
    let (err, took) = timed(|| client.list_subscriptions());
    assert!(arm.received(OPAQUE), "the bearer never reached the echo");
    check(err.code(), &err.to_string(), &format!("{err:?}"), took, REFUSED);
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(OPAQUE), "opaque token in an error: {text}");
    }
}

#[test]
fn html_page() {
    run(Behaviour::Html, &["invalid_response"]);
}

#[test]
fn invalid_utf8() {
    run(Behaviour::InvalidUtf8, &["invalid_response"]);
}
