// ManagedIdentityCredential through the public entries, against `azmi emulate` on loopback.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, test } from 'node:test'
import { inspect } from 'node:util'

import { AuthenticationError, CredentialUnavailableError, ManagedIdentityCredential, sources } from '../index.mjs'
import { ARM } from './emulator.mjs'
import { claims, emulatorPerFile } from './setup.mjs'

const emu = emulatorPerFile()

describe('entries', () => {
  test('CommonJS and ES module entries give the same classes', () => {
    const cjs = createRequire(import.meta.url)('../index.js')
    assert.equal(cjs.ManagedIdentityCredential, ManagedIdentityCredential)
    assert.ok(sources().includes('imds') && sources().includes('app_service'))
  })

  test("the package's exports map: require('azmi') and import('azmi')", async () => {
    const byName = createRequire(import.meta.url)('azmi')
    assert.equal(byName.ManagedIdentityCredential, ManagedIdentityCredential)
    const esm = await import('azmi')
    assert.equal(esm.ManagedIdentityCredential, ManagedIdentityCredential)
    assert.equal(esm.default.loginWithVmMSI, esm.loginWithVmMSI)
  })

  test('a class called without `new` throws a TypeError and leaves globalThis alone', async () => {
    const azmi = await import('../index.mjs')
    const before = Object.getOwnPropertyNames(globalThis).length
    for (const name of ['ManagedIdentityCredential', 'ArmClient', 'TokenCache', 'AccessToken']) {
      assert.throws(() => azmi[name](), (e) => e instanceof TypeError && e.message.includes(name) && /new/.test(e.message), name)
    }
    assert.equal(Object.getOwnPropertyNames(globalThis).length, before)
    // `new`, `instanceof` and subclassing still work through the entry's classes.
    await emu.use('imds')
    const cred = new ManagedIdentityCredential()
    assert.ok(cred instanceof ManagedIdentityCredential)
    class Sub extends ManagedIdentityCredential {}
    assert.ok(new Sub() instanceof ManagedIdentityCredential)
    assert.ok((await cred.getToken(ARM)) instanceof azmi.AccessToken)
  })
})

describe('getToken', () => {
  for (const source of ['imds', 'app_service', 'app_service_2017', 'azure_ml', 'cloud_shell', 'azure_arc', 'service_fabric']) {
    test(`a token from ${source}`, async () => {
      await emu.use(source)
      const cred = new ManagedIdentityCredential()
      assert.equal(cred.source, source)
      const before = Date.now()
      const t = await cred.getToken(ARM)
      assert.equal(t.tokenType, 'Bearer')
      assert.equal(claims(t.token).aud.replace(/\/$/, ''), 'https://management.azure.com')
      assert.ok(t.expiresOnTimestamp > before, 'expires in the future')
      assert.ok(t.refreshAfterTimestamp > before && t.refreshAfterTimestamp <= t.expiresOnTimestamp)
      // Azure Arc answers the first request with a 401 challenge naming its key file.
      assert.equal((await emu.requests(source)).length, source === 'azure_arc' ? 2 : 1)
    })
  }

  test('a second call is served from the cache', async () => {
    await emu.use('imds')
    const cred = new ManagedIdentityCredential()
    const a = await cred.getToken([ARM])
    const b = await cred.getToken(ARM)
    assert.equal(a.token, b.token)
    assert.equal((await emu.requests('imds')).length, 1)
  })

  test('the cache decides: one token while it is fresh, a new one after invalidate', async () => {
    await emu.use('imds')
    const cred = new ManagedIdentityCredential()
    const a = await cred.getToken(ARM)
    const b = await cred.getToken(ARM)
    assert.equal(b.token, a.token)
    assert.equal(await cred.getToken(ARM), b, 'cached calls share one settled token object')
    assert.equal((await cred.getToken('https://vault.azure.net/.default')).tokenType, 'Bearer')
    assert.equal((await cred.getToken(ARM)).token, a.token)
    cred.invalidate('https://management.azure.com')
    const c = await cred.getToken(ARM)
    assert.notEqual(c, b)
    assert.equal((await cred.getToken(ARM)).token, c.token)
    assert.equal((await emu.requests('imds')).length, 3)
  })

  test('claims from a challenge bypass the cache', async () => {
    await emu.use('imds')
    const cred = new ManagedIdentityCredential()
    await cred.getToken(ARM)
    await cred.getToken(ARM, { claims: '{"access_token":{"nbf":{"essential":true}}}' })
    assert.equal((await emu.requests('imds')).length, 2)
  })

  test('clientId as a string and in options selects that identity', async () => {
    await emu.use('imds')
    const uami = emu.identity('user_assigned')
    for (const cred of [
      new ManagedIdentityCredential(uami.client_id),
      new ManagedIdentityCredential({ clientId: uami.client_id }),
      new ManagedIdentityCredential({ objectId: uami.object_id }),
      new ManagedIdentityCredential({ resourceId: uami.resource_id }),
    ]) {
      const t = await cred.getToken(ARM)
      assert.equal(claims(t.token).oid, uami.object_id)
    }
    const system = await new ManagedIdentityCredential().getToken(ARM)
    assert.equal(claims(system.token).oid, emu.identity('system_assigned').object_id)
  })

  test('more than one identity selector fails at construction', () => {
    assert.throws(
      () => new ManagedIdentityCredential({ clientId: 'a', objectId: 'b' }),
      (e) => e.code === 'config' && /several identities/.test(e.message),
    )
    assert.throws(() => new ManagedIdentityCredential({ source: 'nowhere' }), { code: 'config' })
  })

  test('exactly one scope', async () => {
    await emu.use('imds')
    const cred = new ManagedIdentityCredential()
    for (const scopes of [[], [ARM, 'https://vault.azure.net/.default']]) {
      await assert.rejects(cred.getToken(scopes), (e) => {
        assert.equal(e.name, 'CredentialUnavailableError')
        assert.equal(e.code, 'config')
        return true
      })
    }
    assert.equal((await emu.requests()).length, 0)
  })

  test('scopes of the wrong type reject (never throw) with an error naming them', async () => {
    await emu.use('imds')
    const cred = new ManagedIdentityCredential()
    for (const scopes of [undefined, null, 42, {}, [42], [ARM, 1]]) {
      let pending
      assert.doesNotThrow(() => {
        pending = cred.getToken(scopes)
      }, `getToken(${inspect(scopes)})`)
      await assert.rejects(pending, (e) => {
        assert.equal(e.name, 'CredentialUnavailableError')
        assert.equal(e.code, 'config')
        assert.match(e.message, /"scopes": must be a string or an array of strings/)
        return true
      })
    }
    assert.equal((await emu.requests()).length, 0)
  })
})

