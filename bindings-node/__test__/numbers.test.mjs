// JSON numbers through the sans-IO API keep their type: a request body reaches the `send` action
// as `JSON.stringify` would write it, and a response's numbers come back as JavaScript numbers
// (as `JSON.parse` gives them), never as BigInt.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { ArmFlow } from '../index.mjs'

const NOW = 1_700_000_000_000
const TOKEN = { token: { access_token: 'not-a-real-token', expires_on_ms: NOW + 3_600_000 } }

/** Runs a generic PUT with `body` to its `send` action. */
function sendOf(body) {
  const flow = new ArmFlow({ op: 'request', method: 'PUT', path: '/subscriptions/s/resourceGroups/g', api_version: '2021-04-01', body }, NOW)
  assert.ok('need_token' in flow.poll(NOW))
  flow.handleToken(TOKEN, NOW)
  const action = flow.poll(NOW)
  assert.ok('send' in action, JSON.stringify(Object.keys(action)))
  return [flow, action.send]
}

test('a request body: fractions stay fractions, whole numbers integers, at any size', () => {
  const body = { ratio: 1.5, tiny: 0.1, count: 3, negative: -7, above32: 2 ** 40, big: 2 ** 60, negbig: -(2 ** 60), nested: [{ x: 2.25 }] }
  const [, send] = sendOf(body)
  assert.deepEqual(JSON.parse(send.body), body)
  for (const part of ['"ratio":1.5', '"tiny":0.1', '"count":3', '"negative":-7', '"above32":1099511627776',
    '"big":1152921504606846976', '"negbig":-1152921504606846976', '"x":2.25']) {
    assert.ok(send.body.includes(part), `${part} in ${send.body}`)
  }
})

test("a response body's large integers come back as numbers", () => {
  const [flow, send] = sendOf({ location: 'westeurope' })
  flow.handleResponse(send.id, {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{"size":12345678901234567890,"count":9007199254740993,"low":-9007199254740993,"ratio":0.5,"small":7}',
  }, NOW)
  const done = flow.poll(NOW).done
  const got = done.response.body
  for (const key of ['size', 'count', 'low', 'ratio', 'small']) assert.equal(typeof got[key], 'number', key)
  assert.deepEqual(got, JSON.parse('{"size":12345678901234567890,"count":9007199254740993,"low":-9007199254740993,"ratio":0.5,"small":7}'))
  assert.doesNotThrow(() => JSON.stringify(done))
})
