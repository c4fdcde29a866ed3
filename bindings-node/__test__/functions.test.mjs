// An Azure Functions-shaped app: App Service 2019 variables pointing at the emulator, one module-
// level credential, a handler that asks for a token on every invocation, and the platform
// rotating IDENTITY_HEADER between invocations.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { ManagedIdentityCredential } from '../index.mjs'
import { ARM } from './emulator.mjs'
import { emulatorPerFile } from './setup.mjs'

const emu = emulatorPerFile()

test('100 invocations with the header rotated between them: one token request per cache lifetime', async () => {
  await emu.use('app_service')
  assert.ok(process.env.IDENTITY_ENDPOINT && process.env.IDENTITY_HEADER)

  // What a function app writes at module level, and its handler.
  const credential = new ManagedIdentityCredential()
  const handler = async (request) => {
    const token = await credential.getToken(ARM, request.challenge ? { claims: request.challenge } : undefined)
    return { status: 200, jsonBody: { expiresOn: token.expiresOnTimestamp, tokenType: token.tokenType } }
  }

  const responses = []
  for (let i = 0; i < 100; i += 1) {
    // The platform rotates the secret header; only the newest value is accepted from now on.
    process.env.IDENTITY_HEADER = await emu.rotateIdentityHeader()
    // Invocation 50 carries a claims challenge (ARM refused the token): the cache lifetime of
    // that token ends, and the next fetch must use the header as it is now.
    const request = i === 50 ? { challenge: '{"access_token":{"nbf":{"essential":true}}}' } : {}
    responses.push(await handler(request))
  }
  assert.equal(responses.length, 100)
  assert.ok(responses.every((r) => r.status === 200 && r.jsonBody.tokenType === 'Bearer'))
  const requests = await emu.requests('app_service')
  assert.equal(requests.length, 2, 'one request for each of the two cache lifetimes')
  assert.ok(requests.every((r) => r.status === 200), JSON.stringify(requests.map((r) => r.status)))
})

test('a stale header is refused: the rotation is real', async () => {
  await emu.use('app_service')
  const old = process.env.IDENTITY_HEADER
  await emu.rotateIdentityHeader()
  process.env.IDENTITY_HEADER = old
  await assert.rejects(new ManagedIdentityCredential().getToken(ARM), { code: 'unauthorized' })
})
