// What every test file against the emulator shares: its hooks (one emulator per file, a clean
// environment and a reset emulator before each test) and the reading of the emulator's tokens.
// Apart from emulator.mjs so that the benchmark can start an emulator without `node:test`.
import { after, before, beforeEach } from 'node:test'

import { Emulator, cleanEnv } from './emulator.mjs'

/** Registers the calling file's hooks and gives its emulator. `started(emu)` is the file's own
 * set-up on the running emulator: in the same hook, as Node may run a file's `before` hooks at
 * once rather than one after the other. */
export function emulatorPerFile(started = async () => {}) {
  const emu = new Emulator()
  before(async () => {
    await emu.start()
    await started(emu)
  })
  after(() => emu.stop())
  beforeEach(async () => {
    cleanEnv()
    await emu.reset()
  })
  return emu
}

/** The payload of one of the emulator's tokens (a JWT naming audience and identity). */
export function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString())
}
