//! Criterion benchmarks of the core's hot paths. Figures: `cargo bench -p azmi-core --bench core`.
//! Nothing here touches the network: the flows only build and parse in memory.

use std::hint::black_box;

use azmi_core::{
    AccessToken, Action, CacheKey, Config, EnvSnapshot, Identity, Lookup, Outgoing, Resource,
    SourceKind, TokenCache, TokenFlow, UnixMillis,
};
use criterion::{criterion_group, criterion_main, Criterion};

const NOW: UnixMillis = UnixMillis(1_700_000_000_000);
const BODY: &[u8] = br#"{"access_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyIsImV4cCI6MTcwMDAwMzYwMCwiYXBwaWQiOiJjMSIsIm9pZCI6Im8xIn0.c2ln","refresh_token":"","expires_in":"3599","expires_on":"1700003599","not_before":"1699999699","resource":"https://management.azure.com/","token_type":"Bearer"}"#;

fn env() -> EnvSnapshot {
    EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:40000")])
}

fn resource() -> Resource {
    Resource::new("https://management.azure.com/").unwrap()
}

fn cache_hit(c: &mut Criterion) {
    let key = CacheKey {
        source: SourceKind::Imds,
        identity: Identity::ClientId("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into()),
        resource: resource(),
    };
    let mut cache = TokenCache::new();
    let Lookup::Fetch(ticket) = cache.lookup(&key, NOW) else { unreachable!() };
    let token = AccessToken::new(
        "t",
        "Bearer",
        UnixMillis(NOW.0 + 3_600_000),
        UnixMillis(NOW.0 + 3_300_000),
    );
    cache.complete(ticket, Ok(token), NOW).unwrap();
    c.bench_function("cache_hit", |b| {
        b.iter(|| match cache.lookup(black_box(&key), black_box(NOW)) {
            Lookup::Fresh(t) => t,
            _ => unreachable!(),
        })
    });
}

fn imds_request_build(c: &mut Criterion) {
    let (cfg, env, resource) = (Config::default(), env(), resource());
    c.bench_function("imds_request_build", |b| b.iter(|| first_request(&cfg, &env, &resource).1));
}

fn token_response_parse(c: &mut Criterion) {
    let (cfg, env, resource) = (Config::default(), env(), resource());
    // The flow is rebuilt per iteration, so the figure is build + parse; see imds_request_build.
    c.bench_function("imds_build_and_parse", |b| {
        b.iter(|| {
            let (mut flow, out) = first_request(&cfg, &env, &resource);
            flow.handle_response(out.id, http::Response::new(BODY.to_vec()), NOW);
            match flow.poll(NOW) {
                Action::Done(Ok(token)) => token,
                other => panic!("{other:?}"),
            }
        })
    });
}

/// A new flow and its first request: what `imds_request_build` measures.
fn first_request(cfg: &Config, env: &EnvSnapshot, resource: &Resource) -> (TokenFlow, Outgoing) {
    let mut flow = TokenFlow::new(cfg, env, resource, NOW).unwrap();
    let Action::Send(out) = flow.poll(NOW) else { unreachable!() };
    (flow, out)
}

criterion_group!(benches, cache_hit, imds_request_build, token_response_parse);
criterion_main!(benches);
