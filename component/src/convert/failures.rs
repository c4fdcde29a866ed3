//! Transport and file failures, configuration errors and token errors.

use super::{c, duration, ms, source_from_wit, source_to_wit, token_from_wit, token_to_wit, wt};

pub(crate) fn transport_to_wit(e: &c::TransportFailure) -> wt::TransportError {
    use c::TransportFailure as C;
    use wt::TransportError as W;
    match e {
        C::ConnectionRefused => W::ConnectionRefused,
        C::Unreachable => W::Unreachable,
        C::Timeout => W::Timeout,
        C::ConnectTimeout => W::ConnectTimeout,
        C::ConnectionReset => W::ConnectionReset,
        C::Tls => W::Tls,
        C::BodyTooLarge => W::BodyTooLarge,
        C::Other(text) => W::Other(text.clone()),
        other => W::Other(other.to_string()),
    }
}

pub(crate) fn transport_from_wit(e: wt::TransportError) -> c::TransportFailure {
    use c::TransportFailure as C;
    use wt::TransportError as W;
    match e {
        W::ConnectionRefused => C::ConnectionRefused,
        W::Unreachable => C::Unreachable,
        W::Timeout => C::Timeout,
        W::ConnectTimeout => C::ConnectTimeout,
        W::ConnectionReset => C::ConnectionReset,
        W::Tls => C::Tls,
        W::BodyTooLarge => C::BodyTooLarge,
        W::Other(text) => C::Other(text),
    }
}

pub(crate) fn file_to_wit(e: &c::FileFailure) -> wt::FileError {
    match e {
        c::FileFailure::NotFound => wt::FileError::NotFound,
        c::FileFailure::TooLarge => wt::FileError::TooLarge,
        c::FileFailure::PermissionDenied => wt::FileError::PermissionDenied,
        c::FileFailure::Other(text) => wt::FileError::Other(text.clone()),
        other => wt::FileError::Other(other.to_string()),
    }
}

pub(crate) fn file_from_wit(e: wt::FileError) -> c::FileFailure {
    match e {
        wt::FileError::NotFound => c::FileFailure::NotFound,
        wt::FileError::TooLarge => c::FileFailure::TooLarge,
        wt::FileError::PermissionDenied => c::FileFailure::PermissionDenied,
        wt::FileError::Other(text) => c::FileFailure::Other(text),
    }
}

pub(crate) fn config_error_to_wit(e: &c::ConfigError) -> wt::ConfigError {
    use c::ConfigError as C;
    use wt::ConfigError as W;
    match e.clone() {
        C::SeveralIdentities { given } => W::SeveralIdentities(given),
        C::EmptyIdentity { selector } => W::EmptyIdentity(selector),
        C::NoScope => W::NoScope,
        C::SeveralScopes { count } => W::SeveralScopes(count as u64),
        C::InvalidResource { resource } => W::InvalidResource(resource),
        C::MissingVariable { source_kind, variable } => W::MissingVariable(wt::MissingVariable {
            source_kind: source_to_wit(source_kind),
            variable,
        }),
        C::InvalidEndpoint { variable, value, problem } => {
            W::InvalidEndpoint(wt::InvalidEndpoint { variable, value, problem })
        }
        C::UnsupportedIdentity { source_kind, selector, hint } => {
            W::UnsupportedIdentity(wt::UnsupportedIdentity {
                source_kind: source_to_wit(source_kind),
                selector,
                hint,
            })
        }
        C::InvalidSecret { variable } => W::InvalidSecret(variable),
        C::InvalidThumbprint => W::InvalidThumbprint,
        C::InvalidSetting { name, problem } => {
            W::InvalidSetting(wt::InvalidSetting { name, problem })
        }
        C::UnknownOption { key, accepted } => W::UnknownOption(wt::UnknownOption { key, accepted }),
        C::InvalidOption { key, problem } => W::InvalidOption(wt::InvalidOption { key, problem }),
        other => W::Other(other.to_string()),
    }
}

