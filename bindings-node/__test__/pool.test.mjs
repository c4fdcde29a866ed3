// Token requests must not hold libuv's worker pool: against an endpoint that accepts and never
// answers, uncached getToken calls, ms-rest-nodeauth logins and signRequest calls leave fs,
// crypto and dns their threads, and an AbortSignal rejects its call at once.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { afterEach, test } from 'node:test'

import { ManagedIdentityCredential, loginWithVmMSI } from '../index.mjs'
import { cleanEnv } from './emulator.mjs'
import { rawServer, response, tokenResponse } from './rawserver.mjs'

const HOSTS = ['management.azure.com', 'storage.azure.com', 'vault.azure.net', 'graph.microsoft.com',
  'database.windows.net', 'servicebus.azure.net']
// More calls than libuv has workers (4 unless UV_THREADPOOL_SIZE says otherwise).
const CALLS = HOSTS.length

let server
afterEach(() => server?.close())

/** A server that stays silent after its first `answered` requests (given a short-lived token). */
async function silentServer(answered = 0) {
  cleanEnv()
  server = await rawServer((n) => (n <= answered ? tokenResponse(31) : null))
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = server.url
  return server
}

/** Ends the held requests: IMDS answers 400 (no identity, not retried) from now on. */
async function release(pending) {
  server.answer = () => response(400, { error: 'invalid_request', error_description: 'test over' })
  server.drop()
  return Promise.all(pending)
}

/** Starts CALLS requests of one kind against a silent endpoint; each settles to its outcome. */
const starters = {
  async getToken() {
    await silentServer()
    const cred = new ManagedIdentityCredential({ deadlineMs: 10_000, maxRetries: 1 })
    return HOSTS.map((host) => cred.getToken(`https://${host}/.default`))
  },
  async loginWithVmMSI() {
    await silentServer()
    return HOSTS.map((host) => loginWithVmMSI({ resource: `https://${host}/` }))
  },
  async signRequest() {
    // The login's token is usable for about a second (31 s less the cache's 30 s margin).
    await silentServer(1)
    const credentials = await loginWithVmMSI()
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const webResource = () => ({ headers: { set(name, value) { this[name] = value } } })
    return HOSTS.map(() => credentials.signRequest(webResource()))
  },
}

for (const [kind, start] of Object.entries(starters)) {
  test(`${kind}: ${CALLS} requests waiting on a silent endpoint leave fs.readFile its thread`, async () => {
    const pending = (await start()).map((p) => p.then(() => 'resolved', (e) => e))
    // Let every request reach its blocking wait.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const started = Date.now()
    const text = await readFile(new URL(import.meta.url), 'utf8')
    const took = Date.now() - started
    assert.ok(text.includes('silent endpoint'))
    assert.ok(took < 1_000, `fs.readFile waited ${took} ms behind ${CALLS} ${kind} calls`)
    for (const outcome of await release(pending)) {
      assert.ok(outcome instanceof Error, `a silent endpoint gives no token (${kind})`)
    }
  })
}

test('an AbortSignal that fires rejects the waiting call at once', async () => {
  await silentServer()
  const cred = new ManagedIdentityCredential({ deadlineMs: 3_000, maxRetries: 0 })
  const controller = new AbortController()
  const started = Date.now()
  const pending = cred.getToken('https://management.azure.com/.default', { abortSignal: controller.signal })
  setTimeout(() => controller.abort(), 100)
  await assert.rejects(pending, { name: 'AbortError' })
  assert.ok(Date.now() - started < 1_000, 'rejected long after the abort')
  await release([])
})
