// The hostile-endpoint cases of tests/hostile/cases.json through the Node binding: every identity
// source and ARM against the misbehaving servers of `azmi-hostile` on 127.0.0.1. Each case must
// reject with an Error carrying a stable code from the table, within the table's limit, and
// neither the App Service secret header value nor a token may appear in the message, String(err),
// util.inspect(err), its JSON or the credential's inspect output. The endless and oversized cases,
// run many times in a child process (hostile-probe.mjs), must not grow its resident set past the
// table's bound.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { after, before, beforeEach, describe, test } from 'node:test'
import util from 'node:util'

import { Hostile, SECRET, TABLE, call, rejection } from './hostile.mjs'

const hostile = new Hostile()
before(() => hostile.start())
after(() => hostile.stop())

describe('hostile endpoints', () => {
  beforeEach(() => hostile.reset())

  for (const c of TABLE.cases) {
    test(`${c.source}: ${c.case}`, async () => {
      const { cred, run } = call(hostile, c)
      const { err, took } = await rejection(run)
      assert.ok(err instanceof Error, util.inspect(err))
      assert.ok(c.codes.includes(err.code), `${err.code} not one of ${c.codes}: ${err.message}`)
      const name = c.source === 'arm' ? 'RestError'
        : ['unavailable', 'identity_not_found'].includes(err.code) ? 'CredentialUnavailableError' : 'AuthenticationError'
      assert.equal(err.name, name, err.message)
      const limit = c.source === 'arm' ? TABLE.arm_limit_ms : TABLE.limit_ms
      assert.ok(took < limit, `took ${took.toFixed(0)} ms, limit ${limit} ms: ${err.message}`)
      const shown = {
        message: err.message,
        string: String(err),
        inspect: util.inspect(err, { depth: 10, showHidden: true }),
        json: JSON.stringify(err),
        stack: String(err.stack),
        credential: util.inspect(cred, { depth: 10, showHidden: true }) + JSON.stringify(cred),
      }
      for (const [form, text] of Object.entries(shown)) {
        for (const secret of hostile.forbidden()) {
          assert.ok(!text.includes(secret), `${secret} in ${form}: ${text}`)
        }
      }
      if (c.unvisited) {
        assert.equal((await hostile.stats(c.unvisited)).connections, 0, `followed: ${err.message}`)
      }
      for (const [what, expected] of Object.entries(c.received ?? {})) {
        const text = what === 'secret' ? SECRET : hostile.tokens[what]
        const { received } = await hostile.stats(c.server, text)
        assert.equal(received, expected, `${what} sent to ${c.server}`)
      }
    })
  }
})

test('endless and oversized answers, many times, keep the resident set flat', async () => {
  const probe = fileURLToPath(new URL('./hostile-probe.mjs', import.meta.url))
  // glibc's mmap threshold fixed: freed 16 MiB ARM bodies go back to the system instead of staying
  // in an allocator arena, so what remains is what azmi keeps.
  const env = { ...process.env, AZMI_HOSTILE_INFO: JSON.stringify(hostile.info), MALLOC_MMAP_THRESHOLD_: String(1024 * 1024) }
  const { stdout } = await util.promisify(execFile)(process.execPath, ['--expose-gc', probe], { env, timeout: 300_000 })
  const { cases, beforeMb, afterMb } = JSON.parse(stdout)
  assert.ok(cases >= 3, 'the table names the memory cases')
  const growth = afterMb - beforeMb
  const { rounds, max_growth_mb: maxGrowth } = TABLE.memory
  assert.ok(growth < maxGrowth, `the resident set grew ${growth.toFixed(1)} MB over ${rounds} rounds of ${cases} cases`)
})
