//! A 200 token response whose `access_token`, `expires_on`, `expires_in` and `refresh_in` come
//! from the input (numbers, numeric strings, every date form, garbage, raw JSON text), fed to an
//! IMDS flow. A 200 always ends the flow. On success: `refresh_on` ≤ `expires_on`, the token
//! expires after now and is not due for refresh before now. When every field present has a plain
//! integer form, the expiry and refresh instants are also checked against an independent
//! reading of the rules (earliest of the fields, unless their gap shows a host clock running
//! ahead, then `expires_in`; `refresh_in`, else half of a lifetime of 2 h or
//! more, else 5 min before expiry but not before half the lifetime).
#![no_main]

use arbitrary::Arbitrary;
use azmi_core::{Action, Config, EnvSnapshot, Resource, TokenFlow, UnixMillis};
use azmi_core_fuzz::json_str;
use base64::Engine;
use libfuzzer_sys::fuzz_target;

const START: u64 = 1_700_000_000_000;

#[derive(Arbitrary, Debug)]
struct Input {
    now: Now,
    access_token: Tok,
    expires_on: Option<Val>,
    expires_in: Option<Val>,
    refresh_in: Option<Val>,
    /// A second `expires_on` after the others (JSON duplicate keys).
    dup: Option<Val>,
}

#[derive(Arbitrary, Debug)]
enum Now {
    Fixed,
    Zero,
    Near(u32),
    Any(u64),
    End(u16),
}

#[derive(Arbitrary, Debug)]
enum Tok {
    Abc,
    Text(String),
    Jwt(Val),
}

#[derive(Arbitrary, Debug)]
enum Val {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// Seconds relative to now (instants) or as a count (durations), as a JSON number.
    Rel(i32),
    /// Same, as a numeric string, with optional surrounding spaces.
    RelStr(i32, bool),
    /// Same with a fractional part.
    RelFrac(i32, u16),
    /// A number token spelled from these characters (`0-9 . e E + -`).
    NumberText(Vec<u8>),
    /// A string of these characters (`0-9 .` and a few others).
    DigitString(Vec<u8>),
    Str(String),
    /// `M/D/YYYY h:mm:ss AM +hh:mm` (App Service 2017 on Windows).
    WinDate(Date, bool),
    /// `MM/DD/YYYY HH:MM:SS +hh:mm` (App Service 2017 on Linux).
    LinuxDate(Date),
    /// ISO-8601 / RFC 3339.
    Iso(Date, bool, bool),
    Array(Vec<i32>),
    Object(String),
}

#[derive(Arbitrary, Debug)]
struct Date {
    /// Seconds from now; the fields below then perturb the calendar form.
    rel_s: i32,
    month: Option<u8>,
    day: Option<u8>,
    year: Option<u16>,
    hour: Option<u8>,
    offset_min: i16,
}

/// Civil date and time of unix seconds `t` (UTC).
fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(86_400);
    let rem = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, (rem / 3600) as u32, (rem % 3600 / 60) as u32, (rem % 60) as u32)
}

impl Date {
    /// Calendar fields: from `now + rel_s` shifted by the offset, then perturbed.
    fn fields(&self, now_s: i64) -> (i64, u32, u32, u32, u32, u32, String) {
        let t = now_s + i64::from(self.rel_s) + i64::from(self.offset_min) * 60;
        let (mut y, mut mo, mut d, mut h, mi, s) = civil(t);
        if let Some(v) = self.month {
            mo = u32::from(v % 16);
        }
        if let Some(v) = self.day {
            d = u32::from(v % 40);
        }
        if let Some(v) = self.year {
            y = i64::from(v);
        }
        if let Some(v) = self.hour {
            h = u32::from(v % 30);
        }
        let off = i32::from(self.offset_min);
        let sign = if off < 0 { '-' } else { '+' };
        let offset = format!("{sign}{:02}:{:02}", off.unsigned_abs() / 60, off.unsigned_abs() % 60);
        (y, mo, d, h, mi, s, offset)
    }
}

fn filtered(bytes: &[u8], allowed: &[u8]) -> String {
    bytes.iter().map(|b| allowed[usize::from(*b) % allowed.len()] as char).take(40).collect()
}

