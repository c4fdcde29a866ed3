// Token fetches must not hold libuv's worker pool: against an endpoint that accepts and never
// answers, uncached getToken calls leave fs, crypto and dns their threads, and an AbortSignal
// rejects its call at once.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import net from 'node:net'
import { after, before, test } from 'node:test'

import { ManagedIdentityCredential } from '../index.mjs'
import { cleanEnv } from './emulator.mjs'

const sockets = new Set()
// Accepts and stays silent; closed after the file (and destroyed by its own timer at worst).
const server = net.createServer((socket) => {
  sockets.add(socket)
  socket.on('error', () => {})
  socket.setTimeout(20_000, () => socket.destroy())
})
let url

before(async () => {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${server.address().port}`
})
after(() => {
  for (const s of sockets) s.destroy()
  server.close()
})

function silentCredential() {
  cleanEnv()
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = url
  return new ManagedIdentityCredential({ deadlineMs: 3_000, maxRetries: 0 })
}

test('fetches waiting on a silent endpoint leave fs.readFile its thread', async () => {
  const cred = silentCredential()
  const scopes = ['management.azure.com', 'storage.azure.com', 'vault.azure.net', 'graph.microsoft.com',
    'database.windows.net', 'servicebus.azure.net'].map((host) => `https://${host}/.default`)
  const pending = scopes.map((s) => cred.getToken(s).then(() => 'resolved', (e) => e))
  // Let every fetch reach its blocking wait.
  await new Promise((resolve) => setTimeout(resolve, 200))
  const started = Date.now()
  const text = await readFile(new URL(import.meta.url), 'utf8')
  const took = Date.now() - started
  assert.ok(text.includes('silent endpoint'))
  assert.ok(took < 1_000, `fs.readFile waited ${took} ms behind ${scopes.length} token fetches`)
  for (const outcome of await Promise.all(pending)) {
    assert.ok(outcome instanceof Error, 'a silent endpoint gives no token')
  }
})

test('an AbortSignal that fires rejects the waiting call at once', async () => {
  const cred = silentCredential()
  const controller = new AbortController()
  const started = Date.now()
  const pending = cred.getToken('https://management.azure.com/.default', { abortSignal: controller.signal })
  setTimeout(() => controller.abort(), 100)
  await assert.rejects(pending, { name: 'AbortError' })
  assert.ok(Date.now() - started < 1_000, 'rejected long after the abort')
})
