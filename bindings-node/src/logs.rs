//! The host's `tracing` events on @azure/logger.
//!
//! `index.js` hands [`set_log_sink`] a function that writes to `createClientLogger('azmi')`, so
//! `AZURE_LOG_LEVEL` and `setLogLevel()` decide what is shown, as for @azure/identity. A
//! subscriber of this crate ([`Bridge`]) takes the events of azmi's crates (the source decision,
//! each request, each retry and wait with the core's reason, each ARM poll; nothing else, and no
//! span) and posts each as one line to that function through a weak thread-safe function: the
//! fetch thread never waits for JavaScript (non-blocking call) and the sink never keeps the event
//! loop alive. A cached token emits no event, so the cached path never reaches this module. The
//! host never puts a token in an event.
//!
//! One sink at a time per process: the first JavaScript environment that loads `azmi` gets the
//! events of every thread (worker threads' included) until it ends; then the next environment
//! that loaded it, in the order they did.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{span, Event, Level, Metadata, Subscriber};

/// `(level, line)`: @azure/logger's level name and the event as text. Weak: it never holds the
/// event loop open.
type Sink = ThreadsafeFunction<
    FnArgs<(&'static str, String)>,
    (),
    FnArgs<(&'static str, String)>,
    Status,
    false,
    true,
>;

/// Every live environment's sink with its number, in the order they loaded `azmi`; the first
/// gets the events. An environment's cleanup removes its own.
static SINKS: Mutex<Vec<(u64, Sink)>> = Mutex::new(Vec::new());
static NEXT_SINK: AtomicU64 = AtomicU64::new(0);
/// Whether a sink is set: without one, every event is disabled before it is built.
static ON: AtomicBool = AtomicBool::new(false);

/// Routes azmi's log events to `sink(level, line)`, `level` being @azure/logger's
/// (`error`, `warning`, `info`, `verbose`). `index.js` calls it with its `azmi` client logger;
/// not exported to callers (nor typed). The first environment's sink is used until that
/// environment ends; the others wait their turn (a worker that loaded `azmi` before the main
/// thread must not take the main thread's logs with it when it ends).
#[napi(catch_unwind, skip_typescript)]
pub fn set_log_sink(env: Env, sink: Function<FnArgs<(&'static str, String)>, ()>) -> Result<()> {
    let tsfn = sink.build_threadsafe_function().callee_handled::<false>().weak::<true>().build()?;
    let id = NEXT_SINK.fetch_add(1, Ordering::Relaxed);
    sinks().push((id, tsfn));
    // Ended workers must not pile up behind a main thread that lives on.
    env.add_env_cleanup_hook(id, |id| sinks().retain(|(i, _)| *i != id))?;
    // Another subscriber set by the process first keeps its place; azmi then logs there only.
    let _ = tracing::subscriber::set_global_default(Bridge);
    ON.store(true, Ordering::Relaxed);
    Ok(())
}

/// azmi's crates' events at DEBUG and above: the only ones that reach the sink.
fn wanted(metadata: &Metadata<'_>) -> bool {
    metadata.is_event()
        && metadata.target().starts_with("azmi")
        && *metadata.level() <= Level::DEBUG
}

/// @azure/logger's name for a `tracing` level.
fn azure_level(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "error",
        Level::WARN => "warning",
        Level::INFO => "info",
        _ => "verbose",
    }
}

/// Posts `line` without waiting to the first live sink; those whose environment ended are
/// dropped.
fn post(level: &'static str, line: String) {
    let mut sinks = sinks();
    while let Some((_, sink)) = sinks.first() {
        let args = (level, line.clone()).into();
        if sink.call(args, ThreadsafeFunctionCallMode::NonBlocking) != Status::Closing {
            return;
        }
        sinks.remove(0);
    }
    ON.store(false, Ordering::Relaxed);
}

fn sinks() -> std::sync::MutexGuard<'static, Vec<(u64, Sink)>> {
    SINKS.lock().unwrap_or_else(|p| p.into_inner())
}

/// The subscriber: events only (spans are disabled; the host's events name their endpoint
/// themselves), formatted as `message key=value ...`.
struct Bridge;

impl Subscriber for Bridge {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if wanted(metadata) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        ON.load(Ordering::Relaxed) && wanted(metadata)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::DEBUG)
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        // Never called: `enabled` refuses every span.
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = Line::default();
        event.record(&mut line);
        post(azure_level(event.metadata().level()), line.finish());
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

/// An event as one line: its message, then its other fields as `key=value`.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Line {
    fn finish(self) -> String {
        match (self.message.is_empty(), self.fields.is_empty()) {
            (_, true) => self.message,
            (true, false) => self.fields,
            (false, false) => format!("{} ({})", self.message, self.fields),
        }
    }

    fn field(&mut self, name: &str, value: fmt::Arguments<'_>) {
        if !self.fields.is_empty() {
            self.fields.push(' ');
        }
        let _ = write!(self.fields, "{name}={value}");
    }
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_owned(),
            // An empty value says nothing (`incomplete=` when no source is half set).
            _ if value.is_empty() => {}
            // Quoted when it has spaces, so that the line still reads as key=value pairs.
            name if value.contains(' ') => self.field(name, format_args!("{value:?}")),
            name => self.field(name, format_args!("{value}")),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        match field.name() {
            "message" => self.message = text,
            name if text.contains(' ') && !text.starts_with('"') => {
                self.field(name, format_args!("{text:?}"))
            }
            name => self.field(name, format_args!("{text}")),
        }
    }
}