describe("@azure/identity's error classes", () => {
  test('exported by both entries; azmi failures are instanceof them by name', async () => {
    const cjs = createRequire(import.meta.url)('../index.js')
    assert.equal(cjs.CredentialUnavailableError, CredentialUnavailableError)
    assert.equal(cjs.AuthenticationError, AuthenticationError)
    await emu.use('imds')
    // Not found (400): unavailable, as @azure/identity says.
    const notFound = await new ManagedIdentityCredential('nobody').getToken(ARM).catch((e) => e)
    assert.ok(notFound instanceof CredentialUnavailableError, notFound.name)
    assert.ok(!(notFound instanceof AuthenticationError))
    assert.ok(notFound instanceof Error)
    // A wrong option, at construction.
    const config = (() => {
      try {
        return new ManagedIdentityCredential({ clientID: 'x' })
      } catch (e) {
        return e
      }
    })()
    assert.ok(config instanceof CredentialUnavailableError, String(config))
    // The endpoint refuses (401): an authentication error.
    await emu.use('app_service')
    process.env.IDENTITY_HEADER = 'wrong'
    const refused = await new ManagedIdentityCredential().getToken(ARM).catch((e) => e)
    assert.equal(refused.statusCode, 401)
    assert.ok(refused instanceof AuthenticationError, refused.name)
    assert.ok(!(refused instanceof CredentialUnavailableError))
    // The classes are constructible, and subclasses keep ordinary instanceof.
    const own = new CredentialUnavailableError('none here')
    assert.ok(own instanceof CredentialUnavailableError && own instanceof Error)
    assert.equal(own.name, 'CredentialUnavailableError')
    class Mine extends AuthenticationError {}
    assert.ok(new Mine('x') instanceof Mine && new Mine('x') instanceof AuthenticationError)
    assert.ok(!(refused instanceof Mine))
    assert.ok(!({ name: 'AuthenticationError' } instanceof AuthenticationError))
  })
})

describe('the AccessToken shape', () => {
  test("@azure/identity's four fields are own enumerable properties: spread, keys, structuredClone", async () => {
    await emu.use('imds')
    const cred = new ManagedIdentityCredential()
    for (const t of [await cred.getToken(ARM), await cred.getToken(ARM), await cred.getTokenFor('https://vault.azure.net')]) {
      assert.deepEqual(Object.keys(t).sort(), ['expiresOnTimestamp', 'refreshAfterTimestamp', 'token', 'tokenType'])
      const plain = { ...t }
      assert.equal(plain.token, t.token)
      assert.equal(plain.expiresOnTimestamp, t.expiresOnTimestamp)
      assert.equal(plain.refreshAfterTimestamp, t.refreshAfterTimestamp)
      assert.equal(plain.tokenType, 'Bearer')
      assert.deepEqual(structuredClone(t), plain)
      // The secret stays out of inspect, with or without the custom inspect, and of JSON.
      for (const text of [inspect(t), inspect(t, { customInspect: false, showHidden: true }), JSON.stringify(t)]) {
        assert.ok(!text.includes(t.token), text)
      }
    }
  })
})

describe('no token in output', () => {
  test('inspect and JSON of a token and a credential', async () => {
    await emu.use('app_service')
    const cred = new ManagedIdentityCredential({ clientId: emu.identity('user_assigned').client_id })
    const t = await cred.getToken(ARM)
    assert.ok(t.token.length > 20)
    for (const text of [inspect(t), JSON.stringify(t), inspect(cred), JSON.stringify(cred),
      inspect({ t }, { depth: 5, showHidden: true }), String(t)]) {
      assert.ok(!text.includes(t.token), text)
      assert.ok(!text.includes(process.env.IDENTITY_HEADER), text)
    }
    assert.match(inspect(t), /expiresOnTimestamp/)
    assert.equal(JSON.parse(JSON.stringify(t)).token, '***')
    assert.equal(JSON.parse(JSON.stringify(cred)).source, 'app_service')
  })
})
