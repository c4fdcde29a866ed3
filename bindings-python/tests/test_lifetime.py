"""What users rely on between calls, against an emulator of this module's own (it issues 8 s
tokens, and its App Service secret is rotated here): the token types and refresh instants, short
tokens, and a rotated App Service secret."""

import time

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError

import azmi
from conftest import ARM, burst, start_emulator, stop_emulator
from identity_vars import IDENTITY_VARS

LIFETIME = 8


@pytest.fixture(scope="module")
def short_lived():
    emu, proc = start_emulator("--token-lifetime", str(LIFETIME))
    yield emu
    stop_emulator(proc)


@pytest.fixture
def use(short_lived, clean_env):
    def use(source):
        short_lived.reset()
        for name in IDENTITY_VARS:
            clean_env.delenv(name, raising=False)
        for name, value in short_lived.info["env"][source].items():
            clean_env.setenv(name, value)
        return short_lived
    return use


def test_token_times_are_int_seconds(use_source):
    """Hour-long tokens (the session emulator's): whole unix seconds; refreshed 5 min early."""
    use_source("imds")
    cred = azmi.ManagedIdentityCredential()
    before = int(time.time())
    token, info = cred.get_token(ARM), cred.get_token_info(ARM)
    assert isinstance(token, AccessToken) and isinstance(info, AccessTokenInfo)
    for value in (token.expires_on, info.expires_on, info.refresh_on):
        assert type(value) is int
    assert before + 3600 - 2 <= token.expires_on <= int(time.time()) + 3600
    assert info.expires_on == token.expires_on and info.token_type == "Bearer"
    assert info.refresh_on == info.expires_on - 300


def test_short_tokens_are_shared_by_a_burst_and_never_served_expired(use):
    """8 s tokens are too short to cache (a token is not served in its last 30 s), yet 50 threads
    on a cold credential share one request; once it has expired, the next call fetches."""
    emu = use("imds")
    emu.fault("imds", {"kind": "latency", "ms": 300})
    cred = azmi.ManagedIdentityCredential()
    tokens = burst(lambda: cred.get_token(ARM), 50)
    assert len({t.token for t in tokens}) == 1 and len(emu.requests("imds")) == 1
    first = tokens[0]
    assert first.expires_on - time.time() <= LIFETIME
    time.sleep(first.expires_on - time.time() + 1)
    again = cred.get_token(ARM)
    assert again.token != first.token and again.expires_on > time.time()
    assert len(emu.requests("imds")) == 2


def test_a_rotated_app_service_secret_is_read_by_the_same_credential(use, clean_env):
    """App Service rotates IDENTITY_HEADER: the old value is refused (an authentication error,
    azure-core's family); once the environment has the new one, the same credential uses it, as
    azure-identity's does. Cached tokens stay valid meanwhile."""
    emu = use("app_service")
    cred = azmi.ManagedIdentityCredential()
    vault = "https://vault.azure.net/.default"
    cred.get_token(ARM)
    rotated = emu._call("POST", "/_emulator/rotate-identity-header")["identity_header"]
    with pytest.raises(ClientAuthenticationError) as refused:
        cred.get_token(vault)
    assert rotated not in str(refused.value)
    clean_env.setenv("IDENTITY_HEADER", rotated)
    assert cred.get_token(vault).token
    assert azmi.ManagedIdentityCredential().get_token("https://storage.azure.com/.default").token
    statuses = [r["status"] for r in emu.requests("app_service")]
    assert statuses == [200, 401, 200, 200], statuses
