"""``ArmClient``: Azure Resource Manager over azmi's core ARM flows (paging, LRO, throttling)."""

from __future__ import annotations

import json
TYPE_CHECKING = False

from . import _azmi

if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional

    from ._azmi import Credential


class ArmClient:
    """Calls ARM as a managed identity (``credential``: an azmi ManagedIdentityCredential or
    MSIAuthentication).

    ``cloud`` is ``public``, ``us_government`` or ``china``; or give ``endpoint`` and
    ``resource`` (Azure Stack, the emulator on loopback).
    """

    def __init__(
        self,
        credential: Credential,
        *,
        cloud: Optional[str] = None,
        endpoint: Optional[str] = None,
        resource: Optional[str] = None,
    ) -> None:
        if cloud is None and endpoint is None:
            cloud = "public"
        self._arm = _azmi.Arm(credential, cloud=cloud, endpoint=endpoint, resource=resource)

    def list_subscriptions(self) -> List[Dict[str, Any]]:
        return json.loads(self._arm.list_subscriptions())

    def list_resource_groups(self, subscription_id: str) -> List[Dict[str, Any]]:
        return json.loads(self._arm.list_resource_groups(subscription_id))

    def create_resource_group(
        self,
        subscription_id: str,
        name: str,
        location: str,
        tags: Optional[Dict[str, str]] = None,
    ) -> Dict[str, Any]:
        text = None if tags is None else json.dumps(tags)
        return json.loads(
            self._arm.create_resource_group(subscription_id, name, location, text)
        )

    def delete_resource_group(self, subscription_id: str, name: str) -> None:
        self._arm.delete_resource_group(subscription_id, name)

    def request(
        self, method: str, path: str, api_version: str, body: Any = None
    ) -> Any:
        text = None if body is None else json.dumps(body)
        return json.loads(self._arm.request(method, path, api_version, text))

    def __repr__(self) -> str:
        return "ArmClient()"