fn val(v: &Val, now_s: i64, instant: bool) -> String {
    let base = if instant { now_s } else { 0 };
    match v {
        Val::Null => "null".to_owned(),
        Val::Bool(b) => b.to_string(),
        Val::Int(i) => i.to_string(),
        Val::UInt(u) => u.to_string(),
        Val::Float(f) if f.is_finite() => format!("{f:?}"),
        Val::Float(_) => "1e400".to_owned(),
        Val::Rel(d) => (base + i64::from(*d)).to_string(),
        Val::RelStr(d, spaced) => {
            let n = base + i64::from(*d);
            if *spaced {
                format!("\" {n} \"")
            } else {
                format!("\"{n}\"")
            }
        }
        Val::RelFrac(d, frac) => format!("{}.{frac}", base + i64::from(*d)),
        Val::NumberText(b) => {
            let t = filtered(b, b"0123456789.eE+-");
            if t.is_empty() {
                "0".to_owned()
            } else {
                t
            }
        }
        Val::DigitString(b) => json_str(&filtered(b, b"0123456789. -:/+eT")),
        Val::Str(s) => json_str(s),
        Val::WinDate(date, pm_flip) => {
            let (y, mo, d, h, mi, s, off) = date.fields(now_s);
            let (h12, pm) = match h % 24 {
                0 => (12, false),
                h @ 1..=11 => (h, false),
                12 => (12, true),
                h => (h - 12, true),
            };
            let ampm = if pm != *pm_flip { "PM" } else { "AM" };
            let h12 = if h >= 24 { h } else { h12 };
            json_str(&format!("{mo}/{d}/{y} {h12}:{mi:02}:{s:02} {ampm} {off}"))
        }
        Val::LinuxDate(date) => {
            let (y, mo, d, h, mi, s, off) = date.fields(now_s);
            json_str(&format!("{mo:02}/{d:02}/{y} {h:02}:{mi:02}:{s:02} {off}"))
        }
        Val::Iso(date, t_sep, zulu) => {
            let (y, mo, d, h, mi, s, off) = date.fields(now_s);
            let sep = if *t_sep { 'T' } else { ' ' };
            let zone = if *zulu { "Z".to_owned() } else { off };
            json_str(&format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}{zone}"))
        }
        Val::Array(items) => {
            let items: Vec<String> = items.iter().take(4).map(i32::to_string).collect();
            format!("[{}]", items.join(","))
        }
        Val::Object(s) => format!("{{\"v\":{}}}", json_str(s)),
    }
}

/// Whole seconds, when `v` is a plain non-negative integer (number or digit string) below 1e13.
fn plain_secs(v: &Val, now_s: i64, instant: bool) -> Option<u64> {
    let base = if instant { now_s } else { 0 };
    let n = match v {
        Val::Int(i) => *i,
        Val::UInt(u) => i64::try_from(*u).ok()?,
        Val::Rel(d) | Val::RelStr(d, _) => base + i64::from(*d),
        _ => return None,
    };
    u64::try_from(n).ok().filter(|n| *n < 10_000_000_000_000)
}

