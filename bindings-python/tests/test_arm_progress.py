"""Progress callbacks of long-running ARM operations: one ArmProgress per poll, as the core
reports it; a callback that raises stops the operation and its exception comes out as is."""

import signal
import time

import pytest

import azmi

RESOURCE = "https://management.azure.com/"


@pytest.fixture
def arm(use_source):
    emu = use_source("imds")
    client = azmi.ArmClient(azmi.ManagedIdentityCredential(), endpoint=emu.url, resource=RESOURCE)
    sub = client.list_subscriptions()[0]["subscriptionId"]
    return emu, client, sub


def test_delete_reports_each_poll(arm):
    _, client, sub = arm
    client.create_resource_group(sub, "azmi-py-progress", "westeurope")
    seen = []
    client.delete_resource_group(sub, "azmi-py-progress", progress=seen.append)
    assert all(isinstance(p, azmi.ArmProgress) for p in seen)
    # The emulator: 202, then "InProgress" twice (Retry-After 1 s each), then "Succeeded".
    assert [(p.status_code, p.state, p.polls) for p in seen] == [
        (202, None, 0), (200, "InProgress", 1), (200, "InProgress", 2)]
    assert all(0 < p.wait <= 1.0 for p in seen), seen
    assert client.resource_group_exists(sub, "azmi-py-progress") is False


def test_the_generic_long_running_request_reports_polls(arm):
    _, client, sub = arm
    client.create_resource_group(sub, "azmi-py-progress-lro", "westeurope")
    seen = []
    client.request("DELETE", f"/subscriptions/{sub}/resourceGroups/azmi-py-progress-lro",
                   "2021-04-01", lro=True, progress=seen.append)
    assert [p.polls for p in seen] == [0, 1, 2]


def test_retries_are_not_polls(arm):
    emu, client, sub = arm
    emu.fault("arm", {"kind": "status", "status": 503})
    seen = []
    assert client.run({"op": "list_resource_groups", "subscription_id": sub},
                      progress=seen.append) is not None
    assert seen == []


def test_a_callback_that_raises_stops_the_operation(arm):
    emu, client, sub = arm
    client.create_resource_group(sub, "azmi-py-stop", "westeurope")

    class Enough(Exception):
        pass

    calls = []

    def stop(progress):
        calls.append(progress)
        raise Enough("stop polling")

    before = len(emu.requests("arm"))
    with pytest.raises(Enough, match="stop polling"):
        client.delete_resource_group(sub, "azmi-py-stop", progress=stop)
    assert len(calls) == 1
    # The DELETE was sent and accepted; no poll followed it.
    sent = emu.requests("arm")[before:]
    assert [r["method"] for r in sent] == ["DELETE"], sent
    # ARM goes on with what it accepted: the group is being deleted.
    with pytest.raises(azmi.ArmConflictError):
        client.create_resource_group(sub, "azmi-py-stop", "westeurope")


def test_an_abandoned_call_calls_back_no_more(arm):
    """A call given up by its caller (here a signal handler that raises, as Ctrl-C does) stops
    the operation at its next wait: the callback is not called after the call has returned."""
    emu, client, sub = arm
    client.create_resource_group(sub, "azmi-py-abandon", "westeurope")
    calls = []

    class Interrupted(Exception):
        pass

    def interrupt(signum, frame):
        raise Interrupted()

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)  # during the first 1 s wait
        with pytest.raises(Interrupted):
            client.delete_resource_group(sub, "azmi-py-abandon", progress=calls.append)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert len(calls) == 1
    time.sleep(2.5)  # two more polls, had the operation gone on
    assert len(calls) == 1
    polls = [r for r in emu.requests("arm") if "operationStatuses" in r["path"]]
    assert len(polls) <= 1, polls  # the poll already due when the caller left, and no more
