// Smoke test of an installed azmi npm package, the same in every language (see tests/smoke/).
//
// Run it from a project that has azmi installed, under the emulator, which sets the identity and
// ARM variables (ES modules find `azmi` from the file's own directory, so copy it there first):
//     azmi emulate --source imds -- node smoke.mjs
// A token for ARM, then the subscriptions, a resource group created, listed, deleted (a
// long-running operation) and gone. Uses only the installed `azmi` package, whose addon must come
// from its platform package. Prints one line `smoke ok: node <arch>` at the end; any failure
// exits non-zero with the error.
// Optional: AZMI_SMOKE_VERSION, the version the installed package must be.
import { createRequire } from 'node:module'
import { machine } from 'node:os'

import { ArmClient, ManagedIdentityCredential } from 'azmi'

const SCOPE = 'https://management.azure.com/.default'
const require = createRequire(import.meta.url)

function check(condition, what) {
  if (!condition) throw new Error(what)
}

/** The package npm installed, with its addon from the platform package, not a build tree's. */
function installedPackage() {
  const { version } = require('azmi/package.json')
  const want = process.env.AZMI_SMOKE_VERSION
  check(!want || version === want, `azmi ${version}, expected ${want}`)
  const addons = Object.keys(require.cache).filter((file) => file.endsWith('.node'))
  check(
    addons.length === 1 && /[\\/]node_modules[\\/]azmi-[^\\/]+[\\/]azmi\.[^\\/]+\.node$/.test(addons[0]),
    `the addon loaded is ${JSON.stringify(addons)}, not one from a platform package azmi-<platform>`,
  )
}

async function token(credential) {
  const access = await credential.getToken(SCOPE)
  check(access.token.length > 20, 'the token is empty or too short')
  check(access.expiresOnTimestamp > Date.now() + 60_000, `the token expires at ${access.expiresOnTimestamp}`)
}

async function groupNames(arm, subscription) {
  return (await arm.listResourceGroups(subscription)).map((group) => group.name)
}

async function resourceGroupRoundTrip(arm) {
  const subscriptions = await arm.listSubscriptions()
  check(subscriptions.length > 0, 'no subscription listed')
  const subscription = subscriptions[0].subscriptionId
  const name = `azmi-smoke-${process.pid}`

  const created = await arm.createResourceGroup(subscription, name, 'westeurope', { smoke: 'node' })
  check(created.name === name, `create returned ${JSON.stringify(created.name)}`)
  let listed = await groupNames(arm, subscription)
  check(listed.includes(name), `${name} not among the listed groups ${JSON.stringify(listed)}`)

  await arm.deleteResourceGroup(subscription, name)
  listed = await groupNames(arm, subscription)
  check(!listed.includes(name), `${name} still listed after delete`)
}

try {
  installedPackage()
  const credential = new ManagedIdentityCredential()
  await token(credential)
  // The ARM endpoint (AZMI_ARM_ENDPOINT) and CA (SSL_CERT_FILE) come from the emulator.
  await resourceGroupRoundTrip(new ArmClient(credential, { deadlineMs: 60_000 }))
  console.log(`smoke ok: node ${machine()}`)
} catch (error) {
  console.error(`smoke failed: ${error.name}: ${error.message}`)
  process.exitCode = 1
}
