//! Sources, identities, tokens and retry policies.

use super::{c, duration, ms, wt};
use c::UnixMillis;

pub(crate) fn source_to_wit(k: c::SourceKind) -> wt::SourceKind {
    use c::SourceKind as C;
    use wt::SourceKind as W;
    match k {
        C::Imds => W::Imds,
        C::AppService => W::AppService,
        C::AppService2017 => W::AppService2017,
        C::AzureMl => W::AzureMl,
        C::CloudShell => W::CloudShell,
        C::AzureArc => W::AzureArc,
        C::ServiceFabric => W::ServiceFabric,
        C::LegacyVmExtension => W::LegacyVmExtension,
    }
}

pub(crate) fn source_from_wit(k: wt::SourceKind) -> c::SourceKind {
    use c::SourceKind as C;
    use wt::SourceKind as W;
    match k {
        W::Imds => C::Imds,
        W::AppService => C::AppService,
        W::AppService2017 => C::AppService2017,
        W::AzureMl => C::AzureMl,
        W::CloudShell => C::CloudShell,
        W::AzureArc => C::AzureArc,
        W::ServiceFabric => C::ServiceFabric,
        W::LegacyVmExtension => C::LegacyVmExtension,
    }
}

pub(crate) fn identity_to_wit(i: &c::Identity) -> wt::Identity {
    match i {
        c::Identity::SystemAssigned => wt::Identity::SystemAssigned,
        c::Identity::ClientId(id) => wt::Identity::ClientId(id.clone()),
        c::Identity::ObjectId(id) => wt::Identity::ObjectId(id.clone()),
        c::Identity::ResourceId(id) => wt::Identity::ResourceId(id.clone()),
    }
}

pub(crate) fn identity_from_wit(i: wt::Identity) -> c::Identity {
    match i {
        wt::Identity::SystemAssigned => c::Identity::SystemAssigned,
        wt::Identity::ClientId(id) => c::Identity::ClientId(id),
        wt::Identity::ObjectId(id) => c::Identity::ObjectId(id),
        wt::Identity::ResourceId(id) => c::Identity::ResourceId(id),
    }
}

pub(crate) fn token_to_wit(t: &c::AccessToken) -> wt::AccessToken {
    wt::AccessToken {
        secret: t.secret().to_owned(),
        token_type: t.token_type.clone(),
        expires_on: t.expires_on.0,
        refresh_on: t.refresh_on.0,
        not_before: t.not_before.map(|n| n.0),
        resource: t.resource.clone(),
        raw_response: t.raw_response().map(str::to_owned),
    }
}

pub(crate) fn token_from_wit(t: wt::AccessToken) -> c::AccessToken {
    let expires = UnixMillis(t.expires_on);
    let mut token =
        c::AccessToken::new(&t.secret, &t.token_type, expires, UnixMillis(t.refresh_on));
    token.not_before = t.not_before.map(UnixMillis);
    token.resource = t.resource;
    match t.raw_response {
        Some(body) => token.with_raw_response(&body),
        None => token,
    }
}

pub(crate) fn retry_to_wit(r: &c::RetryPolicy) -> wt::RetryPolicy {
    wt::RetryPolicy {
        max_retries: r.max_retries,
        initial_delay_ms: ms(r.initial_delay),
        max_delay_ms: ms(r.max_delay),
        jitter: r.jitter,
        seed: r.seed,
    }
}

pub(crate) fn retry_from_wit(r: wt::RetryPolicy, into: &mut c::RetryPolicy) {
    into.max_retries = r.max_retries;
    into.initial_delay = duration(r.initial_delay_ms);
    into.max_delay = duration(r.max_delay_ms);
    into.jitter = r.jitter;
    into.seed = r.seed;
}
