//! The hostile cases of `tests/hostile/cases.json`, run through the one credential and ARM client
//! on any engine: the native suite (`host/tests/hostile`) and the component suite
//! (`host/tests/component`) both include this file and call [`hostile_tests!`] with their engine.
//! Python and Node read the same table, so no surface can drift from the others.
//!
//! Each case starts its own servers (`azmi_emulator::hostile::HostileSet`, 12 s lifetime), so
//! tests run in parallel without sharing counts.

use std::time::{Duration, Instant};

use azmi_core::{ArmConfig, Cloud, EnvSnapshot, Naming, Options};
use azmi_emulator::hostile::{HostileSet, DEFAULT_LIFETIME, OPAQUE_TOKEN, TOKEN};
use azmi_host::{ArmClient, Engine, EnvSource, ManagedIdentityCredential};
use serde_json::Value;

const TABLE: &str = include_str!("../../../tests/hostile/cases.json");

/// The table, parsed once per test (cheap: 50 small objects).
pub(crate) fn table() -> Value {
    serde_json::from_str(TABLE).expect("tests/hostile/cases.json is JSON")
}

/// The case `name` of `source`; panics if the table has none (a test without its row).
pub(crate) fn case(source: &str, name: &str) -> Value {
    let table = table();
    let cases = table["cases"].as_array().expect("cases");
    let found = cases.iter().find(|c| c["source"] == source && c["case"] == name);
    found.cloned().unwrap_or_else(|| panic!("no case {source}/{name} in cases.json"))
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_else(|| panic!("{key} must be a string in {value}"))
}

/// The secret header value App Service is given; it must never appear in an error.
fn secret() -> String {
    text(&table(), "secret").to_owned()
}

/// How long a call of `source` may take: its deadline plus slack for a loaded machine.
fn limit(source: &str) -> Duration {
    let key = if source == "arm" { "arm_limit_ms" } else { "limit_ms" };
    Duration::from_millis(table()[key].as_u64().expect(key))
}

/// The table's limits, read by the core's one options record as every surface reads them.
fn options() -> Options {
    Options::from_json(table()["limits"].clone(), Naming::Snake).expect("the table's limits")
}

/// The credential for `source` at `url` on `engine`.
fn credential(source: &str, url: &str, engine: Engine) -> ManagedIdentityCredential {
    let endpoint = format!("{url}/msi/token");
    let secret = secret();
    let vars: Vec<(&str, &str)> = match source {
        "imds" | "arm" => vec![("AZURE_POD_IDENTITY_AUTHORITY_HOST", url)],
        "app_service" => vec![("IDENTITY_ENDPOINT", &endpoint), ("IDENTITY_HEADER", &secret)],
        other => panic!("unknown source {other:?}"),
    };
    let env = EnvSource::Fixed(EnvSnapshot::from_vars(vars));
    let cfg = options().config().expect("the table's limits are valid");
    let builder = ManagedIdentityCredential::builder(cfg).env(env).engine(engine);
    builder.build().expect("the source is detected")
}

