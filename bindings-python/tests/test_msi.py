"""azmi.MSIAuthentication (msrestazure compatible), with msrestazure's own MSI test cases
(docs/protocol.md §1.10) re-expressed against the emulator, and the seeds' sample with the real
azure-mgmt-resource."""

import json
import time
import warnings

import pytest
import requests
from azure.core.credentials import AccessToken

import azmi
from conftest import ARM

ARM_CLASSIC = "https://management.core.windows.net/"


def test_imds_constructor_fetches(use_source):
    emu = use_source("imds")
    creds = azmi.MSIAuthentication()
    assert len(emu.requests("imds")) == 1
    assert creds.resource == ARM_CLASSIC
    assert creds.msi_conf == {}
    # `.token` is the endpoint's JSON verbatim: IMDS gives strings.
    assert isinstance(creds.token["expires_on"], str)
    assert creds.token["token_type"] == creds.scheme
    assert creds.token["resource"] == ARM_CLASSIC
    assert creds.token["access_token"] not in repr(creds.token)
    assert creds.token["access_token"] not in str(creds.token)
    assert creds.token["access_token"] not in repr(creds)
    assert json.loads(json.dumps(creds.token)) == dict(creds.token)


def test_signed_session(use_source):
    emu = use_source("app_service_2017")
    creds = azmi.MSIAuthentication()
    session = requests.Session()
    got = creds.signed_session(session)
    assert got is session
    assert got.headers["Authorization"] == f"{creds.scheme} {creds.token['access_token']}"
    assert isinstance(creds.signed_session(), requests.Session)
    # Better than msrestazure: App Service tokens are cached too.
    assert len(emu.requests("app_service_2017")) == 1


def test_azure_core_protocols_and_context_manager(use_source):
    """``MSIAuthentication`` is also an azure-core credential: ``SupportsTokenInfo`` asks for
    ``close`` and the context manager protocol, as ``ManagedIdentityCredential`` has them."""
    from azure.core.credentials import SupportsTokenInfo, TokenCredential

    use_source("imds")
    with azmi.MSIAuthentication() as creds:
        assert isinstance(creds, TokenCredential) and isinstance(creds, SupportsTokenInfo)
        assert creds.get_token_info(ARM).token
    creds.close()


def test_pickle_and_copy(use_source):
    """msrestazure's credential pickles and copies; azmi's is made again from the constructor's
    arguments (and gets its own token): the pickle never holds a token."""
    import copy
    import pickle

    emu = use_source("imds")
    ident = emu.identity("user_assigned")
    creds = azmi.MSIAuthentication(client_id=ident["client_id"], resource="https://vault.azure.net",
                                   timeout=9)
    data = pickle.dumps(creds)
    assert creds.token["access_token"].encode() not in data
    for again in (pickle.loads(data), copy.copy(creds), copy.deepcopy(creds)):
        assert type(again) is azmi.MSIAuthentication
        facts = ("msi_conf", "resource", "timeout", "port", "cloud_environment", "scheme")
        assert [getattr(again, f) for f in facts] == [getattr(creds, f) for f in facts]
        assert again.token["resource"] == "https://vault.azure.net"
        assert again.signed_session().headers["Authorization"].startswith("Bearer ")


@pytest.mark.parametrize("source", ["imds", "app_service", "app_service_2017", "azure_ml",
                                    "cloud_shell", "azure_arc", "service_fabric"])
def test_every_source(use_source, source):
    use_source(source)
    creds = azmi.MSIAuthentication(resource="https://vault.azure.net")
    assert creds.token["access_token"]
    assert isinstance(creds.get_token(ARM), AccessToken)


def test_selectors(use_source):
    emu = use_source("imds")
    ident = emu.identity("user_assigned")
    for kw, key in (("client_id", "client_id"), ("object_id", "object_id"),
                    ("msi_res_id", "resource_id")):
        creds = azmi.MSIAuthentication(**{kw: ident[key]})
        assert creds.msi_conf == {kw: ident[key]}
    paths = [r["path"] for r in emu.requests("imds")]
    assert any("client_id=" in p for p in paths) and any("object_id=" in p for p in paths)
    assert any("msi_res_id=" in p for p in paths)


