"""azmi.aio.ManagedIdentityCredential beside azure-identity's async credential: the requests it
makes are those the sync credential makes for the same calls."""

import asyncio
import threading

import azmi
import azmi.aio
from conftest import ARM

CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1"}}}'


def test_a_claims_burst_makes_the_requests_the_sync_credential_makes(use_source):
    """Ten callers refused with the same challenge at once: the claims forget the cached token
    and the callers share one fetch, with threads on the sync credential and with tasks on the
    async one (each call applies its claims once)."""
    emu = use_source("imds")

    def burst_with_threads():
        cred = azmi.ManagedIdentityCredential()
        cred.get_token(ARM)
        barrier = threading.Barrier(10)

        def worker():
            barrier.wait()
            cred.get_token(ARM, claims=CLAIMS)

        threads = [threading.Thread(target=worker) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    async def burst_with_tasks():
        cred = azmi.aio.ManagedIdentityCredential()
        await cred.get_token(ARM)
        await asyncio.gather(*(cred.get_token(ARM, claims=CLAIMS) for _ in range(5)),
                             *(cred.get_token_info(ARM, options={"claims": CLAIMS})
                               for _ in range(5)))

    for burst in (burst_with_threads, lambda: asyncio.run(burst_with_tasks())):
        emu.reset()
        # The challenged fetch is still under way while the last caller arrives.
        emu.fault("imds", {"kind": "latency", "ms": 10}, {"kind": "latency", "ms": 400})
        burst()
        assert len(emu.requests("imds")) == 2, burst
