// ms-rest-nodeauth's token response from loginWithVmMSI / loginWithAppServiceMSI credentials:
// `expiresOn` a Date (the endpoint's expiry), `expiresIn` seconds, and the other fields as
// ms-rest-nodeauth's MSITokenResponse has them.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { inspect } from 'node:util'

import { loginWithAppServiceMSI, loginWithVmMSI } from '../index.mjs'
import { claims, emulatorPerFile } from './setup.mjs'

const emu = emulatorPerFile()

describe('ms-rest-nodeauth token responses', () => {
  for (const [source, login] of [['imds', loginWithVmMSI], ['app_service', loginWithAppServiceMSI]]) {
    test(`${login.name || source}: expiresOn is a Date at the endpoint's expiry`, async () => {
      await emu.use(source)
      const creds = await login()
      const before = Date.now()
      const t = await creds.getToken()
      assert.equal(t.tokenType, 'Bearer')
      assert.ok(t.expiresOn instanceof Date)
      // The emulator's expires_on and the token's exp are the same instant.
      assert.equal(t.expiresOn.getTime(), claims(t.accessToken).exp * 1000)
      assert.ok(t.expiresOn.getTime() > before + 60_000)
      const left = (t.expiresOn.getTime() - before) / 1000
      assert.ok(Math.abs(t.expiresIn - left) <= 2, `${t.expiresIn} vs ${left}`)
      assert.equal(t.resource.replace(/\/$/, ''), 'https://management.azure.com')
      const json = JSON.parse(JSON.stringify(t))
      assert.equal(json.expiresOn, t.expiresOn.toISOString())
      assert.equal(json.accessToken, '***')
      for (const text of [inspect(t), JSON.stringify(t)]) assert.ok(!text.includes(t.accessToken), text)
    })
  }
})
