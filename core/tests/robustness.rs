//! The core never panics on input and always ends: arbitrary statuses, headers, bodies, file
//! contents and transport failures, against every source.

use azmi_core::{
    Action, Config, FileFailure, Identity, Resource, SourceKind, TokenFlow, UnixMillis,
};
use proptest::prelude::*;

#[path = "support/flow_inputs.rs"]
mod flow_inputs;
use flow_inputs::{env_for, transport};

const START: u64 = 1_700_000_000_000;

#[derive(Debug, Clone)]
enum Answer {
    Http { status: u16, headers: Vec<(String, Vec<u8>)>, body: Vec<u8> },
    Transport(u8),
}

fn answer() -> impl Strategy<Value = Answer> {
    let header_name = prop_oneof![
        Just("retry-after".to_owned()),
        Just("retry-after-ms".to_owned()),
        Just("x-ms-retry-after-ms".to_owned()),
        Just("www-authenticate".to_owned()),
        "[a-z-]{1,12}",
    ];
    let body = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        "\\{\"access_token\":\"[a-z.]{0,20}\",\"expires_(on|in)\":(\"[0-9:/ APM+-]{0,25}\"|[0-9.e-]{1,14})(,\"client_id\":\"[a-z]{0,3}\")?\\}"
            .prop_map(String::into_bytes),
        Just(br#"{"access_token":"a.eyJleHAiOjF9.c","expires_in":60}"#.to_vec()),
    ];
    prop_oneof![
        4 => (100u16..600, proptest::collection::vec((header_name, proptest::collection::vec(any::<u8>(), 0..40)), 0..3), body)
            .prop_map(|(status, headers, body)| Answer::Http { status, headers, body }),
        1 => any::<u8>().prop_map(Answer::Transport),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn no_panic_and_always_ends(
        kind_index in 0usize..8,
        user_assigned: bool,
        answers in proptest::collection::vec(answer(), 1..12),
        file in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..5000)),
        step_ms in 0u64..20_000,
    ) {
        let kind = SourceKind::ALL[kind_index];
        let mut cfg = Config::default();
        cfg.source = Some(kind);
        if user_assigned && matches!(kind, SourceKind::Imds | SourceKind::AzureArc | SourceKind::AppService) {
            cfg.identity = Identity::ClientId("abc".into());
        }
        let resource = Resource::new("https://management.azure.com/").unwrap();
        let mut now = START;
        let mut flow = TokenFlow::new(&cfg, &env_for(kind, "h", "s"), &resource, UnixMillis(now)).unwrap();
        let mut answers = answers.into_iter().cycle();
        for _ in 0..500 {
            match flow.poll(UnixMillis(now)) {
                Action::Send(out) => {
                    now += step_ms;
                    match answers.next().unwrap() {
                        Answer::Http { status, headers, body } => {
                            let mut resp = http::Response::new(body);
                            *resp.status_mut() = http::StatusCode::from_u16(status).unwrap();
                            for (k, v) in headers {
                                if let (Ok(k), Ok(v)) = (http::HeaderName::from_bytes(k.as_bytes()), http::HeaderValue::from_bytes(&v)) {
                                    resp.headers_mut().append(k, v);
                                }
                            }
                            flow.handle_response(out.id, resp, UnixMillis(now));
                        }
                        Answer::Transport(n) => flow.handle_transport_error(out.id, transport(n), UnixMillis(now)),
                    }
                }
                Action::ReadFile { id, .. } => {
                    let contents = file.clone().ok_or(FileFailure::NotFound);
                    flow.handle_file(id, contents, UnixMillis(now));
                }
                Action::WaitUntil(t) => {
                    prop_assert!(t.0 >= now, "a wait into the past");
                    now = t.0;
                }
                Action::Done(_) => return Ok(()),
            }
        }
        prop_assert!(false, "flow did not end in 500 steps");
    }
}
