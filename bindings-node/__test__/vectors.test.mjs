// Every shared vector in tests/vectors/ (schema: its README) through azmi's Node sans-IO API
// (TokenFlow, TokenCache, ArmFlow, detect): the cases the Rust core runs, checked from Node.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'

import { ArmFlow, TokenCache, TokenFlow, detect } from '../index.mjs'

const VECTORS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'vectors')
const FILES = readdirSync(VECTORS).filter((f) => f.endsWith('.json')).sort()
const DEFAULT_START = 1_700_000_000_000

class Mismatch extends Error {}

function expect(what, want, got) {
  if (!isDeepStrictEqual(want, got)) {
    throw new Mismatch(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`)
  }
}

test('there are vectors', () => {
  assert.ok(FILES.length >= 300, `only ${FILES.length} vectors in ${VECTORS}`)
})

for (const file of FILES) {
  test(file.replace(/\.json$/, ''), () => {
    const c = JSON.parse(readFileSync(join(VECTORS, file), 'utf8'))
    const run = { flow: runFlow, detect: runDetect, cache: runCache, arm: runArm }[c.kind]
    assert.ok(run, `unknown kind ${c.kind}`)
    run(c)
  })
}

// --- token flows ------------------------------------------------------------------------------

function runFlow(c) {
  let now = c.start_ms ?? DEFAULT_START
  const arc = Boolean(c.arc_agent_installed)
  let flow
  try {
    flow = new TokenFlow(c.config ?? {}, c.env ?? {}, now, arc)
  } catch (e) {
    return checkError(c.outcome, e.code ?? 'bad_input', e.message, null)
  }
  ;(c.steps ?? []).forEach((step, i) => {
    try {
      now = flowStep(flow, step, now, arc)
    } catch (e) {
      if (e instanceof Mismatch) throw new Mismatch(`step ${i}: ${e.message}`)
      throw e
    }
  })
  const action = flow.poll(now)
  if (!('done' in action)) throw new Mismatch(`after the last step expected done, got ${Object.keys(action)}`)
  checkTokenOutcome(c.outcome, action.done)
}

function flowStep(flow, step, now, arc) {
  if ('env' in step) {
    flow.handleEnv(step.env, arc)
    return now
  }
  if ('advance_ms' in step) return now + step.advance_ms
  const action = flow.poll(now)
  if ('send' in step) return answer(flow, step, action, now)
  if ('wait_ms' in step) return takeWait(step, action, now)
  if ('read_file' in step) {
    const read = action.read_file
    if (!read) throw new Mismatch(`expected read_file, got ${Object.keys(action)}`)
    expect('read_file.path', step.read_file.path, read.path)
    if ('max_bytes' in step.read_file) expect('read_file.max_bytes', step.read_file.max_bytes, read.max_bytes)
    if ('file' in step) flow.handleFile(read.id, now, step.file, null)
    else flow.handleFile(read.id, now, null, step.file_error)
    return now
  }
  throw new Mismatch(`unknown step ${JSON.stringify(step)}`)
}

function answer(flow, step, action, now) {
  const send = action.send
  if (!send) throw new Mismatch(`expected send, got ${JSON.stringify(action)}`)
  checkSend(step.send, send)
  now += step.elapsed_ms ?? 0
  if ('response' in step) flow.handleResponse(send.id, step.response, now)
  else flow.handleTransportError(send.id, step.transport_error, now)
  return now
}

function takeWait(step, action, now) {
  const until = action.wait_until_ms
  if (until === undefined) throw new Mismatch(`expected wait_until_ms, got ${Object.keys(action)}`)
  const [lo, hi] = Array.isArray(step.wait_ms) ? step.wait_ms : [step.wait_ms, step.wait_ms]
  if (!(lo <= until - now && until - now <= hi)) {
    throw new Mismatch(`expected a wait of ${lo}..=${hi} ms, got ${until - now} ms`)
  }
  return until
}

/** Decoded parameters, blank values left out (as the Python runner's parse_qsl). */
function params(text) {
  const out = {}
  for (const [k, v] of new URLSearchParams(text)) if (v !== '') out[k] = v
  return out
}

function checkSend(want, got) {
  const url = new URL(got.url)
  if ('method' in want) expect('method', want.method, got.method)
  if ('url' in want) expect('url', want.url, `${url.protocol}//${url.host}${url.pathname}`)
  if ('query' in want) expect('query', strings(want.query), params(url.search))
  if ('form' in want) expect('form', strings(want.form), params(got.body))
  else if ('json' in want) expect('json body', want.json, JSON.parse(got.body))
  else if (got.body && 'method' in want) throw new Mismatch(`unexpected body ${JSON.stringify(got.body)}`)
  const headers = Object.fromEntries(Object.entries(got.headers).map(([k, v]) => [k.toLowerCase(), v]))
  for (const [name, value] of Object.entries(want.headers ?? {})) {
    expect(`header ${name}`, value, headers[name.toLowerCase()] ?? null)
  }
  for (const name of want.absent_headers ?? []) {
    if (name.toLowerCase() in headers) throw new Mismatch(`header ${name} must be absent`)
  }
  if ('timeout_ms' in want) expect('timeout_ms', want.timeout_ms, got.timeout_ms)
  if ('tls_pin' in want) expect('tls_pin', want.tls_pin, got.tls_pin)
}

function strings(mapping) {
  return Object.fromEntries(
    Object.entries(mapping).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  )
}

function checkTokenOutcome(want, done) {
  if ('error' in done) {
    const e = done.error
    return checkError(want, e.code, e.message, e.attempts.length)
  }
  const token = done.token
  if (!('token' in want)) {
    throw new Mismatch(`expected ${JSON.stringify(want)}, got a token expiring at ${token.expires_on_ms}`)
  }
  for (const field of ['access_token', 'token_type', 'expires_on_ms', 'refresh_on_ms', 'resource']) {
    if (field in want.token) expect(field, want.token[field], token[field])
  }
}

function checkError(want, code, message, attempts) {
  if (!('error' in want)) throw new Mismatch(`expected ${JSON.stringify(want)}, got error ${code}: ${message}`)
  const w = want.error
  expect('error code', w.code, code)
  if ('attempts' in w && attempts !== null) expect('attempts', w.attempts, attempts)
  for (const s of w.message_contains ?? []) {
    if (!message.includes(s)) throw new Mismatch(`message ${JSON.stringify(message)} lacks ${JSON.stringify(s)}`)
  }
  for (const s of w.message_excludes ?? []) {
    if (message.includes(s)) throw new Mismatch(`message ${JSON.stringify(message)} contains ${JSON.stringify(s)}`)
  }
}

// --- detection --------------------------------------------------------------------------------

function runDetect(c) {
  const arc = Boolean(c.arc_agent_installed)
  const config = c.config ?? {}
  const env = c.env ?? {}
  const want = c.outcome
  if ('error' in want) {
    // A detection that cannot resolve is a config error when the flow is built.
    let raised
    try {
      new TokenFlow({ ...config, resource: 'https://management.azure.com/' }, env, DEFAULT_START, arc)
    } catch (e) {
      raised = e
    }
    if (!raised) throw new Mismatch('expected a config error when building the flow')
    return checkError(want, raised.code, raised.message, null)
  }
  const got = detect(config, env, arc)
  expect('source', want.source, got.source)
  if ('decided_by' in want) expect('decided_by', new Set(want.decided_by), new Set(got.decided_by))
  if ('forced' in want) expect('forced', want.forced, got.forced)
}

// --- the cache --------------------------------------------------------------------------------

function runCache(c) {
  const start = c.start_ms ?? DEFAULT_START
  const cache = new TokenCache()
  const tickets = {}
  const waiters = {}
  c.ops.forEach((op, i) => {
    try {
      cacheOp(cache, c.keys, op, start + (op.at_ms ?? 0), start, tickets, waiters)
    } catch (e) {
      if (e instanceof Mismatch) throw new Mismatch(`op ${i}: ${e.message}`)
      throw e
    }
  })
}

function cacheOp(cache, keys, op, now, start, tickets, waiters) {
  if ('lookup' in op) {
    const got = cache.lookup(keys[op.lookup], now)
    const want = op.expect
    let kind = ['fresh', 'stale', 'fetch', 'wait'].find((k) => k in got)
    if (got.ticket !== undefined && got.ticket !== null) kind = 'stale_refresh'
    expect('lookup', want, kind)
    if (['fresh', 'stale', 'stale_refresh'].includes(want)) {
      const token = got.fresh ?? got.stale
      expect('access_token', op.access_token ?? null, token.access_token)
    }
    if (['fetch', 'stale_refresh'].includes(want)) tickets[op.ticket] = got.fetch ?? got.ticket
    if (want === 'wait') waiters[op.waiter] = got.wait
  } else if ('complete' in op) {
    let result
    if ('token' in op) {
      const token = { ...op.token }
      token.expires_on_ms += start
      if ('refresh_on_ms' in token) token.refresh_on_ms += start
      result = { token }
    } else {
      // A token error in the core's wire form (code, the kind's fields, source), as given.
      result = { error: op.error }
    }
    const ticket = tickets[op.complete]
    delete tickets[op.complete]
    cache.complete(ticket, result, now)
  } else if ('poll_wait' in op) {
    const got = cache.pollWait(waiters[op.poll_wait], now)
    const kind = Object.keys(got)[0]
    expect('poll_wait', op.expect, kind)
    if (kind === 'token') expect('access_token', op.access_token ?? null, got.token.access_token)
    if (kind === 'error') expect('code', op.code ?? null, got.error.code)
  } else {
    throw new Mismatch(`unknown op ${JSON.stringify(op)}`)
  }
}

// --- ARM --------------------------------------------------------------------------------------

function runArm(c) {
  const config = c.config ?? {}
  const cloud = c.cloud ?? null
  const want = c.outcome
  let now = c.start_ms ?? DEFAULT_START
  let flow
  try {
    flow = 'resume' in c ? ArmFlow.resume(c.resume, now, config, cloud) : new ArmFlow(c.operation, now, config, cloud)
  } catch (e) {
    return checkError(want, e.code ?? 'bad_input', e.message, null)
  }
  ;(c.steps ?? []).forEach((step, i) => {
    try {
      ;[now, flow] = armStep(flow, step, now, config, cloud)
    } catch (e) {
      if (e instanceof Mismatch) throw new Mismatch(`step ${i}: ${e.message}`)
      throw e
    }
  })
  const action = flow.poll(now)
  if (!('done' in action)) throw new Mismatch(`after the last step expected done, got ${Object.keys(action)}`)
  checkArmOutcome(want, action.done)
}

function armStep(flow, step, now, config, cloud) {
  if ('advance_ms' in step) return [now + step.advance_ms, flow]
  if ('continuation' in step) {
    const token = flow.continuationToken()
    if (token === null) throw new Mismatch('no continuation token')
    return [now, ArmFlow.resume(token, now, config, cloud)]
  }
  const action = flow.poll(now)
  if ('token' in step) {
    const need = action.need_token
    if (!need) throw new Mismatch(`expected need_token, got ${Object.keys(action)}`)
    expect('token resource', step.token.resource, need.resource)
    expect('token refresh', step.token.refresh ?? false, need.refresh)
    if ('give' in step) {
      const token = { access_token: step.give, expires_on_ms: now + 3_600_000, refresh_on_ms: now + 3_300_000 }
      flow.handleToken({ token }, now)
    } else {
      flow.handleToken({ error: step.give_error }, now)
    }
    return [now, flow]
  }
  if ('send' in step) return [answer(flow, step, action, now), flow]
  if ('wait_ms' in step) return [takeWait(step, action, now), flow]
  throw new Mismatch(`unknown step ${JSON.stringify(step)}`)
}

function checkArmOutcome(want, done) {
  if ('error' in done) return checkArmError(want, done.error)
  if ('response' in done) {
    if (!('response' in want)) throw new Mismatch(`expected ${JSON.stringify(want)}, got a response ${done.response.status}`)
    const r = done.response
    if ('status' in want.response) expect('status', want.response.status, r.status)
    if ('body' in want.response) expect('body', want.response.body, r.body)
    return checkExtras(want, r)
  }
  if ('items' in done) {
    expect('items', want.items ?? null, done.items)
    return checkExtras(want, done.last)
  }
  if ('exists' in done) {
    expect('exists', want.exists ?? null, done.exists)
    return checkExtras(want, done.last)
  }
  expect('cloud', want.cloud ?? null, done.cloud)
}

function checkExtras(want, last) {
  for (const [name, value] of Object.entries(want.rate_limits ?? {})) {
    expect(`rate limit ${name}`, value, last.rate_limits[name] ?? null)
  }
  if ('request_id' in want) expect('request_id', want.request_id, last.request_id)
}

function checkArmError(want, e) {
  checkError(want, e.code, e.message, null)
  for (const field of ['status', 'arm_code', 'target', 'details_count', 'request_id', 'correlation_id']) {
    if (field in want.error) expect(field, want.error[field], e[field])
  }
}
