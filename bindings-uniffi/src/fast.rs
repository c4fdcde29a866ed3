//! The cached-token fast path: one plain C call that copies a fresh cached token into the
//! caller's buffer. uniffi's generated code costs several microseconds per call in Ruby and on
//! the JVM (argument buffers, handle cloning, finalizers); a cached token is asked for on every
//! request, so the Ruby and Kotlin layers try this first and fall back to
//! [`ScopedCredential::get_token`] when it answers "not cached". The cache decision is the
//! host's (`ManagedIdentityCredential::cached`, the same call the slow path makes): this module
//! only moves bytes.
//!
//! Buffer layout written by [`azmi_fast_cached`] (little-endian):
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | expires on, unix ms |
//! | 8 | 8 | refresh on, unix ms |
//! | 16 | 4 | token length T |
//! | 20 | 4 | token type length Y |
//! | 24 | 4 | resource length R, or `u32::MAX` for none |
//! | 28 | T + Y + R | the token, the token type, the resource (UTF-8) |

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::credential::ScopedCredential;

/// Size of the fixed part of the buffer, before the strings.
pub const HEADER: usize = 28;
/// [`azmi_fast_cached`]'s answer when no fresh token is cached: call `get_token`.
pub const NOT_CACHED: i64 = -1;
/// [`azmi_fast_cached`]'s answer when the handle is null or the call failed inside.
pub const FAILED: i64 = -2;

#[uniffi::export]
impl ScopedCredential {
    /// A handle for [`azmi_fast_cached`]: it keeps this credential (and its cache) alive until
    /// passed to [`azmi_fast_release`], once.
    pub fn fast_handle(self: Arc<Self>) -> u64 {
        Arc::into_raw(self) as usize as u64
    }
}

/// Copies the fresh cached token of `handle`'s scope into `out` (layout above) and returns the
/// number of bytes the whole answer takes; when that is more than `cap`, nothing past the
/// header's lengths is written and the caller retries with a larger buffer. Returns
/// [`NOT_CACHED`] when there is no fresh token (the caller then fetches through uniffi) and
/// [`FAILED`] on a null handle or buffer. Never does I/O nor waits; a token due for refresh
/// is still served while the host refreshes it in the background.
///
/// # Safety
/// `handle` comes from [`ScopedCredential::fast_handle`] and was not released; `out` points to
/// `cap` writable bytes, `cap >= HEADER`.
#[no_mangle]
pub unsafe extern "C" fn azmi_fast_cached(handle: u64, out: *mut u8, cap: usize) -> i64 {
    if handle == 0 || out.is_null() || cap < HEADER {
        return FAILED;
    }
    // SAFETY: per the contract, `handle` is a live `Arc<ScopedCredential>` pointer.
    let scoped = unsafe { &*(handle as usize as *const ScopedCredential) };
    // A panic must not cross the C boundary.
    let token = match catch_unwind(AssertUnwindSafe(|| scoped.cached())) {
        Ok(Some(token)) => token,
        Ok(None) => return NOT_CACHED,
        Err(_) => return FAILED,
    };
    let strings =
        [Some(token.secret()), Some(token.token_type.as_str()), token.resource.as_deref()];
    let needed = HEADER + strings.iter().flatten().map(|s| s.len()).sum::<usize>();
    // SAFETY: per the contract, `out` holds `cap` bytes and `cap >= HEADER`.
    let out = unsafe { std::slice::from_raw_parts_mut(out, cap) };
    out[0..8].copy_from_slice(&token.expires_on.0.to_le_bytes());
    out[8..16].copy_from_slice(&token.refresh_on.0.to_le_bytes());
    let mut at = HEADER;
    for (i, s) in strings.iter().enumerate() {
        let len = s.map_or(u32::MAX, |s| s.len() as u32);
        out[16 + 4 * i..20 + 4 * i].copy_from_slice(&len.to_le_bytes());
        if let Some(s) = s.filter(|_| needed <= cap) {
            out[at..at + s.len()].copy_from_slice(s.as_bytes());
            at += s.len();
        }
    }
    needed as i64
}

