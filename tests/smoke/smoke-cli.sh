#!/bin/sh
# The release smoke test, CLI form: a token for ARM, then subscriptions and a resource group
# created, listed, deleted (long-running) and gone, through the `azmi` binary alone.
# Usage: AZMI=/path/to/azmi $AZMI emulate --source imds --ca-file DIR/ca.pem -- sh smoke-cli.sh
#   (the emulator sets the identity and ARM variables; plain POSIX sh, grep and sed only, so it
#   runs in a bare root too). Prints `smoke ok: cli <arch>`; on failure, says what and exits 1.
set -eu
azmi=${AZMI:-azmi}
fail() { echo "smoke failed: cli: $*" >&2; exit 1; }

token=$("$azmi" token --scope https://management.azure.com/.default -o raw) || fail "azmi token"
[ "${#token}" -ge 20 ] || fail "the token is ${#token} characters long"

subs=$("$azmi" arm subscriptions -o json) || fail "azmi arm subscriptions"
sub=$(printf '%s\n' "$subs" | sed -n 's/.*"subscriptionId": *"\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$sub" ] || fail "no subscription listed: $subs"

group="azmi-smoke-cli-$$"
listed() { "$azmi" arm groups list --subscription "$sub" -o tsv | cut -f1 | grep -qx "$group"; }
"$azmi" arm groups create --subscription "$sub" --name "$group" --location westeurope -o none ||
    fail "creating resource group $group"
listed || fail "resource group $group is not listed after creation"
"$azmi" arm groups delete --subscription "$sub" --name "$group" -o none ||
    fail "deleting resource group $group"
! listed || fail "resource group $group is still listed after its deletion"

echo "smoke ok: cli $(uname -m)"
