"""azmi.ManagedIdentityCredential against the emulator (azure-identity compatible)."""

import asyncio
import logging
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CredentialUnavailableError

import azmi
import azmi.aio
from conftest import ARM, burst

SOURCES = ["imds", "app_service", "app_service_2017", "azure_ml", "cloud_shell", "azure_arc",
           "service_fabric"]


@pytest.mark.parametrize("source", SOURCES)
def test_every_source(use_source, source):
    emu = use_source(source)
    cred = azmi.ManagedIdentityCredential()
    assert cred.source == source
    tok = cred.get_token(ARM)
    assert isinstance(tok, AccessToken)
    assert tok.token.count(".") == 2
    assert tok.expires_on > time.time() + 600
    # Cached: a second call makes no request.
    n = len(emu.requests(source))
    assert n >= 1
    assert cred.get_token(ARM).token == tok.token
    assert len(emu.requests(source)) == n


def test_token_info(use_source):
    use_source("imds")
    info = azmi.ManagedIdentityCredential().get_token_info(ARM)
    assert isinstance(info, AccessTokenInfo)
    assert info.token_type.lower() == "bearer"
    assert info.refresh_on is not None and info.refresh_on <= info.expires_on


@pytest.mark.parametrize("source", ["imds", "app_service", "azure_arc"])
@pytest.mark.parametrize("selector", ["client_id", "object_id", "resource_id"])
def test_user_assigned(use_source, source, selector):
    emu = use_source(source)
    ident = emu.identity("user_assigned")
    cred = azmi.ManagedIdentityCredential(identity_config={selector: ident[selector]})
    assert cred.get_token(ARM).token
    if selector == "client_id":
        cred = azmi.ManagedIdentityCredential(client_id=ident["client_id"])
        assert cred.get_token(ARM).token


@pytest.mark.parametrize("source,given", [("app_service", "mi_res_id"), ("imds", "msi_res_id"),
                                          ("azure_arc", "msi_res_id"),
                                          ("app_service", "principal_id")])
def test_identity_config_takes_the_platforms_names(use_source, source, given):
    """azure-identity passes identity_config to the endpoint as it is, and its docs send users
    to each platform's names: App Service's mi_res_id and principal_id, IMDS's msi_res_id."""
    emu = use_source(source)
    ident = emu.identity("user_assigned")
    selector = "object_id" if given == "principal_id" else "resource_id"
    cred = azmi.ManagedIdentityCredential(identity_config={given: ident[selector]})
    assert cred.selector == selector and cred.get_token(ARM).token
    with pytest.raises(azmi.ConfigurationError, match="given twice"):
        azmi.ManagedIdentityCredential(identity_config={given: "a", selector: "b"})


def test_value_errors_make_no_request(use_source):
    emu = use_source("imds")
    with pytest.raises(ValueError):
        azmi.ManagedIdentityCredential(identity_config={"client_id": "a", "object_id": "b"})
    with pytest.raises(ValueError):
        azmi.ManagedIdentityCredential(client_id="a", identity_config={"resource_id": "r"})
    with pytest.raises(ValueError):
        azmi.ManagedIdentityCredential(identity_config={"clientid": "a"})
    cred = azmi.ManagedIdentityCredential()
    with pytest.raises(ValueError):
        cred.get_token()
    with pytest.raises(ValueError):
        cred.get_token(ARM, "https://vault.azure.net/.default")
    assert emu.requests() == []


def test_bad_arguments_are_named(use_source):
    emu = use_source("imds")
    with pytest.raises(TypeError, match="identity_config must be a dict"):
        azmi.ManagedIdentityCredential(identity_config="client_id=x")
    # Options are read by the core: a wrong type or range is a ConfigurationError naming the key.
    with pytest.raises(azmi.ConfigurationError, match='"timeout": must be a number of seconds'):
        azmi.ManagedIdentityCredential(timeout="30")
    with pytest.raises(azmi.ConfigurationError, match='"timeout": must be a finite number'):
        azmi.ManagedIdentityCredential(timeout=float("inf"))
    with pytest.raises(azmi.ConfigurationError, match='"timeout": must be a number of seconds'):
        azmi.MSIAuthentication(timeout="30")
    cred = azmi.ManagedIdentityCredential()
    with pytest.raises(TypeError):
        cred.get_token(None)
    assert emu.requests("imds") == []


