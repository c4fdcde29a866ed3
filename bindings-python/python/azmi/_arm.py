"""``ArmClient``: Azure Resource Manager over azmi's core ARM flows (paging, LRO, throttling)."""

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
    default). Results are the JSON bodies as Python values.
    """

    def __init__(
        self,
        credential: Credential,
        *,
        cloud: Optional[str] = None,
        endpoint: Optional[str] = None,
        resource: Optional[str] = None,
    ) -> None:
        self._arm = _azmi.Arm(credential, cloud=cloud, arm_endpoint=endpoint, arm_resource=resource)

    def list_subscriptions(self) -> List[Dict[str, Any]]:
        return self._arm.list_subscriptions()

    def list_resource_groups(self, subscription_id: str) -> List[Dict[str, Any]]:
        return self._arm.list_resource_groups(subscription_id)

    def create_resource_group(
        self,
        subscription_id: str,
        name: str,
        location: str,
        tags: Optional[Dict[str, str]] = None,
    ) -> Dict[str, Any]:
        return self._arm.create_resource_group(subscription_id, name, location, tags)

    def delete_resource_group(self, subscription_id: str, name: str) -> None:
        self._arm.delete_resource_group(subscription_id, name)

    def request(self, method: str, path: str, api_version: str, body: Any = None) -> Any:
        return self._arm.request(method, path, api_version, body)

    def __repr__(self) -> str:
        return "ArmClient()"