def test_app_service_2017_clientid(use_source):
    emu = use_source("app_service_2017")
    ident = emu.identity("user_assigned")
    azmi.MSIAuthentication(client_id=ident["client_id"])
    [req] = emu.requests("app_service_2017")
    assert "clientid=" in req["path"] and "api-version=2017-09-01" in req["path"]


def test_bad_keywords_make_no_request(use_source):
    emu = use_source("imds")
    with pytest.raises(ValueError):
        azmi.MSIAuthentication(client_id="a", object_id="b")
    with pytest.raises(TypeError):
        azmi.MSIAuthentication(clientid="a")
    assert emu.requests() == []


def test_wrong_arguments_are_named_and_make_no_request(use_source):
    emu = use_source("imds")
    with pytest.raises(TypeError, match="cloud_environment must be an msrestazure Cloud.*not int"):
        azmi.MSIAuthentication(cloud_environment=5)
    with pytest.raises(TypeError, match="cloud_environment must be"):
        azmi.MSIAuthentication(resource=ARM_CLASSIC, cloud_environment=5)
    with pytest.raises(azmi.ConfigurationError, match='unknown option "foo".*client_id'):
        azmi.get_msi_token(ARM_CLASSIC, msi_conf={"foo": "1"})
    with pytest.raises(azmi.ConfigurationError, match='"msi_conf": must be a dict'):
        azmi.get_msi_token_webapp(ARM_CLASSIC, msi_conf=["client_id"])
    # (A timeout <= 0 is msrestazure's "one try, no retry"; azure-identity's must be >= 0.)
    for bad in (True, float("nan"), float("inf"), "5", 1e30):
        with pytest.raises(azmi.ConfigurationError, match='"timeout"'):
            azmi.MSIAuthentication(timeout=bad)
    for bad in (True, -1, float("nan"), "5", 1e30):
        with pytest.raises(azmi.ConfigurationError, match='"timeout"'):
            azmi.ManagedIdentityCredential(timeout=bad)
    with pytest.raises(azmi.ConfigurationError, match='"port"'):
        azmi.MSIAuthentication(port=True)
    # Errors name the keywords as msrestazure spells them, and an empty resource is no default.
    with pytest.raises(azmi.ConfigurationError, match=r"several identities given \(client_id, msi_res_id\)"):
        azmi.MSIAuthentication(client_id="a", msi_res_id="/r")
    with pytest.raises(azmi.ConfigurationError, match="^msi_res_id is empty"):
        azmi.MSIAuthentication(msi_res_id="")
    with pytest.raises(azmi.ConfigurationError, match='resource "" is not valid'):
        azmi.MSIAuthentication(resource="")
    assert emu.requests() == []


def test_cloud_environment(use_source):
    use_source("imds")
    creds = azmi.MSIAuthentication(cloud_environment="AzureChinaCloud")
    assert creds.resource == "https://management.core.chinacloudapi.cn/"
    from msrestazure.azure_cloud import AZURE_US_GOV_CLOUD
    creds = azmi.MSIAuthentication(cloud_environment=AZURE_US_GOV_CLOUD)
    assert creds.resource == "https://management.core.usgovcloudapi.net/"


def test_legacy_extension_by_port(emulator):
    port = int(emulator.info["legacy_url"].rsplit(":", 1)[1].strip("/"))
    with pytest.warns(DeprecationWarning):
        creds = azmi.MSIAuthentication(port=port)
    assert creds.token["access_token"]
    assert len(emulator.requests("legacy_vm_extension")) == 1


