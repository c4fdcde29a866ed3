// Real Azure SDK clients, unchanged, with an azmi credential against the emulator's ARM; azmi's
// own ArmClient; and ms-rest-nodeauth-style logins with ms-rest-js's WebResource and ServiceClient.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import { after, describe, test } from 'node:test'
import { inspect } from 'node:util'

import { ResourceManagementClient } from '@azure/arm-resources'
import { SubscriptionClient } from '@azure/arm-resources-subscriptions'
import msRest from '@azure/ms-rest-js'

import { ArmClient, ManagedIdentityCredential, loginWithAppServiceMSI, loginWithVmMSI } from '../index.mjs'
import { cleanEnv } from './emulator.mjs'
import { claims, emulatorPerFile } from './setup.mjs'

const CERT = readFileSync(new URL('./fixtures/loopback-cert.pem', import.meta.url))
const KEY = readFileSync(new URL('./fixtures/loopback-key.pem', import.meta.url))
const ARM_RESOURCE = 'https://management.azure.com/'

let tls // the emulator's ARM behind TLS on loopback, as the SDKs send bearer tokens over https only
let sub
const emu = emulatorPerFile(async () => {
  sub = emu.info.subscriptions[0].subscription_id
  tls = await tlsFront(emu.url)
})
after(() => {
  tls.server.close()
  tls.server.closeAllConnections()
})

/** A TLS front on 127.0.0.1 for the emulator: forwards each request, and rewrites the emulator's
 * own http links (nextLink, Location, Azure-AsyncOperation) to the front's https URL. */
async function tlsFront(target) {
  const server = https.createServer({ cert: CERT, key: KEY }, (req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const headers = { ...req.headers }
      delete headers['content-length']
      const body = Buffer.concat(chunks)
      if (body.length) headers['content-length'] = String(body.length)
      const up = http.request(target + req.url, { method: req.method, headers, timeout: 30_000 }, (r) => {
        const out = []
        r.on('data', (c) => out.push(c))
        r.on('end', () => {
          const front = `https://${req.headers.host}`
          const rewrite = (v) => (typeof v === 'string' ? v.split(`http://${req.headers.host}`).join(front) : v)
          const text = rewrite(Buffer.concat(out).toString('utf8'))
          const h = {}
          for (const [k, v] of Object.entries(r.headers)) if (k !== 'content-length' && k !== 'transfer-encoding') h[k] = rewrite(v)
          h['content-length'] = String(Buffer.byteLength(text))
          res.writeHead(r.statusCode, h)
          res.end(text)
        })
      })
      up.on('error', () => { res.writeHead(502); res.end() })
      up.end(body)
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `https://127.0.0.1:${server.address().port}` }
}

const clientOptions = () => ({ endpoint: tls.url, tlsOptions: { ca: CERT } })

describe('Azure SDK clients with an azmi credential', () => {
  test('@azure/arm-resources lists, creates and deletes resource groups', async () => {
    await emu.use('imds')
    const credential = new ManagedIdentityCredential()
    const client = new ResourceManagementClient(credential, sub, clientOptions())
    const names = async () => {
      const all = []
      for await (const g of client.resourceGroups.list()) all.push(g.name)
      return all
    }
    const before = await names()
    assert.ok(!before.includes('azmi-node-rg'))
    const created = await client.resourceGroups.createOrUpdate('azmi-node-rg', { location: 'westeurope', tags: { by: 'azmi' } })
    assert.equal(created.name, 'azmi-node-rg')
    assert.equal(created.location, 'westeurope')
    assert.ok((await names()).includes('azmi-node-rg'))
    await client.resourceGroups.delete('azmi-node-rg', { updateIntervalInMs: 10 })
    assert.deepEqual(await names(), before)
    // Every ARM call used azmi's token, fetched once.
    assert.equal((await emu.requests('imds')).length, 1)
    assert.ok((await emu.requests('arm')).every((r) => r.status < 400), JSON.stringify(await emu.requests('arm')))
  })

  test('@azure/arm-resources-subscriptions lists subscriptions', async () => {
    await emu.use('app_service')
    const client = new SubscriptionClient(new ManagedIdentityCredential(), clientOptions())
    const found = []
    for await (const s of client.subscriptions.list()) found.push(s.subscriptionId)
    assert.deepEqual(found, emu.info.subscriptions.map((s) => s.subscription_id))
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
    const err = await new Promise((resolve) => loginWithAppServiceMSI((e) => resolve(e)))
    assert.equal(err.name, 'CredentialUnavailableError')
    assert.equal(err.code, 'unavailable')
  })
})
