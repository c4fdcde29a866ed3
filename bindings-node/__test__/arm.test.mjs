// ArmClient: onProgress for long-running operations, request()'s paged and lro options, and ARM
// errors in @azure/core-rest-pipeline's RestError shape.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { ArmClient, ManagedIdentityCredential } from '../index.mjs'
import { emulatorPerFile } from './setup.mjs'

const ARM_RESOURCE = 'https://management.azure.com/'
let sub
const emu = emulatorPerFile(async () => {
  sub = emu.info.subscriptions[0].subscription_id
})

function client() {
  return new ArmClient(new ManagedIdentityCredential(), { armEndpoint: emu.url, armResource: ARM_RESOURCE })
}

/** ARM requests the emulator saw for one resource group (its operation polls included). */
async function armRequests(after = 0) {
  return (await emu.requests('arm')).slice(after)
}

describe('onProgress', () => {
  test('deleteResourceGroup: one call per poll, with status, state and the next wait', async () => {
    await emu.use('imds')
    const arm = client()
    await arm.createResourceGroup(sub, 'azmi-progress-rg', 'westeurope')
    const seen = (await armRequests()).length
    const heard = []
    const last = await arm.deleteResourceGroup(sub, 'azmi-progress-rg', { onProgress: (p) => heard.push(p) })
    assert.equal(last.status, 'Succeeded')
    const sent = await armRequests(seen)
    // The DELETE, then one poll after each progress call.
    assert.equal(heard.length, sent.length - 1, JSON.stringify({ heard, sent }))
    assert.ok(heard.length >= 2, JSON.stringify(heard))
    heard.forEach((p, i) => {
      assert.equal(p.polls, i)
      assert.ok([200, 202].includes(p.statusCode), JSON.stringify(p))
      assert.ok(p.waitMs >= 0 && p.waitMs <= 1000, JSON.stringify(p))
    })
    assert.equal(heard[0].statusCode, 202)
    assert.equal(heard.at(-1).state, 'InProgress')
  })

  test('a callback that throws stops the operation: no further poll, the call rejects with what it threw', async () => {
    await emu.use('imds')
    const arm = client()
    await arm.createResourceGroup(sub, 'azmi-stopped-rg', 'westeurope')
    const seen = (await armRequests()).length
    const thrown = new Error('enough')
    let calls = 0
    const onProgress = () => {
      calls += 1
      throw thrown
    }
    await assert.rejects(arm.deleteResourceGroup(sub, 'azmi-stopped-rg', { onProgress }), (e) => e === thrown)
    assert.equal(calls, 1)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const sent = await armRequests(seen)
    assert.deepEqual(sent.map((r) => r.method), ['DELETE'])
  })

  test('request with lro: polls to the end and tells onProgress; retries are not polls', async () => {
    await emu.use('imds')
    const arm = client()
    await arm.createResourceGroup(sub, 'azmi-lro-rg', 'westeurope')
    await emu.fault('arm', { kind: 'throttle', retry_after_secs: 0 })
    const heard = []
    const path = `/subscriptions/${sub}/resourcegroups/azmi-lro-rg`
    const last = await arm.request('DELETE', path, '2021-04-01', undefined, { lro: true, onProgress: (p) => heard.push(p) })
    assert.equal(last.status, 'Succeeded')
    assert.ok(heard.length >= 2 && heard.every((p) => p.statusCode !== 429), JSON.stringify(heard))
    assert.ok(!(await arm.listResourceGroups(sub)).some((g) => g.name === 'azmi-lro-rg'))
  })
})

describe('request', () => {
  test('paged: every item of every page, as listResourceGroups gives them; without: the first page as ARM sent it', async () => {
    await emu.use('imds')
    const arm = client()
    for (const name of ['azmi-page-1', 'azmi-page-2', 'azmi-page-3']) await arm.createResourceGroup(sub, name, 'westeurope')
    const path = `/subscriptions/${sub}/resourcegroups`
    const seen = (await armRequests()).length
    const items = await arm.request('GET', path, '2021-04-01', undefined, { paged: true })
    assert.ok(Array.isArray(items))
    assert.ok((await armRequests(seen)).length >= 2, 'followed nextLink')
    assert.deepEqual(items.map((g) => g.name), (await arm.listResourceGroups(sub)).map((g) => g.name))
    assert.ok(items.length >= 3)
    const page = await arm.request('GET', path, '2021-04-01')
    assert.equal(page.value.length, 2)
    assert.match(page.nextLink, /(\$|%24)skiptoken=2/)
    const top = await arm.request('GET', `${path}?$top=1`, '2021-04-01', undefined, { paged: true })
    assert.equal(top.length, 1)
  })

  test('paged and lro together are refused', async () => {
    await emu.use('imds')
    await assert.rejects(client().request('GET', `/subscriptions/${sub}/resourcegroups`, '2021-04-01', undefined, { paged: true, lro: true }), (e) => {
      assert.equal(e.name, 'RestError')
      assert.equal(e.code, 'config')
      return true
    })
  })
})

describe('errors', () => {
  test("an ARM error is a RestError with ARM's code and ids", async () => {
    await emu.use('imds')
    await assert.rejects(client().request('GET', `/subscriptions/${sub}/resourcegroups/azmi-missing`, '2021-04-01'), (e) => {
      assert.ok(e instanceof Error)
      assert.equal(e.name, 'RestError')
      assert.equal(e.code, 'not_found')
      assert.equal(e.statusCode, 404)
      assert.equal(e.errorCode, 'ResourceGroupNotFound')
      assert.match(e.requestId, /^[0-9a-f-]{36}$/)
      assert.match(e.correlationId, /^[0-9a-f-]{36}$/)
      assert.deepEqual(e.details, [])
      assert.deepEqual(e.attempts, [])
      assert.equal(e.armCode, undefined)
      assert.equal(e.request, undefined)
      return true
    })
  })

  test('no token for ARM: a RestError with the token source and its attempts', async () => {
    await emu.use('imds')
    await emu.fault('imds', 'identity_not_found')
    await assert.rejects(client().listSubscriptions(), (e) => {
      assert.equal(e.name, 'RestError')
      assert.equal(e.code, 'identity_not_found')
      assert.equal(e.source, 'imds')
      assert.equal(e.attempts.length, 1)
      assert.equal(e.attempts[0].result.status, 400)
      return true
    })
  })

  test('a wrong option at construction is a CredentialUnavailableError with code config', () => {
    for (const make of [
      () => new ArmClient(new ManagedIdentityCredential(), { cloud: 'mars' }),
      () => new ManagedIdentityCredential({ client_id: 'x' }),
      () => new ManagedIdentityCredential('a', { resourceId: 'b' }),
    ]) {
      assert.throws(make, (e) => {
        assert.ok(e instanceof Error)
        assert.equal(e.name, 'CredentialUnavailableError')
        assert.equal(e.code, 'config')
        return true
      })
    }
  })
})