/// Lets go of a handle from [`ScopedCredential::fast_handle`].
///
/// # Safety
/// `handle` comes from `fast_handle` and is released once; no [`azmi_fast_cached`] call on it
/// runs or follows.
#[no_mangle]
pub unsafe extern "C" fn azmi_fast_release(handle: u64) {
    if handle != 0 {
        // SAFETY: per the contract, this is the pointer `fast_handle` leaked, released once.
        drop(unsafe { Arc::from_raw(handle as usize as *const ScopedCredential) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::ManagedIdentityCredential;
    use azmi_emulator::Emulator;

    const SCOPE: &str = "https://management.azure.com/.default";

    /// A handle for SCOPE on a credential pointed at `emu`'s IMDS, with nothing cached yet.
    fn handle(emu: &Emulator) -> u64 {
        let env = emu.env_for("imds").into_iter().collect();
        let credential = ManagedIdentityCredential::new(String::new(), Some(env)).unwrap();
        credential.for_scope(SCOPE.to_owned()).unwrap().fast_handle()
    }

    /// The header's times and the three strings of an answer.
    fn read(buf: &[u8]) -> (u64, u64, Vec<Option<String>>) {
        let u64_at = |i: usize| u64::from_le_bytes(buf[i..i + 8].try_into().unwrap());
        let mut at = HEADER;
        let strings = (0..3)
            .map(|i| {
                let len = u32::from_le_bytes(buf[16 + 4 * i..20 + 4 * i].try_into().unwrap());
                (len != u32::MAX).then(|| {
                    let s = String::from_utf8(buf[at..at + len as usize].to_vec()).unwrap();
                    at += len as usize;
                    s
                })
            })
            .collect();
        (u64_at(0), u64_at(8), strings)
    }

    #[test]
    fn serves_what_get_token_cached_and_asks_for_room_when_short() {
        let emu = Emulator::start(Default::default()).expect("emulator on loopback");
        let handle = handle(&emu);
        let mut buf = vec![0u8; 64];
        let answer =
            |buf: &mut Vec<u8>| unsafe { azmi_fast_cached(handle, buf.as_mut_ptr(), buf.len()) };
        assert_eq!(answer(&mut buf), NOT_CACHED, "nothing is cached before the first fetch");
        // SAFETY: the handle is live until released below.
        let scoped = unsafe { &*(handle as usize as *const ScopedCredential) };
        let fetched = scoped.get_token().unwrap();
        let needed = answer(&mut buf);
        assert!(needed as usize > buf.len(), "a real token does not fit in 64 bytes: {needed}");
        buf.resize(needed as usize, 0);
        assert_eq!(answer(&mut buf), needed);
        let (expires, refresh, strings) = read(&buf);
        assert_eq!((expires, refresh), (fetched.expires_on_ms(), fetched.refresh_on_ms()));
        let want = [Some(fetched.secret()), Some(fetched.token_type()), fetched.resource()];
        assert_eq!(strings, want);
        let imds = emu.requests().iter().filter(|r| r.endpoint == "imds").count();
        assert_eq!(imds, 1, "the fast path made no request");
        unsafe { azmi_fast_release(handle) };
    }

    #[test]
    fn refuses_a_null_handle_or_buffer_and_a_short_header() {
        let emu = Emulator::start(Default::default()).expect("emulator on loopback");
        let handle = handle(&emu);
        let mut buf = [0u8; 64];
        let ptr = buf.as_mut_ptr();
        assert_eq!(unsafe { azmi_fast_cached(0, ptr, buf.len()) }, FAILED);
        assert_eq!(unsafe { azmi_fast_cached(handle, ptr, HEADER - 1) }, FAILED);
        assert_eq!(unsafe { azmi_fast_cached(handle, std::ptr::null_mut(), 64) }, FAILED);
        unsafe { azmi_fast_release(handle) };
        unsafe { azmi_fast_release(0) };
    }
}