def test_unknown_options_are_named_never_the_system_identity(use_source):
    emu = use_source("imds")
    for make in (lambda: azmi.ManagedIdentityCredential(clientid="x"),
                 lambda: azmi.ManagedIdentityCredential(identity_config={"clientid": "x"}),
                 lambda: azmi.aio.ManagedIdentityCredential(clientid="x")):
        with pytest.raises(azmi.ConfigurationError) as e:
            make()
        assert isinstance(e.value, ValueError) and e.value.code == "config"
        message = str(e.value)
        assert 'unknown option "clientid"' in message, message
        assert "client_id, object_id, resource_id" in message and "timeout" in message, message
    with pytest.raises(azmi.ConfigurationError, match='"clientid".*client_id, object_id, msi_res_id'):
        azmi.get_msi_token("https://management.azure.com/", msi_conf={"clientid": "x"})
    assert emu.requests() == []


def test_bad_options_are_named(use_source):
    emu = use_source("imds")
    cases = [
        ({"timeout": True}, '"timeout": must be a number of seconds, not a bool'),
        ({"timeout": -1}, '"timeout": must be a non-negative number of seconds'),
        ({"timeout": float("nan")}, '"timeout": must be a finite number'),
        ({"timeout": 5, "deadline_ms": 5000}, '"timeout".*give one'),
        ({"deadline_ms": "5"}, '"deadline_ms"'),
        ({"max_retries": -1}, '"max_retries"'),
        ({"source": "imdss"}, "imds, app_service"),
        ({"cloud": "mars"}, '"cloud"'),
        ({"client_id": {"nested": object()}}, '"client_id".*no JSON form'),
    ]
    for kwargs, pattern in cases:
        with pytest.raises(azmi.ConfigurationError, match=pattern):
            azmi.ManagedIdentityCredential(**kwargs)
    with pytest.raises(azmi.ConfigurationError, match='"client_id": given twice'):
        azmi.ManagedIdentityCredential(client_id="a", identity_config={"client_id": "a"})
    with pytest.raises(azmi.ConfigurationError, match='"port": must be a port number'):
        azmi.MSIAuthentication(70000)
    with pytest.raises(azmi.ConfigurationError, match='"msi_res_id"'):
        azmi.get_msi_token("https://management.azure.com/", msi_conf={"msi_res_id": 5})
    with pytest.raises(azmi.ConfigurationError, match="AzureCloud, AzureChinaCloud"):
        azmi.MSIAuthentication(cloud_environment="Mars")
    assert emu.requests() == []


def test_get_token_keywords(use_source):
    """azure-core's keywords are taken (a managed identity has one tenant: tenant_id and
    enable_cae change nothing); any other is a TypeError, sync and async, before any request:
    a misspelt ``claims`` must not silently skip a claims challenge."""
    emu = use_source("imds")
    cred = azmi.ManagedIdentityCredential()
    for bad in ({"claim": '{"access_token":{}}'}, {"timeout": 5}, {"connection_timeout": 5}):
        with pytest.raises(TypeError, match=f"unexpected keyword argument '{next(iter(bad))}'"):
            cred.get_token(ARM, **bad)
        with pytest.raises(TypeError, match="claims, tenant_id and enable_cae"):
            asyncio.run(azmi.aio.ManagedIdentityCredential().get_token(ARM, **bad))
    assert emu.requests() == []
    assert cred.get_token(ARM, claims=None, tenant_id="t", enable_cae=True).token
    with pytest.raises(TypeError, match="'foo'"):
        cred.get_token(ARM, foo=1)  # also once the token is cached

    async def main():
        async with azmi.aio.ManagedIdentityCredential() as acred:
            return await acred.get_token(ARM, claims=None, tenant_id="t", enable_cae=True)

    assert asyncio.run(main()).token


