// ms-rest-nodeauth's token response from loginWithVmMSI / loginWithAppServiceMSI credentials:
// `expiresOn` a Date (the endpoint's expiry), `expiresIn` seconds, and the other fields as
// ms-rest-nodeauth's MSITokenResponse has them.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { inspect } from 'node:util'

import {
  MSIAppServiceTokenCredentials,
  MSITokenCredentials,
  MSIVmTokenCredentials,
  loginWithAppServiceMSI,
  loginWithVmMSI,
} from '../index.mjs'
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

    test(`${login.name || source}: the response's fields are own properties, as on ms-rest-nodeauth's plain object`, async () => {
      await emu.use(source)
      const t = await (await login()).getToken()
      for (const key of ['accessToken', 'tokenType', 'expiresOn', 'expiresIn', 'resource']) {
        assert.ok(Object.keys(t).includes(key), key)
      }
      const plain = { ...t }
      assert.equal(plain.accessToken, t.accessToken)
      assert.equal(plain.expiresOn.getTime(), t.expiresOn.getTime())
      assert.equal(structuredClone(t).tokenType, 'Bearer')
      assert.ok(!inspect(t, { customInspect: false, showHidden: true }).includes(t.accessToken))
    })
  }
})

describe("ms-rest-nodeauth's credential classes", () => {
  test('new MSIVmTokenCredentials(options) builds without a request; getToken fetches', async () => {
    await emu.use('imds')
    const creds = new MSIVmTokenCredentials({ resource: 'https://vault.azure.net/' })
    assert.ok(creds instanceof MSIVmTokenCredentials && creds instanceof MSITokenCredentials)
    assert.equal(creds.resource, 'https://vault.azure.net/')
    assert.equal((await emu.requests('imds')).length, 0)
    const t = await creds.getToken()
    assert.equal(claims(t.accessToken).aud.replace(/\/$/, ''), 'https://vault.azure.net')
    assert.equal((await emu.requests('imds')).length, 1)
    assert.match(inspect(creds), /^MSIVmTokenCredentials \{/)
    assert.throws(() => new MSIVmTokenCredentials({ clientID: 'x' }), { name: 'CredentialUnavailableError', code: 'config' })
    assert.throws(() => MSIVmTokenCredentials(), TypeError)
  })

  test('new MSIAppServiceTokenCredentials() reads the environment, and throws without an endpoint', async () => {
    assert.throws(() => new MSIAppServiceTokenCredentials(), { name: 'CredentialUnavailableError', code: 'unavailable' })
    await emu.use('app_service')
    const creds = new MSIAppServiceTokenCredentials()
    assert.ok(creds instanceof MSIAppServiceTokenCredentials && !(creds instanceof MSIVmTokenCredentials))
    assert.equal((await creds.getToken()).tokenType, 'Bearer')
  })

  test('the logins resolve to instances of those classes, in both forms', async () => {
    await emu.use('imds')
    assert.ok((await loginWithVmMSI()) instanceof MSIVmTokenCredentials)
    const viaCallback = await new Promise((resolve, reject) => loginWithVmMSI((e, c) => (e ? reject(e) : resolve(c))))
    assert.ok(viaCallback instanceof MSIVmTokenCredentials)
    await emu.use('app_service')
    const app = await loginWithAppServiceMSI()
    assert.ok(app instanceof MSIAppServiceTokenCredentials && app instanceof MSITokenCredentials)
  })
})