fn run(input: &Input) {
    let now = match input.now {
        Now::Fixed => START,
        Now::Zero => 0,
        Now::Near(d) => START + u64::from(d),
        Now::Any(t) => t,
        Now::End(back) => u64::MAX - u64::from(back),
    };
    // At u64::MAX the deadline (saturating) has already passed: nothing is sent.
    let now = now.min(u64::MAX - 1);
    let now_s = i64::try_from(now / 1000).unwrap_or(i64::MAX / 4);
    let env = EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")]);
    let resource = Resource::new("https://management.azure.com/").unwrap();
    let mut flow = TokenFlow::new(&Config::default(), &env, &resource, UnixMillis(now))
        .expect("a valid IMDS configuration");
    let Action::Send(out) = flow.poll(UnixMillis(now)) else { panic!("IMDS did not send") };
    assert_eq!(out.request.uri().host(), Some("127.0.0.1"));

    let (access, jwt) = match &input.access_token {
        Tok::Abc => (json_str("a.b.c"), false),
        Tok::Text(s) => (json_str(s), s.split('.').count() == 3),
        Tok::Jwt(exp) => {
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let payload = b64.encode(format!("{{\"exp\":{}}}", val(exp, now_s, true)));
            (json_str(&format!("eyJhbGciOiJSUzI1NiJ9.{payload}.sig")), true)
        }
    };
    let mut fields = vec![format!("\"access_token\":{access}")];
    let named = [
        ("expires_on", &input.expires_on, true),
        ("expires_in", &input.expires_in, false),
        ("refresh_in", &input.refresh_in, false),
    ];
    for (name, v, instant) in named {
        if let Some(v) = v {
            fields.push(format!("\"{name}\":{}", val(v, now_s, instant)));
        }
    }
    if let Some(v) = &input.dup {
        fields.push(format!("\"expires_on\":{}", val(v, now_s, true)));
    }
    let body = format!("{{{}}}", fields.join(","));
    flow.handle_response(out.id, http::Response::new(body.clone().into_bytes()), UnixMillis(now));
    let Action::Done(result) = flow.poll(UnixMillis(now)) else {
        panic!("a 200 did not end the flow: {body}");
    };

    if let Ok(token) = &result {
        assert!(token.refresh_on <= token.expires_on, "refresh_on after expires_on: {body}");
        assert!(token.expires_on.0 > now, "expired token accepted: {body}");
        assert!(token.refresh_on.0 >= now, "refresh_on before now: {body}");
        assert!(!token.secret().is_empty());
        assert_eq!(token.raw_response(), Some(body.as_str()));
    }

    if matches!(&input.access_token, Tok::Text(t) if t.is_empty()) {
        assert!(result.is_err(), "a token with an empty access_token: {body}");
        return;
    }
    // The oracle, for plain integer forms only (and no JWT exp to take into account), in a body
    // that is JSON (number texts may not be).
    let is_json = serde_json::from_str::<serde_json::Value>(&body).is_ok();
    if !is_json {
        assert!(result.is_err(), "a token from a body that is not JSON: {body}");
    }
    if jwt || input.dup.is_some() || !is_json {
        return;
    }
    let on = input.expires_on.as_ref().map(|v| plain_secs(v, now_s, true));
    let within = input.expires_in.as_ref().map(|v| plain_secs(v, now_s, false));
    if matches!(on, Some(None)) || matches!(within, Some(None)) {
        return;
    }
    let on = on.flatten().map(|s| s * 1000);
    let within = within.flatten().map(|s| now.saturating_add(s * 1000));
    let expected = match (on, within) {
        (None, None) => None,
        (Some(a), None) | (None, Some(a)) => Some(a),
        // Issue 13 item 8: when the absolute instant lies before now + expires_in by more than
        // 5 min, or by more than half of what expires_in leaves, this host's clock is taken to
        // run ahead and expires_in decides; otherwise the earliest wins.
        (Some(a), Some(b)) => {
            let gap = b.saturating_sub(a);
            if gap.saturating_mul(2) > (5 * 60 * 1000 * 2).min(b - now) {
                Some(b)
            } else {
                Some(a.min(b))
            }
        }
    };
    match (expected, &result) {
        (Some(exp), Ok(token)) => {
            assert!(exp > now, "accepted an expiry at or before now: {body}");
            let week = 7 * 24 * 60 * 60 * 1000;
            assert!(exp <= now.saturating_add(week), "accepted an expiry past a week: {body}");
            assert_eq!(token.expires_on.0, exp, "expires_on misread: {body}");
            let refresh = input.refresh_in.as_ref().map(|v| plain_secs(v, now_s, false));
            let want = match refresh {
                Some(Some(r)) => now.saturating_add(r * 1000).min(exp),
                Some(None) => return, // a non-plain refresh_in: no oracle
                None => {
                    let life = exp - now;
                    let half = now + life / 2;
                    if life >= 2 * 60 * 60 * 1000 {
                        half
                    } else {
                        exp.saturating_sub(5 * 60 * 1000).max(half)
                    }
                }
            };
            assert_eq!(token.refresh_on.0, want, "refresh_on misread: {body}");
        }
        (Some(exp), Err(e)) => {
            // Refused: already expired, or further than the 7 days no managed identity token
            // lives (issue 13, the hostile suite's year-9999 expiry).
            let too_far = exp > now.saturating_add(7 * 24 * 60 * 60 * 1000);
            assert!(exp <= now || too_far, "rejected a valid expiry ({exp} > {now}): {e:?}: {body}")
        }
        (None, Ok(_)) => panic!("a token without any expiry: {body}"),
        (None, Err(_)) => {}
    }
}

fuzz_target!(|input: Input| run(&input));
