"""The host's events on the ``azmi`` logger: the source decision, each request, each retry with
its reason, each wait and each ARM poll; never a token, and nothing for a cached token."""

import logging

import azmi
from conftest import ARM

RESOURCE = "https://management.azure.com/"


def azmi_records(caplog):
    return [r for r in caplog.records if r.name == "azmi" or r.name.startswith("azmi.")]


def test_each_retry_is_logged_with_its_reason(use_source, caplog):
    emu = use_source("imds")
    emu.fault("imds", "gone", {"kind": "throttle", "retry_after_secs": 1})
    caplog.set_level(logging.DEBUG, logger="azmi")
    cred = azmi.ManagedIdentityCredential(initial_delay_ms=10)
    token = cred.get_token(ARM).token
    records = azmi_records(caplog)
    messages = [r.getMessage() for r in records]
    assert any("source chosen" in m and "imds" in m for m in messages), messages
    retries = [m for m in messages if "retrying" in m]
    assert len(retries) == 2, messages
    assert "status 410" in retries[0] and "backoff" in retries[0], retries
    assert "status 429" in retries[1] and "retry_after" in retries[1], retries
    sent = [r for r in records if "sending" in r.getMessage()]
    assert len(sent) == 3 and all(r.levelno == logging.DEBUG for r in sent), messages
    assert all(r.name.startswith("azmi.host") for r in records), {r.name for r in records}
    for r in caplog.records:
        assert token not in r.getMessage()


def test_a_cached_token_logs_nothing(use_source, caplog):
    use_source("imds")
    caplog.set_level(logging.DEBUG, logger="azmi")
    cred = azmi.ManagedIdentityCredential()
    cred.get_token(ARM)
    caplog.clear()
    cred.get_token(ARM)
    cred.get_token_info(ARM)
    assert azmi_records(caplog) == []


def test_arm_polls_are_logged(use_source, caplog):
    emu = use_source("imds")
    client = azmi.ArmClient(azmi.ManagedIdentityCredential(), endpoint=emu.url, resource=RESOURCE)
    sub = client.list_subscriptions()[0]["subscriptionId"]
    client.create_resource_group(sub, "azmi-py-logged", "westeurope")
    caplog.set_level(logging.DEBUG, logger="azmi")
    client.delete_resource_group(sub, "azmi-py-logged")
    polls = [r.getMessage() for r in azmi_records(caplog) if "polling again" in r.getMessage()]
    assert len(polls) == 3 and "InProgress" in polls[-1], polls


def test_the_azmi_level_decides(use_source, caplog):
    """Records below the azmi logger's level are not emitted (Python's level applies at once)."""
    emu = use_source("imds")
    emu.fault("imds", "gone")
    caplog.set_level(logging.WARNING, logger="azmi")
    azmi.ManagedIdentityCredential(initial_delay_ms=10).get_token(ARM)
    assert azmi_records(caplog) == []
