"""Smoke test of an installed azmi wheel, the same in every language (see tests/smoke/).

Run under the emulator, which sets the identity and ARM variables:
    azmi emulate --source imds -- python smoke.py
A token for ARM, then the subscriptions, a resource group created, listed, deleted (a
long-running operation) and gone. Uses only the installed ``azmi`` package. Prints one line
``smoke ok: python <arch>`` at the end; any failure exits non-zero with the error.
Optional: AZMI_SMOKE_VERSION, the version the installed package must report.
"""

from __future__ import annotations

import os
import platform
import sys
import time

import azmi
from azmi import _azmi

SCOPE = "https://management.azure.com/.default"


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"smoke failed: {what}")


def installed_package() -> None:
    # The stable-ABI extension of a wheel, not a build tree's or a checkout's module.
    native = os.path.basename(_azmi.__file__ or "")
    check(native.endswith((".abi3.so", ".pyd")), f"azmi._azmi is {native!r}, not an abi3 extension")
    want = os.environ.get("AZMI_SMOKE_VERSION")
    check(not want or azmi.__version__ == want, f"azmi {azmi.__version__}, expected {want}")


def token(credential: azmi.ManagedIdentityCredential) -> None:
    access = credential.get_token(SCOPE)
    check(len(access.token) > 20, "the token is empty or too short")
    check(access.expires_on > time.time() + 60, f"the token expires at {access.expires_on}")


def resource_group_round_trip(arm: azmi.ArmClient) -> None:
    subscriptions = arm.list_subscriptions()
    check(len(subscriptions) > 0, "no subscription listed")
    subscription = subscriptions[0]["subscriptionId"]
    name = f"azmi-smoke-{os.getpid()}"

    created = arm.create_resource_group(subscription, name, "westeurope", tags={"smoke": "python"})
    check(created.get("name") == name, f"create returned {created.get('name')!r}")
    listed = [group.get("name") for group in arm.list_resource_groups(subscription)]
    check(name in listed, f"{name} not among the listed groups {listed}")

    arm.delete_resource_group(subscription, name)
    check(not arm.resource_group_exists(subscription, name), f"{name} still exists after delete")
    listed = [group.get("name") for group in arm.list_resource_groups(subscription)]
    check(name not in listed, f"{name} still listed after delete")


def main() -> None:
    installed_package()
    credential = azmi.ManagedIdentityCredential()
    token(credential)
    # The ARM endpoint (AZMI_ARM_ENDPOINT) and CA (SSL_CERT_FILE) come from the emulator.
    resource_group_round_trip(azmi.ArmClient(credential, timeout=60))
    print(f"smoke ok: python {platform.machine()}")


if __name__ == "__main__":
    try:
        main()
    except azmi.AzmiError as error:
        sys.exit(f"smoke failed: {type(error).__name__}: {error}")