pub(crate) fn config_error_from_wit(e: wt::ConfigError) -> c::ConfigError {
    use c::ConfigError as C;
    use wt::ConfigError as W;
    match e {
        W::SeveralIdentities(given) => C::SeveralIdentities { given },
        W::EmptyIdentity(selector) => C::EmptyIdentity { selector },
        W::NoScope => C::NoScope,
        W::SeveralScopes(count) => C::SeveralScopes { count: count as usize },
        W::InvalidResource(resource) => C::InvalidResource { resource },
        W::MissingVariable(m) => {
            C::MissingVariable { source_kind: source_from_wit(m.source_kind), variable: m.variable }
        }
        W::InvalidEndpoint(e) => {
            C::InvalidEndpoint { variable: e.variable, value: e.value, problem: e.problem }
        }
        W::UnsupportedIdentity(u) => C::UnsupportedIdentity {
            source_kind: source_from_wit(u.source_kind),
            selector: u.selector,
            hint: u.hint,
        },
        W::InvalidSecret(variable) => C::InvalidSecret { variable },
        W::InvalidThumbprint => C::InvalidThumbprint,
        W::InvalidSetting(s) => C::InvalidSetting { name: s.name, problem: s.problem },
        W::UnknownOption(o) => C::UnknownOption { key: o.key, accepted: o.accepted },
        W::InvalidOption(o) => C::InvalidOption { key: o.key, problem: o.problem },
        W::Other(message) => C::InvalidSetting { name: "component".into(), problem: message },
    }
}

fn status_detail(status: u16, detail: &str) -> wt::StatusDetail {
    wt::StatusDetail { status, detail: detail.to_owned() }
}

fn error_kind_to_wit(k: &c::ErrorKind) -> wt::ErrorKind {
    use c::ErrorKind as C;
    use wt::ErrorKind as W;
    match k {
        C::Config(e) => W::Config(config_error_to_wit(e)),
        C::Unavailable { reason } => W::Unavailable(reason.clone()),
        C::IdentityNotFound { status, detail } => {
            W::IdentityNotFound(status_detail(*status, detail))
        }
        C::BadRequest { status, detail } => W::BadRequest(status_detail(*status, detail)),
        C::Unauthorized { status, detail } => W::Unauthorized(status_detail(*status, detail)),
        C::WrongIdentity { requested, returned } => W::WrongIdentity(wt::WrongIdentity {
            requested: requested.clone(),
            returned: returned.clone(),
        }),
        C::Throttled { retry_after } => W::Throttled(retry_after.map(ms)),
        C::EndpointError { status, detail } => W::EndpointError(status_detail(*status, detail)),
        C::DeadlineExceeded { deadline } => W::DeadlineExceeded(ms(*deadline)),
        C::InvalidResponse { problem } => W::InvalidResponse(problem.clone()),
        C::KeyFile { problem } => W::KeyFile(problem.clone()),
        other => W::Other(other.to_string()),
    }
}

fn error_kind_from_wit(k: wt::ErrorKind) -> c::ErrorKind {
    use c::ErrorKind as C;
    use wt::ErrorKind as W;
    match k {
        W::Config(e) => C::Config(config_error_from_wit(e)),
        W::Unavailable(reason) => C::Unavailable { reason },
        W::IdentityNotFound(d) => C::IdentityNotFound { status: d.status, detail: d.detail },
        W::BadRequest(d) => C::BadRequest { status: d.status, detail: d.detail },
        W::Unauthorized(d) => C::Unauthorized { status: d.status, detail: d.detail },
        W::WrongIdentity(w) => C::WrongIdentity { requested: w.requested, returned: w.returned },
        W::Throttled(retry_after) => C::Throttled { retry_after: retry_after.map(duration) },
        W::EndpointError(d) => C::EndpointError { status: d.status, detail: d.detail },
        W::DeadlineExceeded(deadline) => C::DeadlineExceeded { deadline: duration(deadline) },
        W::InvalidResponse(problem) => C::InvalidResponse { problem },
        W::KeyFile(problem) => C::KeyFile { problem },
        W::Other(reason) => C::Unavailable { reason },
    }
}