def test_legacy_extension_error(emulator):
    # msrestazure test_msi_vm: the extension answering 503 is an error.
    port = int(emulator.info["legacy_url"].rsplit(":", 1)[1].strip("/"))
    emulator.fault("legacy_vm_extension", *([{"kind": "status", "status": 503}] * 10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(azmi.AzmiError):
            azmi.MSIAuthentication(port=port, timeout=3)


def test_msi_endpoint_post(use_source):
    # msrestazure test_msi_vm: MSI_ENDPOINT set → POST form.
    emu = use_source("cloud_shell")
    azmi.MSIAuthentication()
    [req] = emu.requests("cloud_shell")
    assert req["method"] == "POST"


def test_imds_retry(use_source):
    # test_msi_vm_imds_retry: 404, 429, 599, then 200 → 4 requests.
    emu = use_source("imds")
    emu.fault("imds", {"kind": "status", "status": 404}, {"kind": "status", "status": 429},
              {"kind": "status", "status": 599})
    creds = azmi.MSIAuthentication()
    assert creds.token["access_token"]
    assert len(emu.requests("imds")) == 4


def test_imds_no_retry_on_bad_error(use_source):
    # test_msi_vm_imds_no_retry_on_bad_error: 499 → an HTTP error after 1 request.
    emu = use_source("imds")
    emu.fault("imds", {"kind": "status", "status": 499})
    with pytest.raises(requests.HTTPError) as e:
        azmi.MSIAuthentication()
    # The emulator's 499 has a plain-text body: at the IMDS address that shape means "not IMDS".
    assert isinstance(e.value, azmi.AzmiError) and e.value.code == "unavailable"
    assert e.value.status == 499
    assert len(emu.requests("imds")) == 1


def test_app_service_failure_is_runtime_error(use_source):
    # msrestazure raised RuntimeError when App Service answered with an error.
    emu = use_source("app_service_2017")
    emu.fault("app_service_2017", {"kind": "status", "status": 400})
    with pytest.raises(RuntimeError) as e:
        azmi.MSIAuthentication()
    assert e.value.status == 400 and "400" in str(e.value)


def test_msrestazure_except_clauses_keep_catching(use_source, clean_env):
    """Migrating changes the import of MSIAuthentication only: handlers that name msrestazure's
    timeout error, or requests' ConnectionError (what msrestazure let through when no endpoint
    answered), still catch azmi's errors; a configuration error stays only a ValueError."""
    from msrestazure.azure_exceptions import MSIAuthenticationTimeoutError

    emu = use_source("imds")
    emu.fault("imds", *(["gone"] * 50))
    with pytest.raises(MSIAuthenticationTimeoutError) as timeout:
        azmi.MSIAuthentication(timeout=1)
    assert isinstance(timeout.value, azmi.DeadlineExceededError)
    clean_env.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
    with pytest.raises(requests.ConnectionError) as refused:
        azmi.MSIAuthentication(timeout=5)
    assert isinstance(refused.value, azmi.CredentialUnavailableError)
    assert isinstance(refused.value, RuntimeError) and refused.value.status is None
    with pytest.raises(azmi.ConfigurationError) as config:
        azmi.MSIAuthentication(cloud_environment="Mars")
    assert not isinstance(config.value, (RuntimeError, requests.RequestException))


def test_msrestazure_shaped_errors_pickle(use_source, clean_env):
    """Errors cross process boundaries (multiprocessing, concurrent.futures) as themselves."""
    import pickle

    from msrestazure.azure_exceptions import MSIAuthenticationTimeoutError

    emu = use_source("app_service_2017")
    emu.fault("app_service_2017", {"kind": "status", "status": 400})
    with pytest.raises(RuntimeError) as status:
        azmi.MSIAuthentication()
    emu = use_source("imds")
    emu.fault("imds", *(["gone"] * 50))
    with pytest.raises(MSIAuthenticationTimeoutError) as timeout:
        azmi.MSIAuthentication(timeout=0.5)
    clean_env.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
    with pytest.raises(requests.ConnectionError) as refused:
        azmi.get_msi_token(ARM_CLASSIC)
    for error in (status.value, timeout.value, refused.value):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error), (type(again).__mro__, type(error).__mro__)
        assert (str(again), again.code, again.status, again.source, again.attempts) == (
            str(error), error.code, error.status, error.source, error.attempts)


def test_imds_timeout_used(use_source):
    # test_msi_vm_imds_timeout_used: 410 forever, timeout=1 → TimeoutError in < 2 s, ≥ 2 requests.
    emu = use_source("imds")
    emu.fault("imds", *(["gone"] * 50))
    start = time.monotonic()
    with pytest.raises(TimeoutError) as e:
        azmi.MSIAuthentication(timeout=1)
    assert time.monotonic() - start < 2
    assert isinstance(e.value, azmi.MSIAuthenticationTimeoutError)
    assert len(emu.requests("imds")) >= 2


def test_imds_timeout_zero_used(use_source):
    # test_msi_vm_imds_timeout_zero_used: a single try. (msrestazure's case answers 410; azmi's
    # core always waits out an IMDS 410 within the deadline, so a retryable 503 is used here.)
    emu = use_source("imds")
    emu.fault("imds", *([{"kind": "status", "status": 503}] * 5))
    with pytest.raises(azmi.AzmiError):
        azmi.MSIAuthentication(timeout=0)
    assert len(emu.requests("imds")) == 1


def test_module_functions(use_source):
    emu = use_source("app_service_2017")
    token_type, access_token, entry = azmi.get_msi_token_webapp(ARM_CLASSIC)
    assert entry["access_token"] == access_token and entry["token_type"] == token_type
    use_source("cloud_shell")
    token_type, access_token, entry = azmi.get_msi_token(ARM_CLASSIC)
    assert access_token and entry["access_token"] == access_token
    del emu


@pytest.mark.parametrize("kind", ["msi", "credential", "azure_identity"])
def test_seeds_sample_with_azure_mgmt_resource(use_arm_env, kind):
    """The seeds' sample as users write it: no base_url, enforce_https or credential_scopes.
    Only the variables `azmi emulate --print-env imds` prints send it to the emulator: the SDK
    calls https://management.azure.com through HTTPS_PROXY (the emulator, which serves its own
    ARM under its CA for that name) and trusts the CA through REQUESTS_CA_BUNDLE."""
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    emu = use_arm_env("imds")
    if kind == "msi":
        credential = azmi.MSIAuthentication()
    elif kind == "credential":
        credential = azmi.ManagedIdentityCredential()
    else:
        from azure.identity import ManagedIdentityCredential
        credential = ManagedIdentityCredential()
    subs = list(SubscriptionClient(credential).subscriptions.list())
    assert subs
    sub_id = subs[0].subscription_id
    client = ResourceManagementClient(credential, sub_id)
    name = f"azmi-seed-{kind}"
    client.resource_groups.create_or_update(name, {"location": "westeurope"})
    assert name in [g.name for g in client.resource_groups.list()]
    poller = client.resource_groups.begin_delete(name, polling_interval=0)
    poller.result()
    assert name not in [g.name for g in client.resource_groups.list()]
    # Every ARM call went through the proxy to management.azure.com (polls included).
    tunnels = emu.requests("proxy")
    assert tunnels and {t["path"] for t in tunnels} == {"management.azure.com:443"}
    assert all(t["status"] == 200 for t in tunnels)
    assert len(emu.requests("arm")) >= 6


def test_arm_client_follows_azmi_arm_endpoint(use_arm_env):
    """AZMI_ARM_ENDPOINT (https, the emulator's CA through SSL_CERT_FILE) is the default cloud of
    azmi's ArmClient; an explicit cloud still wins."""
    emu = use_arm_env("imds")
    cred = azmi.ManagedIdentityCredential()
    arm = azmi.ArmClient(cred)
    assert emu.info["arm_env"]["AZMI_ARM_ENDPOINT"] in repr(arm._arm)
    assert arm.list_subscriptions()
    assert emu.requests("arm") and not emu.requests("proxy")
    china = azmi.ArmClient(cred, cloud="china")
    assert "chinacloudapi" in repr(china._arm)