def test_token_info_options_read_alike_sync_and_async(use_source):
    """``options`` (azure-core's TokenRequestOptions) are read natively by both credentials: a
    non-dict is a TypeError before any request; claims bypass the cache, other keys do not."""
    emu = use_source("imds")
    sync = azmi.ManagedIdentityCredential()

    async def info(cred, options):
        return await cred.get_token_info(ARM, options=options)

    for bad in (5, "claims", ["claims"], {"claims": 5}):
        with pytest.raises(TypeError):
            sync.get_token_info(ARM, options=bad)
        with pytest.raises(TypeError):
            asyncio.run(info(azmi.aio.ManagedIdentityCredential(), bad))
    assert emu.requests() == []
    acred = azmi.aio.ManagedIdentityCredential()
    first = asyncio.run(info(acred, {"tenant_id": "t", "enable_cae": True, "newer_key": 1}))
    assert asyncio.run(info(acred, {})).token == first.token
    assert len(emu.requests("imds")) == 1
    asyncio.run(info(acred, {"claims": '{"access_token":{}}'}))
    assert len(emu.requests("imds")) == 2


def test_core_options_as_keywords(use_source):
    emu = use_source("imds")
    ident = emu.identity("user_assigned")
    emu.fault("imds", *([{"kind": "status", "status": 503}] * 5))
    with pytest.raises(azmi.EndpointError):
        azmi.ManagedIdentityCredential(max_retries=0, deadline_ms=5000).get_token(ARM)
    assert len(emu.requests("imds")) == 1
    emu.reset()
    cred = azmi.ManagedIdentityCredential(identity_config={"object_id": ident["object_id"]},
                                          initial_delay_ms=10, source="imds")
    assert cred.selector == "object_id" and cred.get_token(ARM).token
    assert "object_id=" in emu.requests("imds")[0]["path"]
    assert "timeout" in azmi._azmi.OPTIONS and "client_id" in azmi._azmi.OPTIONS


def test_errors_are_typed(use_source):
    emu = use_source("imds")
    emu.fault("imds", {"kind": "status", "status": 400,
                       "body": '{"error":"invalid_resource","error_description":"bad"}'})
    with pytest.raises(azmi.BadRequestError) as e:
        azmi.ManagedIdentityCredential().get_token(ARM)
    assert isinstance(e.value, ClientAuthenticationError)
    assert isinstance(e.value, azmi.AzmiError)
    assert e.value.code == "bad_request" and e.value.status == 400
    assert e.value.source == "imds"


def test_every_code_has_a_class():
    classes = azmi._error_classes()
    for code, cls in classes["_by_code"].items():
        assert azmi._error_class(code) is cls and issubclass(cls, azmi.AzmiError)
    # A code newer than the table (say a new host failure) is still an AzmiError with its code.
    newer = azmi._error_class("some_newer_code")("m", code="some_newer_code")
    assert type(newer) is azmi.AzmiError and newer.code == "some_newer_code"


def test_identity_not_found_is_credential_unavailable(use_source):
    emu = use_source("imds")
    emu.fault("imds", "identity_not_found")
    with pytest.raises(CredentialUnavailableError) as e:
        azmi.ManagedIdentityCredential().get_token(ARM)
    assert e.value.code == "identity_not_found"


def test_unavailable(clean_env):
    # IMDS pointed at a closed loopback port.
    with pytest.raises(azmi.CredentialUnavailableError) as e:
        azmi.ManagedIdentityCredential(timeout=5).get_token(ARM)
    assert isinstance(e.value, CredentialUnavailableError)


def test_retries_then_success(use_source):
    emu = use_source("imds")
    emu.fault("imds", {"kind": "throttle", "retry_after_secs": 1}, "gone",
              {"kind": "status", "status": 503})
    tok = azmi.ManagedIdentityCredential().get_token(ARM)
    assert tok.token
    assert len(emu.requests("imds")) == 4


def test_malformed_body(use_source):
    emu = use_source("app_service")
    emu.fault("app_service", "malformed")
    with pytest.raises(azmi.AzmiError) as e:
        azmi.ManagedIdentityCredential().get_token(ARM)
    assert e.value.code in ("invalid_response", "unavailable")


def test_throttled_after_retries(use_source):
    emu = use_source("imds")
    emu.fault("imds", *([{"kind": "throttle", "retry_after_secs": 0}] * 20))
    with pytest.raises(azmi.AzmiError) as e:
        azmi.ManagedIdentityCredential(timeout=20).get_token(ARM)
    assert e.value.code in ("throttled", "deadline_exceeded")


def test_identity_requests_bypass_proxy(use_source, clean_env):
    emu = use_source("app_service")
    # A proxy that accepts nothing: any request sent through it would fail.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        clean_env.setenv(name, "http://127.0.0.1:9")
    clean_env.delenv("NO_PROXY", raising=False)
    assert azmi.ManagedIdentityCredential().get_token(ARM).token
    assert len(emu.requests("app_service")) == 1


