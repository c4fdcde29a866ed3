// Real Azure SDK clients, unchanged, with an azmi credential against the emulator's ARM; azmi's
// own ArmClient; and ms-rest-nodeauth-style logins with ms-rest-js's WebResource and ServiceClient.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { describe, test } from 'node:test'
import { inspect } from 'node:util'

import msRest from '@azure/ms-rest-js'

import { ArmClient, ManagedIdentityCredential, loginWithAppServiceMSI, loginWithVmMSI } from '../index.mjs'
import { cleanEnv } from './emulator.mjs'
import { claims, emulatorPerFile } from './setup.mjs'

const ARM_RESOURCE = 'https://management.azure.com/'

let sub
const emu = emulatorPerFile(async () => {
  sub = emu.info.subscriptions[0].subscription_id
})

/** Runs fixtures/arm-handler.mjs in a fresh Node whose environment is the source's variables and
 * the ARM ones `azmi emulate --print-env` prints; resolves to its JSON line. */
function armHandler(source) {
  const env = { ...process.env, ...emu.info.env[source], ...emu.info.arm_env }
  if (source !== 'imds') delete env.AZURE_POD_IDENTITY_AUTHORITY_HOST
  const script = new URL('./fixtures/arm-handler.mjs', import.meta.url).pathname
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(JSON.parse(stdout))
    })
  })
}

describe('Azure SDK clients with an azmi credential', () => {
  test('@azure/arm-resources, unmodified, reaches the emulator through the printed variables only', async () => {
    await emu.use('imds')
    const seen = await armHandler('imds')
    assert.deepEqual(seen.subscriptions, emu.info.subscriptions.map((s) => s.subscription_id))
    assert.ok(!seen.before.includes('azmi-node-rg'))
    assert.deepEqual(seen.created, { name: 'azmi-node-rg', location: 'westeurope' })
    assert.ok(seen.during.includes('azmi-node-rg'))
    assert.deepEqual(seen.after, seen.before)
    // Every ARM call used azmi's token, fetched once, and went to management.azure.com through
    // the emulator's proxy (polls of the delete included).
    assert.equal((await emu.requests('imds')).length, 1)
    const arm = await emu.requests('arm')
    assert.ok(arm.length >= 6 && arm.every((r) => r.status < 400), JSON.stringify(arm))
    const tunnels = await emu.requests('proxy')
    assert.ok(tunnels.length >= 1, 'the SDK used HTTPS_PROXY')
    assert.ok(tunnels.every((t) => t.path === 'management.azure.com:443' && t.status === 200), JSON.stringify(tunnels))
  })

  test('with App Service variables too', async () => {
    await emu.use('app_service')
    const seen = await armHandler('app_service')
    assert.deepEqual(seen.after, seen.before)
    assert.equal((await emu.requests('app_service')).length, 1)
  })
})

describe("azmi's ArmClient", () => {
  test('subscriptions, resource groups, a generic request, and an ARM error', async () => {
    await emu.use('imds')
    const arm = new ArmClient(new ManagedIdentityCredential(), { armEndpoint: emu.url, armResource: ARM_RESOURCE })
    const subs = await arm.listSubscriptions()
    assert.deepEqual(subs.map((s) => s.subscriptionId), [sub])
    const group = await arm.createResourceGroup(sub, 'azmi-arm-rg', 'northeurope', { team: 'node' })
    assert.equal(group.name, 'azmi-arm-rg')
    assert.ok((await arm.listResourceGroups(sub)).some((g) => g.name === 'azmi-arm-rg'))
    const got = await arm.request('GET', `/subscriptions/${sub}/resourcegroups/azmi-arm-rg`, '2021-04-01')
    assert.equal(got.location, 'northeurope')
    // The outcome's natural value, as the core converts it: ARM's last answer, the final status.
    assert.equal((await arm.deleteResourceGroup(sub, 'azmi-arm-rg')).status, 'Succeeded')
    assert.ok(!(await arm.listResourceGroups(sub)).some((g) => g.name === 'azmi-arm-rg'))
    await assert.rejects(arm.request('GET', `/subscriptions/${sub}/resourcegroups/azmi-arm-rg`, '2021-04-01'), (e) => {
      assert.equal(e.name, 'RestError')
      assert.equal(e.code, 'not_found')
      assert.equal(e.statusCode, 404)
      assert.equal(e.errorCode, 'ResourceGroupNotFound')
      return true
    })
    assert.equal(inspect(arm), 'ArmClient {}')
  })

  test('AZMI_ARM_ENDPOINT is the default cloud (https, the CA through SSL_CERT_FILE)', async () => {
    await emu.use('imds')
    for (const [k, v] of Object.entries(emu.info.arm_env)) process.env[k] = v
    const arm = new ArmClient(new ManagedIdentityCredential())
    assert.deepEqual((await arm.listSubscriptions()).map((s) => s.subscriptionId), [sub])
    assert.equal((await emu.requests('arm')).length, 1)
    assert.equal((await emu.requests('proxy')).length, 0, 'azmi went to AZMI_ARM_ENDPOINT directly')
  })

  test('a throttled ARM answer is retried', async () => {
    await emu.use('imds')
    await emu.fault('arm', { kind: 'throttle', retry_after_secs: 0 })
    const arm = new ArmClient(new ManagedIdentityCredential(), { armEndpoint: emu.url, armResource: ARM_RESOURCE })
    assert.equal((await arm.listSubscriptions()).length, 1)
    assert.equal((await emu.requests('arm')).length, 2)
  })

  test('numbers in a request body reach ARM as JavaScript wrote them, and come back as numbers', async () => {
    await emu.use('imds')
    const credential = new ManagedIdentityCredential()
    const arm = new ArmClient(credential, { armEndpoint: emu.url, armResource: ARM_RESOURCE })
    await arm.createResourceGroup(sub, 'azmi-numbers-rg', 'westeurope')
    const path = `/subscriptions/${sub}/resourceGroups/azmi-numbers-rg/providers/Microsoft.Test/things/t1`
    const body = { properties: { ratio: 1.5, tiny: 0.1, count: 3, negative: -7, big: 2 ** 60, bigger: 2 ** 53 + 2 } }
    const put = await arm.request('PUT', path, '2024-01-01', body)
    assert.deepEqual(put.properties, body.properties)
    // The stored JSON text, as ARM answers it: integers stay integers, fractions fractions.
    const res = await fetch(`${emu.url}${path}?api-version=2024-01-01`, {
      headers: { authorization: `Bearer ${(await credential.getToken(ARM_RESOURCE + '.default')).token}` },
    })
    const text = await res.text()
    for (const part of ['"ratio":1.5', '"tiny":0.1', '"count":3', '"negative":-7', '"big":1152921504606846976', '"bigger":9007199254740994']) {
      assert.ok(text.includes(part), `${part} in ${text}`)
    }
    const got = await arm.request('GET', path, '2024-01-01')
    assert.equal(typeof got.properties.big, 'number')
    assert.equal(got.properties.big, 2 ** 60)
    assert.equal(got.properties.ratio, 1.5)
  })

  test('an unknown cloud fails at construction', () => {
    assert.throws(() => new ArmClient(new ManagedIdentityCredential(), { cloud: 'mars' }), { code: 'config' })
  })
})

