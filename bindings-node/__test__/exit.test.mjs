// process.exit must not wait for a token request: a Functions host that exits while a request
// sleeps on a Retry-After (here 20 s) exits at once, as with @azure/identity. A script whose
// request it aborted ends by itself, whatever the attempt in flight still waits for. A worker
// thread terminated with requests pending ends at once too, and their late outcome is dropped.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import { Worker } from 'node:worker_threads'

import { IDENTITY_VARS } from './emulator.mjs'
import { rawServer, response } from './rawserver.mjs'

const PROBE = fileURLToPath(new URL('./exit-probe.mjs', import.meta.url))
const INDEX = fileURLToPath(new URL('../index.js', import.meta.url))
let server
before(async () => {
  server = await rawServer(() => response(429, { error: 'throttled' }, { 'retry-after': '20' }))
})
after(() => server.close())

/** Runs the probe against `imds` (the throttling server by default); resolves to its exit code,
 * output and wall time. */
function runProbe(kind, imds = server) {
  const env = { ...process.env, NO_PROXY: '*' }
  for (const name of IDENTITY_VARS) delete env[name]
  env.AZURE_POD_IDENTITY_AUTHORITY_HOST = imds.url
  const started = Date.now()
  const child = spawn(process.execPath, [PROBE, kind], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  // Bounded: a probe still alive after 30 s is killed (the assertion below then fails).
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  let out = ''
  child.stdout.on('data', (c) => { out += c })
  return new Promise((resolve) => child.on('exit', (code) => {
    clearTimeout(killer)
    resolve({ code, out, took: Date.now() - started })
  }))
}

for (const kind of ['getToken', 'loginWithVmMSI']) {
  test(`process.exit(0) is not held by a ${kind} request asleep on Retry-After: 20`, async () => {
    const before = server.requests
    const { code, out, took } = await runProbe(kind)
    assert.ok(server.requests > before, 'the probe reached the endpoint')
    assert.equal(out, '', 'the request was still pending at the exit')
    assert.equal(code, 0)
    assert.ok(took < 2_000, `the process exited ${took} ms after it started (exit called at 200 ms)`)
  })
}

test('a script whose only request it aborted ends by itself, though the attempt is still unanswered', async () => {
  const silent = await rawServer(() => null)
  try {
    const { code, out, took } = await runProbe('aborted', silent)
    assert.equal(silent.requests, 1, 'the attempt was sent')
    assert.equal(out, 'AbortError')
    assert.equal(code, 0)
    // The attempt's own timeout is 20 s: the promise settled at the abort, not when it ended.
    assert.ok(took < 3_000, `the process ended ${took} ms after it started (abort at 200 ms)`)
  } finally {
    await silent.close()
  }
})

test('a worker terminated with requests pending ends at once; their late outcome is dropped', async () => {
  const throttling = await rawServer(() => response(429, { error: 'throttled' }, { 'retry-after': '1' }))
  // The addon reads the process's own environment (a worker's `env` option would not reach it).
  process.env.NO_PROXY = '*'
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = throttling.url
  const code = `
    const { ManagedIdentityCredential, loginWithVmMSI } = require(${JSON.stringify(INDEX)})
    new ManagedIdentityCredential({ deadlineMs: 60000 }).getToken('https://management.azure.com/.default')
      .then(() => {}, () => {})
    loginWithVmMSI().then(() => {}, () => {})
  `
  const worker = new Worker(code, { eval: true })
  try {
    // The worker loads the addon first: wait (at most 5 s) until both requests are asleep.
    for (let i = 0; i < 50 && throttling.requests < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.ok(throttling.requests >= 2, 'both requests reached the endpoint')
    const started = Date.now()
    await worker.terminate()
    assert.ok(Date.now() - started < 1_000, `terminate took ${Date.now() - started} ms`)
    // The requests retry after 1 s and settle into the torn-down worker: this process lives on.
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    assert.ok(throttling.requests >= 4, 'the requests went on after the worker ended')
  } finally {
    await worker.terminate()
    await throttling.close()
  }
})