def test_hang_hits_deadline(use_source):
    emu = use_source("imds")
    emu.fault("imds", *([{"kind": "hang", "ms": 5000}] * 5))
    start = time.monotonic()
    with pytest.raises(azmi.DeadlineExceededError) as e:
        azmi.ManagedIdentityCredential(timeout=1.5).get_token(ARM)
    assert time.monotonic() - start < 4
    assert isinstance(e.value, TimeoutError)


def test_claims_bypass_cache(use_source):
    emu = use_source("imds")
    cred = azmi.ManagedIdentityCredential()
    cred.get_token(ARM)
    cred.get_token(ARM, claims='{"access_token":{}}')
    assert len(emu.requests("imds")) == 2


def test_thread_burst_one_request(use_source):
    emu = use_source("imds")
    emu.fault("imds", {"kind": "latency", "ms": 300})
    cred = azmi.ManagedIdentityCredential()
    tokens = burst(lambda: cred.get_token(ARM).token, 50)
    assert len(tokens) == 50 and len(set(tokens)) == 1
    assert len(emu.requests("imds")) == 1


def test_reprs_and_logs_never_show_token(use_source, caplog):
    use_source("imds")
    caplog.set_level(logging.INFO, logger="azmi")
    cred = azmi.ManagedIdentityCredential()
    tok = cred.get_token(ARM)
    info = cred.get_token_info(ARM)
    native = cred.get_token_for("https://management.azure.com/")
    for text in (repr(cred), repr(native), caplog.text):
        assert tok.token not in text
    assert "IMDS" in caplog.text or "imds" in caplog.text
    assert repr(native) == "AccessToken(***)"
    del info


def test_azure_core_tokens_hide_the_secret(use_source):
    """With azure-core imported (it is, here) tokens are subclasses of its types, whose own reprs
    print the token: repr and str hide it, everything else is azure-core's."""
    import pickle

    use_source("imds")
    cred = azmi.ManagedIdentityCredential()
    tok, info = cred.get_token(ARM), cred.get_token_info(ARM)
    assert isinstance(tok, AccessToken) and isinstance(info, AccessTokenInfo)
    for obj in (tok, info):
        for text in (repr(obj), str(obj), f"{obj}", "%s" % (obj,), repr([obj])):
            assert tok.token not in text and "***" in text, text
    assert tok == AccessToken(tok.token, tok.expires_on) and hash(tok) == hash(tuple(tok))
    token, expires_on = tok
    assert (token, expires_on) == (tok[0], tok[1]) == (tok.token, tok.expires_on)
    assert tok.token not in repr(tok._replace(expires_on=1))
    assert (info.token, info.token_type) == (tok.token, "Bearer") and info.refresh_on
    again = pickle.loads(pickle.dumps(tok))
    assert again == tok and type(again) is type(tok) and tok.token not in repr(again)
    info2 = pickle.loads(pickle.dumps(info))
    assert type(info2) is type(info) and vars(info2) == vars(info)
    # One class per process, whichever credential hands the token out.
    other = azmi.ManagedIdentityCredential(timeout=5).get_token("https://vault.azure.net/.default")
    assert type(other) is type(tok)


def test_context_manager(use_source):
    use_source("imds")
    with azmi.ManagedIdentityCredential() as cred:
        assert cred.get_token(ARM).token
    cred.close()


def test_subclass_calls_super_init_with_the_keywords(use_source):
    """Subclasses of azure-identity's credential call ``super().__init__(client_id=...)``."""
    emu = use_source("imds")
    ident = emu.identity("user_assigned")

    class Logged(azmi.ManagedIdentityCredential):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.calls = 0

        def get_token(self, *scopes, **kwargs):
            self.calls += 1
            return super().get_token(*scopes, **kwargs)

    cred = Logged(client_id=ident["client_id"], timeout=5)
    assert cred.selector == "client_id" and cred.get_token(ARM).token and cred.calls == 1
    cred = Logged(identity_config={"object_id": ident["object_id"]})
    assert cred.selector == "object_id"