describe('ms-rest-nodeauth logins', () => {
  test('loginWithVmMSI: getToken and signRequest on a WebResource; ServiceClient calls ARM', async () => {
    await emu.use('imds')
    const creds = await loginWithVmMSI()
    assert.equal((await emu.requests('imds')).length, 1, 'login fetched a token')
    const t = await creds.getToken()
    assert.equal(t.tokenType, 'Bearer')
    assert.ok(t.accessToken.length > 20)
    assert.equal(creds.resource, ARM_RESOURCE)
    const web = new msRest.WebResource(`${emu.url}/subscriptions?api-version=2020-01-01`, 'GET')
    assert.equal(await creds.signRequest(web), web)
    assert.equal(web.headers.get('authorization'), `Bearer ${t.accessToken}`)
    const client = new msRest.ServiceClient(creds)
    const res = await client.sendRequest({ url: `${emu.url}/subscriptions?api-version=2020-01-01`, method: 'GET' })
    assert.equal(res.status, 200)
    assert.equal(res.parsedBody.value[0].subscriptionId, sub)
    assert.equal((await emu.requests('imds')).length, 1, 'later calls came from the cache')
    for (const text of [inspect(creds), JSON.stringify(creds), inspect(t), JSON.stringify(t)]) {
      assert.ok(!text.includes(t.accessToken), text)
    }
  })

  test('loginWithVmMSI selects a user-assigned identity and takes a callback', async () => {
    await emu.use('imds')
    const uami = emu.identity('user_assigned')
    const creds = await new Promise((resolve, reject) =>
      loginWithVmMSI({ clientId: uami.client_id, resource: 'https://vault.azure.net' }, (err, c) => (err ? reject(err) : resolve(c))))
    const t = await creds.getToken()
    const payload = claims(t.accessToken)
    assert.equal(payload.oid, uami.object_id)
    assert.equal(payload.aud.replace(/\/$/, ''), 'https://vault.azure.net')
    const log = await emu.requests('imds')
    assert.equal(log.length, 1)
    assert.match(log[0].path, new RegExp(`client_id=${uami.client_id}`))
  })

  test('loginWithVmMSI refuses another msiEndpoint', async () => {
    await assert.rejects(loginWithVmMSI({ msiEndpoint: 'http://127.0.0.1:1/token' }), { code: 'config' })
  })

  for (const source of ['app_service', 'app_service_2017']) {
    test(`loginWithAppServiceMSI from the ${source} environment`, async () => {
      await emu.use(source)
      const creds = await loginWithAppServiceMSI()
      const web = await creds.signRequest(new msRest.WebResource(emu.url, 'GET'))
      assert.match(web.headers.get('authorization'), /^Bearer ey/)
      assert.equal((await emu.requests(source)).length, 1)
    })
  }

  test('loginWithAppServiceMSI with explicit msiEndpoint and msiSecret', async () => {
    await emu.use('app_service_2017')
    const { MSI_ENDPOINT: msiEndpoint, MSI_SECRET: msiSecret } = process.env
    cleanEnv()
    const creds = await loginWithAppServiceMSI({ msiEndpoint, msiSecret })
    assert.equal((await creds.getToken()).tokenType, 'Bearer')
    assert.equal((await emu.requests('app_service_2017')).length, 1)
  })

  test('loginWithAppServiceMSI without an App Service endpoint is unavailable, through the callback too', async () => {
    cleanEnv()
    let returned
    const err = await new Promise((resolve) => {
      returned = loginWithAppServiceMSI((e) => resolve(e))
    })
    // The promise comes back in the callback form too (as the types say); its rejection is the
    // callback's, not an unhandled one.
    assert.ok(returned instanceof Promise)
    await assert.rejects(returned, (e) => e === err)
    assert.equal(err.name, 'CredentialUnavailableError')
    assert.equal(err.code, 'unavailable')
  })
})
