"""ARM failures in azure-core's shape: the class follows the core's kind of failure (404, 409,
401/403, other statuses), the attributes carry ARM's error body and the response's ids, and
without azure-core the same attributes sit on azmi's own classes."""

import json
import re

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ODataV4Format,
    ResourceExistsError,
    ResourceNotFoundError,
)

import azmi
from conftest import ARM
from test_credential import run_in_child

RESOURCE = "https://management.azure.com/"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture
def arm(use_source):
    emu = use_source("imds")
    client = azmi.ArmClient(azmi.ManagedIdentityCredential(), endpoint=emu.url, resource=RESOURCE)
    sub = client.list_subscriptions()[0]["subscriptionId"]
    return emu, client, sub


def arm_body(code, message, **more):
    return json.dumps({"error": {"code": code, "message": message, **more}})


def test_404_is_resource_not_found_with_the_ids(arm):
    _, client, sub = arm
    with pytest.raises(ResourceNotFoundError) as caught:
        client.request("GET", f"/subscriptions/{sub}/resourceGroups/azmi-absent", "2021-04-01")
    e = caught.value
    assert isinstance(e, azmi.ArmNotFoundError) and isinstance(e, azmi.AzmiError)
    assert not isinstance(e, ClientAuthenticationError)
    assert (e.code, e.status_code, e.status, e.reason) == ("not_found", 404, 404, "Not Found")
    assert e.error_code == "ResourceGroupNotFound" and e.response is None
    assert isinstance(e.error, ODataV4Format) and e.error.code == "ResourceGroupNotFound"
    assert "azmi-absent" in e.error.message
    assert UUID.match(e.request_id) and UUID.match(e.correlation_id), vars(e)
    assert e.request_id in str(e) and "ResourceGroupNotFound" in str(e)
    assert e.target is None and e.details == [] and e.source is None


def test_409_is_resource_exists(arm):
    _, client, sub = arm
    client.create_resource_group(sub, "azmi-py-409", "westeurope")
    with pytest.raises(ResourceExistsError) as caught:
        client.create_resource_group(sub, "azmi-py-409", "eastus")
    e = caught.value
    assert isinstance(e, azmi.ArmConflictError) and not isinstance(e, ClientAuthenticationError)
    assert (e.code, e.status_code, e.reason) == ("conflict", 409, "Conflict")
    assert e.error_code == "InvalidResourceGroupLocation" and UUID.match(e.request_id)


@pytest.mark.parametrize("status, code", [(401, "unauthorized"), (403, "forbidden")])
def test_401_and_403_are_authentication_errors(arm, status, code):
    emu, client, sub = arm
    body = arm_body("AuthorizationFailed", "no role here", target="scope",
                    details=[{"code": "Inner", "message": "deeper"}])
    fault = {"kind": "status", "status": status, "body": body}
    emu.fault("arm", fault, fault)  # a 401 is retried once with a fresh token
    with pytest.raises(ClientAuthenticationError) as caught:
        client.list_resource_groups(sub)
    e = caught.value
    assert isinstance(e, azmi.ArmAuthenticationError) and isinstance(e, azmi.ArmError)
    assert (e.code, e.status_code, e.error_code, e.target) == (code, status, "AuthorizationFailed",
                                                               "scope")
    assert e.details == [{"code": "Inner", "message": "deeper"}]
    assert [d.code for d in e.error.details] == ["Inner"] and e.error.target == "scope"


def test_500_is_http_response_error(arm):
    emu, client, sub = arm
    emu.fault("arm", {"kind": "status", "status": 500, "body": arm_body("InternalError", "oops")})
    # POST is not repeated after a 5xx: the first answer is the error.
    with pytest.raises(HttpResponseError) as caught:
        client.request("POST", f"/subscriptions/{sub}/resourceGroups/g/doSomething", "2021-04-01")
    e = caught.value
    assert type(e) is azmi.ArmHttpError
    assert not isinstance(e, (ResourceNotFoundError, ResourceExistsError, ClientAuthenticationError))
    assert (e.code, e.status_code, e.reason, e.error_code) == ("server_error", 500,
                                                               "Internal Server Error",
                                                               "InternalError")


def test_http_response_error_catches_every_arm_status(arm):
    emu, client, sub = arm
    absent = f"/subscriptions/{sub}/resourceGroups/azmi-absent"
    for status in (404, 409, 401, 403, 500):
        fault = {"kind": "status", "status": status, "body": arm_body("X", "failed")}
        emu.fault("arm", *[fault] * (2 if status == 401 else 1))  # a 401 is retried once
        try:
            client.request("POST", absent, "2021-04-01")
        except HttpResponseError as e:
            assert isinstance(e, azmi.ArmError) and e.status_code == status
        else:
            pytest.fail(f"{status} raised nothing")


def test_a_token_failure_is_an_authentication_error_with_its_source(arm):
    emu, client, sub = arm
    # A new credential, so that no token is cached.
    fresh = azmi.ArmClient(azmi.ManagedIdentityCredential(), endpoint=emu.url, resource=RESOURCE)
    emu.fault("imds", "identity_not_found")
    with pytest.raises(ClientAuthenticationError) as caught:
        fresh.list_resource_groups(sub)
    e = caught.value
    assert isinstance(e, azmi.ArmAuthenticationError)
    assert (e.code, e.source) == ("identity_not_found", "imds") and e.attempts, vars(e)


def test_a_bad_operation_is_a_configuration_error(arm):
    _, client, _ = arm
    with pytest.raises(ValueError) as caught:
        client.run({"op": "list_everything"})
    assert isinstance(caught.value, azmi.ArmConfigurationError) and caught.value.code == "config"


def test_an_echoed_token_never_shows(arm):
    emu, client, sub = arm
    token = azmi.ManagedIdentityCredential().get_token(ARM).token
    body = arm_body("AuthorizationFailed", f"the bearer {token} has no role", target=token,
                    details=[{"code": "Echo", "message": token}])
    emu.fault("arm", {"kind": "status", "status": 403, "body": body})
    with pytest.raises(azmi.ArmError) as caught:
        client.list_resource_groups(sub)
    e = caught.value
    shown = [str(e), repr(e), e.error_code, e.target, json.dumps(e.details), str(e.error),
             e.error.message, repr(vars(e))]
    for text in shown:
        assert token not in str(text), text


def test_without_azure_core_the_same_attributes_on_azmis_classes(arm):
    emu, _, sub = arm
    run_in_child(f"""
        import builtins
        real_import = builtins.__import__
        def no_azure(name, *args, **kwargs):
            if name == 'azure' or name.startswith('azure.'):
                raise ImportError(name)
            return real_import(name, *args, **kwargs)
        builtins.__import__ = no_azure
        arm = azmi.ArmClient(c, endpoint={emu.url!r}, resource={RESOURCE!r})
        try:
            arm.request('GET', '/subscriptions/{sub}/resourceGroups/azmi-absent', '2021-04-01')
        except azmi.ArmNotFoundError as e:
            assert not any(k.__module__.startswith('azure') for k in type(e).__mro__)
            assert (e.code, e.status_code, e.reason) == ('not_found', 404, 'Not Found')
            assert e.error_code == 'ResourceGroupNotFound' and e.request_id and e.correlation_id
            assert isinstance(e.error, azmi.ArmErrorDetail) and e.error.code == e.error_code
            assert e.response is None and isinstance(e, azmi.AzmiError)
        else:
            raise AssertionError('no error')
        assert issubclass(azmi.ConfigurationError, ValueError)
        assert issubclass(azmi.DeadlineExceededError, TimeoutError)
    """)