def test_pickle_and_copy_make_the_credential_again(use_source):
    """azure-identity's credentials pickle (multiprocessing) and copy; azmi's are made again
    from their options, with a cache of their own and never a token in the pickle."""
    import copy
    import pickle

    emu = use_source("imds")
    ident = emu.identity("user_assigned")
    cred = azmi.ManagedIdentityCredential(client_id=ident["client_id"], timeout=7, max_retries=2)
    cred.note = "kept"
    token = cred.get_token(ARM).token
    data = pickle.dumps(cred)
    assert token.encode() not in data
    options = {"client_id": ident["client_id"], "deadline_ms": 7000, "max_retries": 2}
    for again in (pickle.loads(data), copy.copy(cred), copy.deepcopy(cred)):
        assert type(again) is azmi.ManagedIdentityCredential and again is not cred
        assert again._options() == cred._options() == options
        assert again.note == "kept" and again.selector == "client_id"
        assert again.get_token(ARM).token
    async_cred = pickle.loads(pickle.dumps(azmi.aio.ManagedIdentityCredential(object_id="o")))
    assert async_cred._sync._options() == {"object_id": "o"}


def test_async(use_source):
    emu = use_source("imds")

    async def main():
        async with azmi.aio.ManagedIdentityCredential() as cred:
            toks = await asyncio.gather(*(cred.get_token(ARM) for _ in range(10)))
            info = await cred.get_token_info(ARM)
        return toks, info

    import azmi.aio  # noqa: F401
    toks, info = asyncio.run(main())
    assert len({t.token for t in toks}) == 1 and info.token == toks[0].token
    assert len(emu.requests("imds")) == 1


def test_async_fetch_leaves_the_loop_free(use_source):
    emu = use_source("imds")
    emu.fault("imds", {"kind": "latency", "ms": 600})

    async def main():
        ticks = 0
        done = asyncio.Event()

        async def ticker():
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        async with azmi.aio.ManagedIdentityCredential() as cred:
            task = asyncio.create_task(ticker())
            first = await cred.get_token(ARM)
            done.set()
            await task
            # Served from the cache on the loop thread: the same token, no second request.
            again = await cred.get_token(ARM)
        return ticks, first, again

    ticks, first, again = asyncio.run(main())
    # The loop kept running while the 600 ms fetch was under way in the executor.
    assert ticks >= 5, ticks
    assert again.token == first.token
    assert len(emu.requests("imds")) == 1


