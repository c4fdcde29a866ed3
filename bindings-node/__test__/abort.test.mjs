// An AbortSignal cancels the request itself, not only the caller's wait: after the abort the
// endpoint sees no further retry. Concurrent callers for one scope share one request, so it
// stops only once every caller waiting on it has aborted.
import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { afterEach, test } from 'node:test'

import { ManagedIdentityCredential } from '../index.mjs'
import { cleanEnv } from './emulator.mjs'
import { rawServer, response, tokenResponse } from './rawserver.mjs'

const SCOPE = 'https://management.azure.com/.default'
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

let server
afterEach(() => server?.close())

/** A server answering 503 (retried) `failures` times, then a token; a credential retrying
 * every 100 ms or so against it. */
async function flakyCredential(failures = Infinity) {
  cleanEnv()
  server = await rawServer((n) => (n <= failures ? response(503, { error: 'busy' }) : tokenResponse()))
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = server.url
  return new ManagedIdentityCredential({
    deadlineMs: 20_000, maxRetries: 100, initialDelayMs: 100, maxDelayMs: 100, jitter: 0,
  })
}

test('an abort stops the retries of the request', async () => {
  const cred = await flakyCredential()
  const controller = new AbortController()
  const pending = cred.getToken(SCOPE, { abortSignal: controller.signal })
  await sleep(450)
  const before = server.requests
  assert.ok(before >= 2, `the request was retrying (${before} requests before the abort)`)
  controller.abort()
  await assert.rejects(pending, { name: 'AbortError' })
  await sleep(1_000)
  // An attempt already on the wire when the abort came may still arrive; nothing after it.
  const after = server.requests - before
  assert.ok(after <= 1, `${after} requests reached the endpoint in the second after the abort`)
})

test('one caller aborting does not stop the request another caller waits on', async () => {
  const cred = await flakyCredential(8)
  const controller = new AbortController()
  const aborted = cred.getToken(SCOPE, { abortSignal: controller.signal })
  const waiting = cred.getToken(SCOPE)
  await sleep(250)
  controller.abort()
  await assert.rejects(aborted, { name: 'AbortError' })
  const token = await waiting
  assert.equal(token.token, 'raw-server-token')
  assert.equal(server.requests, 9, 'one request line: 8 failures, then the token')
})

test('the request stops once every caller waiting on it has aborted', async () => {
  const cred = await flakyCredential()
  const [first, second] = [new AbortController(), new AbortController()]
  const calls = [first, second].map((c) =>
    cred.getToken(SCOPE, { abortSignal: c.signal }).then(() => 'resolved', (e) => e))
  await sleep(250)
  first.abort()
  await sleep(300)
  const before = server.requests
  second.abort()
  for (const outcome of await Promise.all(calls)) assert.equal(outcome.name, 'AbortError')
  await sleep(1_000)
  const after = server.requests - before
  assert.ok(after <= 1, `${after} requests reached the endpoint in the second after both aborts`)
  assert.ok(before >= 4, `the request went on after the first abort (${before} requests)`)
})

test('a caller that aborted leaves the cache usable: the next call fetches again', async () => {
  const cred = await flakyCredential(3)
  const controller = new AbortController()
  const pending = cred.getToken(SCOPE, { abortSignal: controller.signal })
  await sleep(50)
  controller.abort()
  await assert.rejects(pending, { name: 'AbortError' })
  const token = await cred.getToken(SCOPE)
  assert.equal(token.token, 'raw-server-token')
})

test('calls sharing one signal put one listener on it, and none once they settled', async () => {
  const cred = await flakyCredential(3)
  const controller = new AbortController()
  const warnings = []
  const onWarning = (w) => warnings.push(w.name)
  process.on('warning', onWarning)
  try {
    const scopes = [SCOPE, 'https://vault.azure.net/.default']
    const pending = Array.from({ length: 40 }, (_, i) => cred.getToken(scopes[i % 2], { abortSignal: controller.signal }))
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1)
    const tokens = await Promise.all(pending)
    assert.equal(tokens.length, 40)
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0)
    // The signal still works for the next call, and its abort reaches every caller.
    const late = [cred.getToken('https://storage.azure.com/.default', { abortSignal: controller.signal }),
      cred.getToken('https://storage.azure.com/.default', { abortSignal: controller.signal })]
    controller.abort()
    for (const call of late) await assert.rejects(call, { name: 'AbortError' })
    await sleep(50)
    assert.deepEqual(warnings.filter((n) => n === 'MaxListenersExceededWarning'), [])
  } finally {
    process.off('warning', onWarning)
  }
})
