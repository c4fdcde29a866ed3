// Native memory over many calls: every call that hands out a new token object (another scope, the
// array form, getTokenFor) must leave nothing behind once its objects are collected. Each mode runs
// in a child `node --expose-gc` process (a fresh heap, a clean resident-set reading).
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { promisify } from 'node:util'

import { emulatorPerFile } from './setup.mjs'

const emu = emulatorPerFile()
const PROBE = fileURLToPath(new URL('./leak-probe.mjs', import.meta.url))
const CALLS = 200_000
// A leak of even 50 bytes per call would show as 10 MB; the heap's own noise stays well below.
const LIMIT = 6 * 1024 * 1024

for (const mode of ['alternate', 'array', 'tokenFor']) {
  test(`${CALLS} calls (${mode}) keep the resident set flat`, async () => {
    await emu.use('imds')
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', PROBE, mode, String(CALLS)], {
      env: process.env,
      timeout: 120_000,
    })
    const { growthBytes } = JSON.parse(stdout)
    assert.ok(growthBytes < LIMIT, `${mode}: the resident set grew by ${(growthBytes / 1048576).toFixed(1)} MB over ${CALLS} calls`)
  })
}
