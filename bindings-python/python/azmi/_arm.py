"""``ArmClient``: Azure Resource Manager over azmi's core ARM flows (paging, LRO, throttling).

Each method builds one operation of the core's table (``azmi._azmi.ARM_OPERATIONS``) in its JSON
form and runs it; what it sends (method, path, api-version, paging, polling) is the core's, and
the result is the core's one conversion of the outcome.
"""

from __future__ import annotations

TYPE_CHECKING = False

from . import _azmi

if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional

    from ._azmi import Credential


class ArmClient:
    """Calls ARM as a managed identity (``credential``: an azmi ManagedIdentityCredential or
    MSIAuthentication).

    ``cloud`` is ``public``, ``us_government`` or ``china``; or give ``endpoint`` and
    ``resource`` (Azure Stack, the emulator on loopback). With none of them, the credential's
    options decide (its ``cloud``, ``arm_endpoint``, ``arm_resource``; the public cloud by
    default). ``timeout`` is each operation's overall deadline in seconds, polling of a
    long-running one included (600 by default; at most a day). Results are the JSON bodies as
    Python values.
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

    def run(self, operation: Dict[str, Any], *, full: bool = False) -> Any:
        """Any operation of the core's table in its JSON form, e.g. ``{"op":
        "list_resource_groups", "subscription_id": "...", "top": 5}``: the outcome's plain value
        (a body, the list of items, a bool), or with ``full`` the whole outcome (status, ids,
        rate limits)."""
        return self._arm.run(operation, full=full)

    def list_subscriptions(self) -> List[Dict[str, Any]]:
        return self._arm.run({"op": "list_subscriptions"})

    def list_resource_groups(self, subscription_id: str) -> List[Dict[str, Any]]:
        return self._arm.run({"op": "list_resource_groups", "subscription_id": subscription_id})

    def resource_group_exists(self, subscription_id: str, name: str) -> bool:
        return self._arm.run(
            {"op": "resource_group_exists", "subscription_id": subscription_id, "name": name}
        )

    def create_resource_group(
        self,
        subscription_id: str,
        name: str,
        location: str,
        tags: Optional[Dict[str, str]] = None,
    ) -> Dict[str, Any]:
        return self._arm.run(
            {
                "op": "create_or_update_resource_group",
                "subscription_id": subscription_id,
                "name": name,
                "location": location,
                "tags": tags,
            }
        )

    def delete_resource_group(self, subscription_id: str, name: str) -> None:
        """Deletes a resource group, polling until ARM says it is gone."""
        self._arm.run({"op": "delete_resource_group", "subscription_id": subscription_id,
                       "name": name})

    def request(
        self,
        method: str,
        path: str,
        api_version: str,
        body: Any = None,
        *,
        paged: bool = False,
        lro: bool = False,
    ) -> Any:
        """Any request on a resource path: the body; with ``paged`` every item of every page;
        with ``lro`` the end of a long-running operation."""
        return self._arm.run(
            {
                "op": "request",
                "method": method,
                "path": path,
                "api_version": api_version,
                "body": body,
                "paged": paged,
                "lro": lro,
            }
        )

    def __repr__(self) -> str:
        return "ArmClient()"
