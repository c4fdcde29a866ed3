// Faults, abort and concurrency: the emulator injects each fault into the next request.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { ManagedIdentityCredential } from '../index.mjs'
import { ARM, cleanEnv } from './emulator.mjs'
import { emulatorPerFile } from './setup.mjs'

const emu = emulatorPerFile()

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

describe('faults', () => {
  test('a 503 is retried, then the token comes', async () => {
    await emu.use('app_service')
    await emu.fault('app_service', { kind: 'status', status: 503, body: '{"error":"busy"}' })
    const t = await new ManagedIdentityCredential().getToken(ARM)
    assert.equal(t.tokenType, 'Bearer')
    assert.equal((await emu.requests('app_service')).length, 2)
  })

  test('identity not found is a CredentialUnavailableError', async () => {
    await emu.use('imds')
    await emu.fault('imds', 'identity_not_found')
    await assert.rejects(new ManagedIdentityCredential().getToken(ARM), (e) => {
      assert.equal(e.name, 'CredentialUnavailableError')
      assert.equal(e.code, 'identity_not_found')
      assert.equal(e.source, 'imds')
      assert.ok(e.statusCode >= 400)
      assert.ok(Array.isArray(e.attempts) && e.attempts.length >= 1)
      return true
    })
  })

  test("Docker Desktop's 403 means no IMDS here", async () => {
    await emu.use('imds')
    await emu.fault('imds', 'docker_desktop_403')
    await assert.rejects(new ManagedIdentityCredential().getToken(ARM), {
      name: 'CredentialUnavailableError',
      code: 'unavailable',
    })
  })

  test('a closed port is unavailable', async () => {
    cleanEnv() // IMDS at 127.0.0.1:9, where nothing listens
    const cred = new ManagedIdentityCredential()
    assert.equal(cred.source, 'imds')
    await assert.rejects(cred.getToken(ARM), { name: 'CredentialUnavailableError', code: 'unavailable' })
  })

  test('a 401 from App Service is an AuthenticationError', async () => {
    await emu.use('app_service')
    await emu.fault('app_service', { kind: 'status', status: 401, body: '{"error":"unauthorized"}' })
    await assert.rejects(new ManagedIdentityCredential().getToken(ARM), (e) => {
      assert.equal(e.name, 'AuthenticationError')
      assert.equal(e.code, 'unauthorized')
      assert.equal(e.statusCode, 401)
      return true
    })
  })

  test('a body that is not JSON is an invalid response', async () => {
    await emu.use('app_service')
    await emu.fault('app_service', 'malformed')
    await assert.rejects(new ManagedIdentityCredential().getToken(ARM), (e) => {
      assert.equal(e.name, 'AuthenticationError')
      assert.equal(e.code, 'invalid_response')
      return true
    })
  })

  test('a wrong identity header is refused, and the message does not show it', async () => {
    await emu.use('app_service')
    process.env.IDENTITY_HEADER = 'not-the-header'
    await assert.rejects(new ManagedIdentityCredential().getToken(ARM), (e) => {
      assert.equal(e.code, 'unauthorized')
      assert.ok(!e.message.includes('not-the-header'), e.message)
      return true
    })
  })
})

describe('abort', () => {
  test('an aborted signal rejects before any request', async () => {
    await emu.use('imds')
    const controller = new AbortController()
    controller.abort()
    await assert.rejects(new ManagedIdentityCredential().getToken(ARM, { abortSignal: controller.signal }), {
      name: 'AbortError',
    })
    assert.equal((await emu.requests('imds')).length, 0)
  })

  test('aborting while the endpoint holds its answer rejects with AbortError; the token still lands in the cache', async () => {
    await emu.use('app_service')
    await emu.fault('app_service', { kind: 'latency', ms: 1500 })
    const cred = new ManagedIdentityCredential()
    const controller = new AbortController()
    const pending = cred.getToken(ARM, { abortSignal: controller.signal })
    await sleep(150) // the request is at the emulator, which answers after 1.5 s
    controller.abort()
    await assert.rejects(pending, { name: 'AbortError' })
    // The request went on: the next caller gets its token without a second request.
    const t = await cred.getToken(ARM)
    assert.equal(t.tokenType, 'Bearer')
    const log = await emu.requests('app_service')
    assert.equal(log.length, 1)
    assert.ok(log[0].duration_ms >= 1000, 'the abort came while the endpoint held its answer')
  })

  test('a signal that never fires changes nothing', async () => {
    await emu.use('imds')
    const t = await new ManagedIdentityCredential().getToken(ARM, { abortSignal: new AbortController().signal })
    assert.equal(t.tokenType, 'Bearer')
  })
})

describe('concurrency', () => {
  for (const source of ['imds', 'app_service']) {
    test(`100 concurrent getToken calls on a cold cache make one ${source} request`, async () => {
      await emu.use(source)
      await emu.fault(source, { kind: 'latency', ms: 300 })
      const cred = new ManagedIdentityCredential()
      const tokens = await Promise.all(Array.from({ length: 100 }, () => cred.getToken(ARM)))
      assert.equal(new Set(tokens.map((t) => t.token)).size, 1)
      assert.equal((await emu.requests(source)).length, 1)
    })
  }

  test('a failure is not cached: the next call fetches again', async () => {
    await emu.use('app_service')
    await emu.fault('app_service', { kind: 'status', status: 401, body: '{"error":"unauthorized"}' })
    const cred = new ManagedIdentityCredential()
    await assert.rejects(cred.getToken(ARM), { code: 'unauthorized' })
    const t = await cred.getToken(ARM)
    assert.equal(t.tokenType, 'Bearer')
    assert.equal((await emu.requests('app_service')).length, 2)
  })

  test('the event loop keeps running while a request waits', async () => {
    await emu.use('app_service')
    await emu.fault('app_service', { kind: 'latency', ms: 500 })
    const pending = new ManagedIdentityCredential().getToken(ARM)
    let ticks = 0
    const timer = setInterval(() => { ticks += 1 }, 10)
    await pending
    clearInterval(timer)
    assert.ok(ticks > 0, 'timers ran during the request')
  })
})