/// Runs one case on `engine` and makes every check of the table.
pub(crate) fn run(source: &str, name: &str, engine: Engine) {
    let case = case(source, name);
    let server = text(&case, "server");
    let idp = case["idp"].as_str().unwrap_or("token");
    let mut names = vec![server, idp];
    names.extend(case["unvisited"].as_str());
    let set = HostileSet::start_only(&names, DEFAULT_LIFETIME).expect("loopback servers start");
    let started = Instant::now();
    let (code, display, debug) = if source == "arm" {
        let cred = credential("imds", &set.url(idp), engine);
        let resource = text(&table(), "resource").to_owned();
        let cloud = Cloud::custom(&set.url(server), &resource).expect("loopback cloud");
        // What every surface can set: the default limits and a deadline.
        let mut cfg = ArmConfig::default();
        cfg.deadline = Duration::from_millis(table()["arm_deadline_ms"].as_u64().unwrap());
        let client = ArmClient::new(cred, cloud).with_config(cfg);
        let err = client.list_subscriptions().expect_err("a hostile ARM gave a result");
        assert!(set.server(idp).connections() > 0, "no token fetched: no bearer at stake");
        (err.code(), err.to_string(), format!("{err:?}"))
    } else {
        let cred = credential(source, &set.url(server), engine);
        let scope = text(&table(), "scope").to_owned();
        let err = cred.get_token(&[scope.as_str()]).expect_err("a hostile endpoint gave a token");
        (err.code(), err.to_string(), format!("{err:?}"))
    };
    let took = started.elapsed();
    let codes: Vec<&str> =
        case["codes"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(codes.contains(&code), "code {code:?} not one of {codes:?}: {display}");
    let limit = limit(source);
    assert!(took < limit, "took {took:?}, limit {limit:?}: {display}");
    for (form, shown) in [("Display", &display), ("Debug", &debug)] {
        for secret in forbidden() {
            assert!(!shown.contains(&secret), "{secret:?} in the {form} form: {shown}");
        }
    }
    if let Some(unvisited) = case["unvisited"].as_str() {
        let connections = set.server(unvisited).connections();
        assert_eq!(connections, 0, "{unvisited} was reached: {display}");
    }
    if let Some(received) = case["received"].as_object() {
        for (what, expected) in received {
            let sent = set.server(server).received(&stake(what));
            assert_eq!(Some(sent), expected.as_bool(), "{what} sent to {server}: {sent}");
        }
    }
}

/// Every text no error may show: the secret header value, both tokens and the fragments.
fn forbidden() -> Vec<String> {
    let table = table();
    let fragments = table["forbidden_fragments"].as_array().unwrap().iter();
    let mut all: Vec<String> = fragments.filter_map(Value::as_str).map(str::to_owned).collect();
    all.extend([secret(), TOKEN.to_owned(), OPAQUE_TOKEN.to_owned()]);
    all
}

/// The text a `received` key of the table stands for.
fn stake(what: &str) -> String {
    match what {
        "secret" => secret(),
        "token" => TOKEN.to_owned(),
        "opaque_token" => OPAQUE_TOKEN.to_owned(),
        other => panic!("unknown received key {other:?}"),
    }
}

/// Every (source, case) of the table, to check that each has its test.
pub(crate) fn all() -> Vec<(String, String)> {
    let table = table();
    let cases = table["cases"].as_array().expect("cases").iter();
    cases.map(|c| (text(c, "source").to_owned(), text(c, "case").to_owned())).collect()
}

/// One `#[test]` per case of the table, in modules `imds`, `app_service` and `arm`, each running
/// on the engine `$engine()` makes; plus a test that the list below and the table agree.
/// `$cases` names this module in the calling crate (at its root).
#[macro_export]
macro_rules! hostile_tests {
    (@source $cases:ident, $engine:expr, $source:ident, [$($name:ident),* $(,)?]) => {
        mod $source {
            pub(super) const NAMES: &[&str] = &[$(stringify!($name)),*];
            $(
                #[test]
                fn $name() {
                    $crate::$cases::run(stringify!($source), stringify!($name), ($engine)());
                }
            )*
        }
    };
    (@sources $cases:ident, $engine:expr, [$($source:ident),*], $names:tt) => {
        $($crate::hostile_tests!(@source $cases, $engine, $source, $names);)*
    };
    ($cases:ident, $engine:expr) => {
        // IMDS and App Service run the same identity cases.
        $crate::hostile_tests!(@sources $cases, $engine, [imds, app_service], [
            silent_after_accept, trickling_a_byte_every_200_ms, endless_body,
            body_past_the_64_kib_cap, redirect_to_another_port_is_not_followed,
            echoed_headers_in_a_400_text_body, echoed_headers_in_a_400_json_error_description,
            echoed_headers_in_a_500_text_body, echoed_headers_in_a_500_json_error_description,
            header_values_first_in_a_400_json_error_description,
            header_values_first_in_a_500_json_error_description, html_page, invalid_utf8,
            expires_in_negative, expires_in_huge, expires_in_not_a_number,
            expires_on_in_the_past, expires_on_in_the_year_9999,
        ]);
        $crate::hostile_tests!(@source $cases, $engine, arm, [
            silent_after_accept, trickling_a_byte_every_200_ms, endless_body, body_past_the_cap,
            redirect_to_another_port_does_not_carry_the_bearer,
            echoed_authorization_in_a_400_text_body, echoed_authorization_in_a_400_json_error_message,
            echoed_authorization_in_a_500_text_body, echoed_authorization_in_a_500_json_error_message,
            bare_token_first_in_a_400_json_error_message,
            bare_token_first_in_a_500_json_error_message,
            bare_opaque_token_first_in_a_500_json_error_message, html_page, invalid_utf8,
        ]);

        #[test]
        fn every_case_of_the_table_has_a_test() {
            let mut tested: Vec<(String, String)> = Vec::new();
            for (source, names) in [
                ("imds", imds::NAMES),
                ("app_service", app_service::NAMES),
                ("arm", arm::NAMES),
            ] {
                tested.extend(names.iter().map(|n| (source.to_owned(), (*n).to_owned())));
            }
            let mut table = $crate::$cases::all();
            tested.sort();
            table.sort();
            assert_eq!(tested, table);
        }
    };
}
