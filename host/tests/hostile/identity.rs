//! IMDS and App Service through the native credential, against every hostile behaviour.

use crate::common::{check, good_token_body, timed, token_body, SECRET, TIMED_OUT, UNUSABLE};
use crate::server::{Behaviour, Hostile};
use azmi_host::ManagedIdentityCredential;

/// Every status a hostile answer may fairly map to, for cases where several are honest.
const ANY_REFUSAL: &[&str] =
    &["bad_request", "unauthorized", "identity_not_found", "endpoint_error", "invalid_response"];

/// Runs one case: a credential from `make` on a server behaving as `behaviour`.
fn run(make: fn(&str) -> ManagedIdentityCredential, behaviour: Behaviour, codes: &[&str]) {
    let server = Hostile::start(behaviour);
    let cred = make(&server.url());
    let (err, took) = timed(|| cred.get_token(&["https://management.azure.com/.default"]));
    check(err.code(), &err.to_string(), &format!("{err:?}"), took, codes);
}

/// A 302 to a second server that would hand out a token: the credential must not follow it
/// (the secret header and the request would go to a host the platform never named).
fn redirect(make: fn(&str) -> ManagedIdentityCredential) {
    let target = Hostile::start(Behaviour::Json { status: 200, body: good_token_body() });
    let server = Hostile::start(Behaviour::Redirect(target.addr()));
    let cred = make(&server.url());
    let (err, took) = timed(|| cred.get_token(&["https://management.azure.com/.default"]));
    let codes = &["endpoint_error", "invalid_response", "unavailable"];
    check(err.code(), &err.to_string(), &format!("{err:?}"), took, codes);
    assert_eq!(target.connections(), 0, "the redirect was followed: {err}");
}

/// An echo case, also checking the secret really was in the body (App Service sends it; IMDS
/// has none, so `SECRET` must not reach it at all).
fn echo(make: fn(&str) -> ManagedIdentityCredential, status: u16, json: bool, codes: &[&str]) {
    let server = Hostile::start(Behaviour::Echo { status, json });
    let cred = make(&server.url());
    let (err, took) = timed(|| cred.get_token(&["https://management.azure.com/.default"]));
    check(err.code(), &err.to_string(), &format!("{err:?}"), took, codes);
    let sends_secret = cred.snapshot().get("IDENTITY_HEADER").is_some();
    assert_eq!(server.received(SECRET), sends_secret, "secret header sent: {sends_secret}");
}

fn expiry(make: fn(&str) -> ManagedIdentityCredential, field: &str, value: &str) {
    let body = token_body(&[(field, value.to_owned())]);
    run(make, Behaviour::Json { status: 200, body }, &["invalid_response"]);
}

/// One test per hostile behaviour, for the source `$make` builds a credential for.
/// `$non_json`: the codes for a non-JSON answer (IMDS calls it `unavailable` on purpose: at the
/// IMDS address it means something other than IMDS answered).
macro_rules! cases {
    ($make:path, $non_json:expr) => {
        use super::*;

        #[test]
        fn silent_after_accept() {
            run($make, Behaviour::Silent, TIMED_OUT);
        }

        #[test]
        fn trickling_a_byte_every_200_ms() {
            run($make, Behaviour::Trickle, TIMED_OUT);
        }

        #[test]
        fn endless_body() {
            let codes = &["invalid_response", "endpoint_error", "deadline_exceeded"];
            run($make, Behaviour::Endless, codes);
        }

        #[test]
        fn body_past_the_64_kib_cap() {
            run($make, Behaviour::Oversized, UNUSABLE);
        }

        #[test]
        fn redirect_to_another_port_is_not_followed() {
            redirect($make);
        }

        #[test]
        fn echoed_headers_in_a_400_text_body() {
            echo($make, 400, false, $non_json);
        }

        #[test]
        fn echoed_headers_in_a_400_json_error_description() {
            echo($make, 400, true, ANY_REFUSAL);
        }

        #[test]
        fn echoed_headers_in_a_500_text_body() {
            echo($make, 500, false, &["endpoint_error"]);
        }

        #[test]
        fn echoed_headers_in_a_500_json_error_description() {
            echo($make, 500, true, &["endpoint_error"]);
        }

        #[test]
        fn html_page() {
            run($make, Behaviour::Html, $non_json);
        }

        #[test]
        fn invalid_utf8() {
            run($make, Behaviour::InvalidUtf8, $non_json);
        }

        #[test]
        fn expires_in_negative() {
            expiry($make, "expires_in", "-300");
        }

        #[test]
        fn expires_in_huge() {
            expiry($make, "expires_in", "99999999999999999999999");
        }

        #[test]
        fn expires_in_not_a_number() {
            expiry($make, "expires_in", "soon");
        }

        #[test]
        fn expires_on_in_the_past() {
            expiry($make, "expires_on", "1000000000");
        }

        #[test]
        fn expires_on_in_the_year_9999() {
            expiry($make, "expires_on", "253402300799");
        }
    };
}

mod imds {
    cases!(crate::common::imds, &["unavailable"]);

    #[test]
    fn header_values_first_in_a_400_json_error_description() {
        run(crate::common::imds, Behaviour::EchoValues { status: 400 }, ANY_REFUSAL);
    }

    #[test]
    fn header_values_first_in_a_500_json_error_description() {
        run(crate::common::imds, Behaviour::EchoValues { status: 500 }, &["endpoint_error"]);
    }
}

mod app_service {
    cases!(crate::common::app_service, &["invalid_response", "identity_not_found"]);

    #[test]
    fn header_values_first_in_a_400_json_error_description() {
        echo_values(400, ANY_REFUSAL);
    }

    #[test]
    fn header_values_first_in_a_500_json_error_description() {
        echo_values(500, &["endpoint_error"]);
    }

    /// The secret value leads the endpoint's error text; the server must really have received it.
    fn echo_values(status: u16, codes: &[&str]) {
        let server = Hostile::start(Behaviour::EchoValues { status });
        let cred = crate::common::app_service(&server.url());
        let (err, took) = timed(|| cred.get_token(&["https://management.azure.com/.default"]));
        assert!(server.received(SECRET), "the secret header was never sent");
        check(err.code(), &err.to_string(), &format!("{err:?}"), took, codes);
    }
}
