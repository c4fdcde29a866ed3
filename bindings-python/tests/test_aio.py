"""azmi.aio.ManagedIdentityCredential beside azure-identity's async credential: the requests it
makes are those the sync credential makes for the same calls."""

import asyncio
import threading
import time

import pytest

import azmi
import azmi.aio
from conftest import ARM, burst

CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1"}}}'


def test_a_claims_burst_makes_the_requests_the_sync_credential_makes(use_source):
    """Ten callers refused with the same challenge at once: the claims forget the cached token
    and the callers share one fetch, with threads on the sync credential and with tasks on the
    async one (each call applies its claims once)."""
    emu = use_source("imds")

    def burst_with_threads():
        cred = azmi.ManagedIdentityCredential()
        cred.get_token(ARM)
        burst(lambda: cred.get_token(ARM, claims=CLAIMS), 10)

    async def burst_with_tasks():
        cred = azmi.aio.ManagedIdentityCredential()
        await cred.get_token(ARM)
        await asyncio.gather(*(cred.get_token(ARM, claims=CLAIMS) for _ in range(5)),
                             *(cred.get_token_info(ARM, options={"claims": CLAIMS})
                               for _ in range(5)))

    for run in (burst_with_threads, lambda: asyncio.run(burst_with_tasks())):
        emu.reset()
        # The challenged fetch is still under way while the last caller arrives.
        emu.fault("imds", {"kind": "latency", "ms": 10}, {"kind": "latency", "ms": 400})
        run()
        assert len(emu.requests("imds")) == 2, run


def test_a_cancelled_fetch_frees_the_loops_executor(use_source):
    """``asyncio.wait_for(cred.get_token(...), 0.3)`` against a slow endpoint: the call is
    cancelled, the executor thread that waited on the fetch is let go, so ``asyncio.run`` (which
    joins the default executor) returns at once, as with azure-identity's aiohttp transport. The
    fetch itself goes on: the next call waits for it instead of sending a second request."""
    emu = use_source("imds")
    emu.fault("imds", {"kind": "latency", "ms": 3000})

    async def cancelled(cred):
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(cred.get_token(ARM), 0.3)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(cred.get_token_info(ARM), 0.3)

    cred = azmi.aio.ManagedIdentityCredential()
    started = time.monotonic()
    asyncio.run(cancelled(cred))
    assert time.monotonic() - started < 1.5
    token = asyncio.run(cred.get_token(ARM))
    assert token.token and time.monotonic() - started < 10
    assert len(emu.requests("imds")) == 1
    # The event is azmi's own: a caller's `cancel=` is an unexpected keyword, as any other.
    with pytest.raises(TypeError, match="cancel"):
        asyncio.run(cred.get_token(ARM, cancel=threading.Event()))
    with pytest.raises(TypeError, match="cancel"):
        azmi.ManagedIdentityCredential().get_token(ARM, cancel=threading.Event())


def test_a_scope_that_is_not_a_str_says_what_to_pass(use_source):
    """``get_token_info(scope, {"claims": ...})`` (options given positionally) and other
    non-str scopes: a TypeError that names the type and says claims and options are keywords,
    from both credentials, before any request."""
    emu = use_source("imds")
    sync, aio = azmi.ManagedIdentityCredential(), azmi.aio.ManagedIdentityCredential()
    calls = [
        lambda: sync.get_token_info(ARM, {"claims": CLAIMS}),
        lambda: sync.get_token(None),
        lambda: sync.get_token(b"https://management.azure.com/.default"),
        lambda: asyncio.run(aio.get_token_info(ARM, {"claims": CLAIMS})),
        lambda: asyncio.run(aio.get_token(5)),
    ]
    for call, type_name in zip(calls, ["dict", "NoneType", "bytes", "dict", "int"]):
        with pytest.raises(TypeError, match=f"a scope must be a str .*not {type_name};"):
            call()
    assert emu.requests() == []
