"""``ArmClient``: Azure Resource Manager over azmi's core ARM flows (paging, LRO, throttling).

Each method builds one operation of the core's table (``azmi._azmi.ARM_OPERATIONS``) in its JSON
form and runs it; what it sends (method, path, api-version, paging, polling) is the core's, and
the result is the core's one conversion of the outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List, NamedTuple, Optional, TypedDict, cast

from . import _azmi
from ._errors import JsonValue

if TYPE_CHECKING:
    from ._azmi import Credential


class ArmProgress(NamedTuple):
    """Where a long-running operation stands, after one of its polls (or its first answer)."""

    #: The HTTP status of the answer (202 while a ``Location`` poll runs, 200 with a status).
    status_code: int
    #: ARM's word for the state (``InProgress``, ``Deleting``, ...): the operation's ``status``
    #: or the resource's ``provisioningState``; ``None`` when the answer has none.
    state: Optional[str]
    #: Seconds until the next poll (ARM's ``Retry-After``, or the configured delay).
    wait: float
    #: Polls made so far (0 after the operation's first answer).
    polls: int


#: A progress callback: called once per poll with an :class:`ArmProgress`. Whatever it raises
#: stops the operation (no further request is sent) and is raised by the call as it is.
ProgressCallback = Callable[[ArmProgress], object]


class Subscription(TypedDict, total=False):
    """A subscription as ARM lists it (the fields azmi's callers use; others are kept)."""

    id: str
    subscriptionId: str
    displayName: str
    state: str
    tenantId: str


class ResourceGroup(TypedDict, total=False):
    """A resource group as ARM returns it."""

    id: str
    name: str
    type: str
    location: str
    managedBy: str
    tags: Dict[str, str]
    properties: Dict[str, JsonValue]


class ArmClient:
    """Calls ARM as a managed identity (``credential``: an azmi ManagedIdentityCredential or
    MSIAuthentication).

    ``cloud`` is ``public``, ``us_government`` or ``china``; or give ``endpoint`` and
    ``resource`` (Azure Stack, the emulator on loopback). With none of them, the credential's
    options decide (its ``cloud``, ``arm_endpoint``, ``arm_resource``; the public cloud by
    default). ``timeout`` is each operation's overall deadline in seconds, polling of a
    long-running one included (600 by default; at most a day). Results are the JSON bodies as
    Python values. Failures are :class:`azmi.ArmError` subclasses (azure-core's
    ``ResourceNotFoundError``, ``HttpResponseError``, ... where azure-core is installed).
    """

    def __init__(
        self,
        credential: Credential,
        *,
        cloud: Optional[str] = None,
        endpoint: Optional[str] = None,
        resource: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> None:
        self._arm = _azmi.Arm(
            credential, cloud=cloud, arm_endpoint=endpoint, arm_resource=resource, timeout=timeout
        )

    def run(
        self,
        operation: Dict[str, JsonValue],
        *,
        full: bool = False,
        progress: Optional[ProgressCallback] = None,
    ) -> JsonValue:
        """Any operation of the core's table in its JSON form, e.g. ``{"op":
        "list_resource_groups", "subscription_id": "...", "top": 5}``: the outcome's plain value
        (a body, the list of items, a bool), or with ``full`` the whole outcome (status, ids,
        rate limits). ``progress`` hears each poll of a long-running operation."""
        hook = None if progress is None else _hook(progress)
        return cast(JsonValue, self._arm.run(operation, full=full, progress=hook))

    def list_subscriptions(self) -> List[Subscription]:
        return cast(List[Subscription], self.run({"op": "list_subscriptions"}))

    def list_resource_groups(self, subscription_id: str) -> List[ResourceGroup]:
        operation: Dict[str, JsonValue] = {
            "op": "list_resource_groups",
            "subscription_id": subscription_id,
        }
        return cast(List[ResourceGroup], self.run(operation))

    def resource_group_exists(self, subscription_id: str, name: str) -> bool:
        operation: Dict[str, JsonValue] = {
            "op": "resource_group_exists",
            "subscription_id": subscription_id,
            "name": name,
        }
        return cast(bool, self.run(operation))

    def create_resource_group(
        self,
        subscription_id: str,
        name: str,
        location: str,
        tags: Optional[Dict[str, str]] = None,
    ) -> ResourceGroup:
        operation: Dict[str, JsonValue] = {
            "op": "create_or_update_resource_group",
            "subscription_id": subscription_id,
            "name": name,
            "location": location,
            "tags": cast(JsonValue, tags),
        }
        return cast(ResourceGroup, self.run(operation))

    def delete_resource_group(
        self, subscription_id: str, name: str, *, progress: Optional[ProgressCallback] = None
    ) -> None:
        """Deletes a resource group, polling until ARM says it is gone; ``progress`` is called
        with an :class:`ArmProgress` after each poll."""
        operation: Dict[str, JsonValue] = {
            "op": "delete_resource_group",
            "subscription_id": subscription_id,
            "name": name,
        }
        self.run(operation, progress=progress)

    def request(
        self,
        method: str,
        path: str,
        api_version: str,
        body: JsonValue = None,
        *,
        paged: bool = False,
        lro: bool = False,
        progress: Optional[ProgressCallback] = None,
    ) -> JsonValue:
        """Any request on a resource path: the body; with ``paged`` every item of every page;
        with ``lro`` the end of a long-running operation (``progress`` hears each poll)."""
        return self.run(
            {
                "op": "request",
                "method": method,
                "path": path,
                "api_version": api_version,
                "body": body,
                "paged": paged,
                "lro": lro,
            },
            progress=progress,
        )

    def __repr__(self) -> str:
        return "ArmClient()"


def _hook(progress: ProgressCallback) -> Callable[[int, Optional[str], float, int], object]:
    """The native module's callback (plain fields) around the user's (an ``ArmProgress``)."""

    def hook(status_code: int, state: Optional[str], wait: float, polls: int) -> object:
        return progress(ArmProgress(status_code, state, wait, polls))

    return hook