def run_in_child(body):
    """Runs ``body`` in a fresh interpreter (bounded by a time-out), after ``import sys, azmi``
    and with ``c``, a ``ManagedIdentityCredential``, and ``ARM``; it must end without error."""
    code = (
        "import sys, azmi\n"
        f"ARM = {ARM!r}\n"
        "c = azmi.ManagedIdentityCredential()\n"
        + textwrap.dedent(body)
        + "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_token_types_follow_azure_core(use_source):
    """azure-core's AccessToken once the program imported it; else azmi's own tuple, whose repr
    hides the token. Checked in a fresh interpreter, where azure.core is not yet imported."""
    use_source("imds")
    run_in_child("""
        t = c.get_token(ARM)
        assert 'azure.core' not in sys.modules, 'azmi imported azure-core'
        assert type(t).__module__ == 'azmi' and t.token not in repr(t), repr(t)
        i = c.get_token_info(ARM)
        assert i.token == t.token and i.token not in repr(i)
        from azure.core.credentials import AccessToken, AccessTokenInfo
        t2 = c.get_token(ARM)
        assert isinstance(t2, AccessToken) and t2.token == t.token
        assert isinstance(c.get_token_info(ARM), AccessTokenInfo)
        assert azmi.AccessToken is AccessToken
        for obj in (t, i, t2, c.get_token_info(ARM)):
            assert t.token not in repr(obj) and t.token not in str(obj), repr(obj)
    """)


def test_threads_switching_inside_token_construction_do_not_deadlock(use_source):
    """Two scopes alternate, so every call builds a new AccessToken (Python code, where the
    interpreter may hand the GIL to another thread); with a tiny switch interval, a lock held
    across that construction would deadlock. Run in a child so a deadlock fails by time-out."""
    use_source("imds")
    run_in_child("""
        import threading
        sys.setswitchinterval(1e-6)
        scopes = [ARM, 'https://vault.azure.net/.default']
        for s in scopes: c.get_token(s)
        def work():
            for i in range(3000): c.get_token(scopes[i % 2])
        ts = [threading.Thread(target=work) for _ in range(8)]
        for t in ts: t.start()
        for t in ts: t.join()
    """)


def test_cached_token_is_reused_object(use_source):
    use_source("imds")
    cred = azmi.ManagedIdentityCredential()
    first = cred.get_token(ARM)
    assert cred.get_token(ARM) is first  # immutable tuple, handed out again on a cache hit
    assert cred.get_token(ARM, claims='{"access_token":{}}') is not first


def test_cached_get_token_runs_no_python_frame(use_source):
    use_source("imds")
    cred = azmi.ManagedIdentityCredential()
    cred.get_token(ARM)
    cred.get_token_info(ARM)
    frames = []

    def profile(frame, event, arg):
        if event == "call":
            frames.append(frame.f_code.co_qualname)

    sys.setprofile(profile)
    try:
        cred.get_token(ARM)
        cred.get_token(ARM)
    finally:
        sys.setprofile(None)
    assert frames == [], frames
    # The probe sees Python frames: a claims challenge fetches and builds a new AccessToken.
    sys.setprofile(profile)
    try:
        cred.get_token(ARM, claims='{"access_token":{}}')
    finally:
        sys.setprofile(None)
    assert frames, "the profile hook saw no Python frame at all"


def test_arm_client_cloud_from_the_credentials_options(use_source):
    emu = use_source("imds")
    cred = azmi.ManagedIdentityCredential(arm_endpoint=emu.url,
                                          arm_resource="https://management.azure.com/")
    assert azmi.ArmClient(cred).list_subscriptions()
    with pytest.raises(azmi.ConfigurationError, match='"cloud".*public'):
        azmi.ArmClient(cred, cloud="mars")
    with pytest.raises(azmi.ConfigurationError, match="arm_resource"):
        azmi.ArmClient(cred, endpoint=emu.url)
    with pytest.raises(TypeError, match="operation.tags.team: a set has no JSON form"):
        azmi.ArmClient(cred).create_resource_group("s", "g", "westeurope", tags={"team": {1}})


def test_arm_client(use_source):
    emu = use_source("imds")
    arm = azmi.ArmClient(azmi.ManagedIdentityCredential(), endpoint=emu.url,
                         resource="https://management.azure.com/")
    subs = arm.list_subscriptions()
    sub = subs[0]["subscriptionId"]
    arm.create_resource_group(sub, "azmi-py-rg", "westeurope", tags={"a": "b"})
    assert "azmi-py-rg" in [g["name"] for g in arm.list_resource_groups(sub)]
    arm.delete_resource_group(sub, "azmi-py-rg")
    assert "azmi-py-rg" not in [g["name"] for g in arm.list_resource_groups(sub)]


def test_arm_operations_from_the_core_table(use_source):
    emu = use_source("imds")
    arm = azmi.ArmClient(azmi.ManagedIdentityCredential(), endpoint=emu.url,
                         resource="https://management.azure.com/")
    assert "resource_group_exists" in azmi._azmi.ARM_OPERATIONS
    sub = arm.list_subscriptions()[0]["subscriptionId"]
    arm.create_resource_group(sub, "azmi-py-exists", "westeurope")
    # Exists is the core's one conversion: a bool, not a description of the outcome.
    assert arm.resource_group_exists(sub, "azmi-py-exists") is True
    assert arm.resource_group_exists(sub, "azmi-py-absent") is False
    full = arm.run({"op": "list_resource_groups", "subscription_id": sub}, full=True)
    assert full["last"]["status"] == 200
    assert "azmi-py-exists" in [g["name"] for g in full["items"]]
    group = arm.request("GET", f"/subscriptions/{sub}/resourceGroups/azmi-py-exists",
                        "2021-04-01")
    assert group["name"] == "azmi-py-exists" and isinstance(group["properties"], dict)
    arm.delete_resource_group(sub, "azmi-py-exists")
    assert arm.resource_group_exists(sub, "azmi-py-exists") is False
    with pytest.raises(azmi.ArmError) as e:
        arm.run({"op": "list_resource_groups", "subscriptionid": sub})
    assert e.value.code == "config" and "subscriptionid" in str(e.value)
    with pytest.raises(azmi.ArmError, match="list_subscriptions"):
        arm.run({"op": "list_everything"})
