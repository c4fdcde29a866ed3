"""A user's script, checked by ``mypy --strict --disallow-any-expr`` in the suite (test_typing.py)
and never run. ``assert_type`` pins the type of every value azmi hands out: a type that became
``Any`` (or anything else) fails the check, and so does any expression of type ``Any``."""

from __future__ import annotations

import asyncio
from typing import Optional

from azure.core.credentials import AccessToken, AccessTokenInfo, SupportsTokenInfo, TokenCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from typing_extensions import assert_type

import azmi
import azmi.aio
from azmi import ArmClient, ArmProgress, ManagedIdentityCredential

SCOPE = "https://management.azure.com/.default"


def tokens(credential: ManagedIdentityCredential) -> int:
    token = assert_type(credential.get_token(SCOPE), AccessToken)
    info = assert_type(credential.get_token_info(SCOPE), AccessTokenInfo)
    assert_type(token.token, str)
    assert_type(info.refresh_on, Optional[int])
    assert_type(credential.source, str)
    assert_type(credential.explain(), str)
    return token.expires_on


def as_azure_core_credentials(credential: ManagedIdentityCredential) -> list[object]:
    # azmi's credential is what azure-core's clients take.
    plain: TokenCredential = credential
    with_info: SupportsTokenInfo = credential
    return [plain, with_info]


async def async_tokens() -> int:
    async with azmi.aio.ManagedIdentityCredential() as credential:
        token = assert_type(await credential.get_token(SCOPE), AccessToken)
        info = assert_type(await credential.get_token_info(SCOPE), AccessTokenInfo)
        return token.expires_on + info.expires_on


def show(progress: ArmProgress) -> None:
    assert_type(progress.status_code, int)
    assert_type(progress.state, Optional[str])
    assert_type(progress.polls, int)
    print(f"{progress.state or '-'}: next poll in {assert_type(progress.wait, float):.1f} s")


def groups(arm: ArmClient, subscription_id: str) -> list[str]:
    names: list[str] = []
    for group in assert_type(arm.list_resource_groups(subscription_id), list[azmi.ResourceGroup]):
        names.append(f"{assert_type(group['name'], str)} ({assert_type(group['location'], str)})")
    created = assert_type(arm.create_resource_group(subscription_id, "rg", "westeurope"),
                          azmi.ResourceGroup)
    assert_type(arm.resource_group_exists(subscription_id, "rg"), bool)
    subscriptions = assert_type(arm.list_subscriptions(), list[azmi.Subscription])
    first = assert_type(subscriptions[0]["subscriptionId"], str)
    body = assert_type(arm.request("GET", f"/subscriptions/{first}", "2022-12-01"), azmi.JsonValue)
    print(created["id"], body)
    return names


def delete(arm: ArmClient, subscription_id: str, name: str) -> Optional[str]:
    try:
        assert_type(arm.delete_resource_group(subscription_id, name, progress=show), None)
    except azmi.ArmNotFoundError as e:
        assert_type(e.code, str)
        assert_type(e.status_code, Optional[int])
        assert_type(e.error_code, Optional[str])
        assert_type(e.correlation_id, Optional[str])
        # Also azure-core's class (naming azure-core's classes in an expression is `Any` to
        # mypy: their constructors take `**kwargs: Any`).
        as_azure: ResourceNotFoundError = e
        assert_type(as_azure.reason, Optional[str])
        return assert_type(e.request_id, Optional[str])
    except azmi.ArmHttpError as e:
        http_error: HttpResponseError = e
        assert_type(http_error.status_code, Optional[int])
    except azmi.ArmError as e:
        assert_type(e.target, Optional[str])
        assert_type(e.details, list[dict[str, azmi.JsonValue]])
    except azmi.AzmiError as e:
        assert_type(e.attempts, tuple[tuple[int, str, int], ...])
        assert_type(e.source, Optional[str])
        assert_type(e.message, str)
    return None


def main() -> None:
    try:
        credential = ManagedIdentityCredential(client_id="00000000-0000-0000-0000-000000000000")
    except azmi.ConfigurationError as e:
        print(assert_type(e.code, str))
        return
    except azmi.CredentialUnavailableError as e:
        print(assert_type(e.source, Optional[str]))
        return
    with credential:
        print(tokens(credential), len(as_azure_core_credentials(credential)))
        arm = ArmClient(credential, timeout=60)
        print(groups(arm, "sub"), delete(arm, "sub", "rg"))
    print(asyncio.run(async_tokens()))


if __name__ == "__main__":
    main()
