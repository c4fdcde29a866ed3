// What the hostile-endpoint suite's test and its memory probe share: the case table
// (tests/hostile/cases.json), the `azmi-hostile` process, and each case's call.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import util from 'node:util'

import { ArmClient, ManagedIdentityCredential } from '../index.mjs'
import { cleanEnv } from './emulator.mjs'

const here = dirname(fileURLToPath(import.meta.url))
export const TABLE = JSON.parse(readFileSync(join(here, '..', '..', 'tests', 'hostile', 'cases.json'), 'utf8'))
export const SECRET = TABLE.secret
const LIMITS = TABLE.limits
// The core's option names, as JavaScript spells them.
const camel = (key) => key.replace(/_([a-z])/g, (_, c) => c.toUpperCase())
const OPTIONS = Object.fromEntries(Object.entries(LIMITS).map(([k, v]) => [camel(k), v]))

export function binary() {
  if (process.env.AZMI_HOSTILE_BIN) return process.env.AZMI_HOSTILE_BIN
  const azmi = process.env.AZMI_BIN ||
    join(process.env.CARGO_TARGET_DIR || join(process.env.HOME, '.cache', 'azmi-target'), 'release', 'azmi')
  return join(dirname(azmi), 'azmi-hostile')
}

/** One `azmi-hostile` process: its servers, its tokens, its control API. */
export class Hostile {
  /** A running set, from the line `azmi-hostile` printed (`start` sets it). */
  attach(info) {
    this.info = info
    this.servers = info.servers
    this.control = info.control
    this.tokens = { token: info.token, opaque_token: info.opaque_token }
    for (const url of [this.control, ...Object.values(this.servers)]) {
      assert.ok(url.startsWith('http://127.0.0.1:'), url)
    }
    return this
  }

  /** Runs the binary; it serves until its stdin closes (`stop`) or for 15 minutes. */
  async start() {
    this.proc = spawn(binary(), ['--lifetime', '900'], { stdio: ['pipe', 'pipe', 'inherit'] })
    const lines = createInterface({ input: this.proc.stdout })
    const line = await new Promise((resolve, reject) => {
      this.proc.once('error', reject)
      this.proc.once('exit', (code) => reject(new Error(`azmi-hostile exited with ${code}`)))
      lines.once('line', resolve)
    })
    this.attach(JSON.parse(line))
  }

  call(method, path) {
    return new Promise((resolve, reject) => {
      const req = http.request(this.control + path, { method, timeout: 10_000 }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c) => { text += c })
        res.on('end', () => resolve(JSON.parse(text)))
      })
      req.on('error', reject)
      req.on('timeout', () => req.destroy(new Error('control API timed out')))
      req.end()
    })
  }

  reset() { return this.call('POST', '/reset') }

  stats(server, text) {
    const query = new URLSearchParams({ server, ...(text ? { text } : {}) })
    return this.call('GET', `/stats?${query}`)
  }

  /** Every text no error may show. */
  forbidden() {
    return [SECRET, ...Object.values(this.tokens), ...TABLE.forbidden_fragments]
  }

  stop() {
    // Closing stdin ends the servers at once; the lifetime bounds them anyway.
    this.proc.stdin.end()
    const killer = setTimeout(() => this.proc.kill(), 15_000)
    this.proc.once('exit', () => clearTimeout(killer))
  }
}

/** The case's call (a token, or ARM's subscriptions) with the table's limits. */
export function call(hostile, c) {
  cleanEnv()
  const server = hostile.servers[c.server]
  if (c.source === 'arm') {
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = hostile.servers[c.idp ?? 'token']
    const cred = new ManagedIdentityCredential(OPTIONS)
    const arm = new ArmClient(cred, { armEndpoint: server, armResource: TABLE.resource, deadlineMs: TABLE.arm_deadline_ms })
    return { cred, run: () => arm.listSubscriptions() }
  }
  if (c.source === 'imds') {
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = server
  } else {
    delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST
    process.env.IDENTITY_ENDPOINT = `${server}/msi/token`
    process.env.IDENTITY_HEADER = SECRET
  }
  const cred = new ManagedIdentityCredential(OPTIONS)
  return { cred, run: () => cred.getToken(TABLE.scope) }
}

/** Runs `run`, which must reject; the error and the time it took. */
export async function rejection(run) {
  const started = performance.now()
  const outcome = await run().then((value) => ({ value }), (err) => ({ err }))
  const took = performance.now() - started
  assert.ok(outcome.err, `a hostile endpoint gave a result: ${util.inspect(outcome.value)}`)
  return { err: outcome.err, took }
}