fn attempt_result_to_wit(r: &c::AttemptResult) -> wt::AttemptResult {
    match r {
        c::AttemptResult::Status(s) => wt::AttemptResult::Status(*s),
        c::AttemptResult::Transport(t) => wt::AttemptResult::Transport(transport_to_wit(t)),
    }
}

fn attempt_result_from_wit(r: wt::AttemptResult) -> c::AttemptResult {
    match r {
        wt::AttemptResult::Status(s) => c::AttemptResult::Status(s),
        wt::AttemptResult::Transport(t) => c::AttemptResult::Transport(transport_from_wit(t)),
    }
}

pub(crate) fn wait_reason_to_wit(r: &c::WaitReason) -> wt::WaitReason {
    let cause = match &r.cause {
        c::WaitCause::Retry { retry, after } => wt::WaitCause::Retry(wt::RetryCause {
            retry: *retry,
            after: attempt_result_to_wit(after),
        }),
        c::WaitCause::Poll { status, state } => {
            wt::WaitCause::Poll(wt::PollCause { status: *status, state: state.clone() })
        }
        // A cause this interface version does not name: the nearest it does.
        _ => wt::WaitCause::Poll(wt::PollCause { status: 0, state: None }),
    };
    let set_by = match r.set_by {
        c::DelaySetBy::RetryAfter => wt::DelaySetBy::RetryAfter,
        c::DelaySetBy::Backoff => wt::DelaySetBy::Backoff,
        c::DelaySetBy::PollInterval => wt::DelaySetBy::PollInterval,
    };
    wt::WaitReason { cause, delay_ms: ms(r.delay), set_by }
}

pub(crate) fn wait_reason_from_wit(w: wt::WaitReason) -> c::WaitReason {
    let cause = match w.cause {
        wt::WaitCause::Retry(r) => {
            c::WaitCause::Retry { retry: r.retry, after: attempt_result_from_wit(r.after) }
        }
        wt::WaitCause::Poll(p) => c::WaitCause::Poll { status: p.status, state: p.state },
    };
    let set_by = match w.set_by {
        wt::DelaySetBy::RetryAfter => c::DelaySetBy::RetryAfter,
        wt::DelaySetBy::Backoff => c::DelaySetBy::Backoff,
        wt::DelaySetBy::PollInterval => c::DelaySetBy::PollInterval,
    };
    c::WaitReason { cause, delay: duration(w.delay_ms), set_by }
}

pub(crate) fn token_error_to_wit(e: &c::TokenError) -> wt::TokenError {
    let attempts = e
        .attempts
        .iter()
        .map(|a| wt::Attempt {
            started_ms: ms(a.started),
            result: attempt_result_to_wit(&a.result),
            waited_ms: ms(a.waited),
        })
        .collect();
    wt::TokenError {
        kind: error_kind_to_wit(&e.kind),
        source_kind: source_to_wit(e.source_kind),
        attempts,
        code: e.code().to_owned(),
        message: e.to_string(),
    }
}

pub(crate) fn token_error_from_wit(e: wt::TokenError) -> c::TokenError {
    let attempts = e
        .attempts
        .into_iter()
        .map(|a| c::Attempt {
            started: duration(a.started_ms),
            result: attempt_result_from_wit(a.result),
            waited: duration(a.waited_ms),
        })
        .collect();
    c::TokenError {
        kind: error_kind_from_wit(e.kind),
        source_kind: source_from_wit(e.source_kind),
        attempts,
    }
}

// WIT's `result<_, _>` crosses by value; the generated bindings take it as it is.
#[allow(clippy::result_large_err)]
pub(crate) fn token_result_to_wit(
    r: &Result<c::AccessToken, c::TokenError>,
) -> Result<wt::AccessToken, wt::TokenError> {
    r.as_ref().map(token_to_wit).map_err(token_error_to_wit)
}

pub(crate) fn token_result_from_wit(
    r: Result<wt::AccessToken, wt::TokenError>,
) -> Result<c::AccessToken, c::TokenError> {
    r.map(token_from_wit).map_err(token_error_from_wit)
}
