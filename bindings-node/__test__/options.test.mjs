// Option objects reach the core's one options record: a key it does not know is an error naming
// the key (never the system-assigned identity), values are range-checked there, and the
// generated TypeScript interfaces list exactly the keys each entry accepts.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'

import msRest from '@azure/ms-rest-js'

import { ArmClient, ManagedIdentityCredential, loginWithAppServiceMSI, loginWithVmMSI } from '../index.mjs'
import { ARM } from './emulator.mjs'
import { claims, emulatorPerFile } from './setup.mjs'

const emu = emulatorPerFile()

/** A check for a thrown or rejected configuration error about `key`. */
const configError = (key, pattern) => (e) => {
  assert.equal(e.code, 'config', e.message)
  assert.ok(e.message.includes(`"${key}"`), e.message)
  if (pattern) assert.match(e.message, pattern)
  return true
}

/** The keys the core accepted for an entry, read from its error for an unknown key. */
function acceptedKeys(message) {
  const m = message.match(/the options are: (.*)$/)
  assert.ok(m, message)
  return m[1].split(', ').sort()
}

/** The members of an interface in the generated index.d.ts. */
function interfaceKeys(name) {
  const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')
  const body = dts.match(new RegExp(`export interface ${name} \\{([^}]*)\\}`))
  assert.ok(body, `interface ${name} in index.d.ts`)
  return [...body[1].matchAll(/^\s*(\w+)\?:/gm)].map((m) => m[1]).sort()
}

describe('ManagedIdentityCredential options', () => {
  for (const key of ['client_id', 'managedIdentityClientId', 'clientID', 'identityId']) {
    test(`an unknown key (${key}) throws naming it`, async () => {
      await emu.use('imds')
      assert.throws(() => new ManagedIdentityCredential({ [key]: emu.identity('user_assigned').client_id }),
        configError(key, /unknown option/))
      assert.equal((await emu.requests()).length, 0)
    })
  }

  test('a client id and a second selector in the options throw', () => {
    assert.throws(() => new ManagedIdentityCredential('a-client-id', { resourceId: '/subscriptions/x' }),
      (e) => e.code === 'config' && /several identities/.test(e.message))
    assert.throws(() => new ManagedIdentityCredential('a-client-id', { clientId: 'another' }), configError('clientId', /twice/))
    assert.throws(() => new ManagedIdentityCredential('a-client-id', { objectId: 'x' }), { code: 'config' })
    assert.throws(() => new ManagedIdentityCredential({ clientId: 'a' }, {}), configError('options'))
  })

  test('a client id with other options selects that identity and keeps the options', async () => {
    await emu.use('imds')
    const uami = emu.identity('user_assigned')
    const cred = new ManagedIdentityCredential(uami.client_id, { deadlineMs: 20_000, maxRetries: 1 })
    assert.equal(cred.selector, 'clientId')
    assert.equal(claims((await cred.getToken(ARM)).token).oid, uami.object_id)
  })

  test('values are checked by the core, never clamped', () => {
    for (const deadlineMs of [-1, 1e20, 0, '5000']) {
      assert.throws(() => new ManagedIdentityCredential({ deadlineMs }), { code: 'config' }, String(deadlineMs))
    }
    assert.throws(() => new ManagedIdentityCredential({ deadlineMs: -1 }), configError('deadlineMs', /non-negative/))
    assert.throws(() => new ManagedIdentityCredential({ deadlineMs: Number.NaN }))
    assert.throws(() => new ManagedIdentityCredential({ legacyPort: 70_000 }), configError('legacyPort'))
    assert.throws(() => new ManagedIdentityCredential({ source: 'nowhere' }), configError('source', /imds, app_service/))
    assert.throws(() => new ManagedIdentityCredential(5), configError('options'))
    // A whole number past 2^32 is an integer to the core, as JavaScript writes it.
    assert.equal(new ManagedIdentityCredential({ seed: 2 ** 40 }).selector, null)
  })

  test('a value JSON cannot hold (NaN, Infinity, a function) is a config error naming its key', async () => {
    const finite = /must be a finite number/
    assert.throws(() => new ManagedIdentityCredential({ deadlineMs: Number(undefined) }), configError('deadlineMs', finite))
    assert.throws(() => new ManagedIdentityCredential('id', { maxRetries: Infinity }), configError('maxRetries', finite))
    assert.throws(() => new ManagedIdentityCredential({ seed: () => 1 }), configError('seed', /must be a string, a number/))
    assert.throws(() => new ManagedIdentityCredential(Symbol('x')), configError('options'))
    await assert.rejects(loginWithVmMSI({ resource: Number.NaN }), configError('resource', finite))
    await assert.rejects(loginWithAppServiceMSI({ msiSecret: () => 's' }), configError('msiSecret'))
    await assert.rejects(loginWithVmMSI('https://vault.azure.net'), configError('options', /must be an object/))
  })

  test("@azure/identity's retryOptions are the core's retry options", async () => {
    await emu.use('app_service')
    const busy = { kind: 'status', status: 503, body: '{"error":"busy"}' }
    await emu.fault('app_service', busy, busy)
    const once = new ManagedIdentityCredential({ retryOptions: { maxRetries: 0 } })
    await assert.rejects(once.getToken(ARM), (e) => e.statusCode === 503)
    assert.equal((await emu.requests('app_service')).length, 1)
    await emu.reset()
    await emu.use('app_service')
    await emu.fault('app_service', busy, busy)
    const uami = emu.identity('user_assigned')
    const retryOptions = { maxRetries: 2, retryDelayInMs: 1, maxRetryDelayInMs: 5 }
    const patient = new ManagedIdentityCredential(uami.client_id, { retryOptions })
    assert.equal(claims((await patient.getToken(ARM)).token).oid, uami.object_id)
    assert.equal((await emu.requests('app_service')).length, 3)
    assert.throws(() => new ManagedIdentityCredential({ retryOptions: { retries: 1 } }), configError('retryOptions', /retries/))
    assert.throws(() => new ManagedIdentityCredential({ maxRetries: 1, retryOptions: { maxRetries: 2 } }),
      configError('retryOptions', /both given/))
  })

  test("@azure/identity's other options throw with the reason, even with values JSON cannot hold", () => {
    const httpClient = { sendRequest: async () => ({}) }
    for (const [key, value] of [['loggingOptions', { allowLoggingAccountIdentifiers: true }],
      ['authorityHost', 'https://login.microsoftonline.com'], ['additionallyAllowedTenants', ['*']],
      ['httpClient', httpClient], ['proxyOptions', { host: 'http://proxy' }]]) {
      assert.throws(() => new ManagedIdentityCredential({ [key]: value }), configError(key, /is @azure\/identity's.*remove it/))
      assert.throws(() => new ManagedIdentityCredential('id', { [key]: value }), configError(key, /remove it/))
    }
  })

  test('undefined and null options are no options', () => {
    for (const cred of [new ManagedIdentityCredential(undefined), new ManagedIdentityCredential(null),
      new ManagedIdentityCredential({ clientId: undefined, objectId: null })]) {
      assert.equal(cred.selector, null)
    }
  })

  test('the generated interface lists exactly the keys the core accepts', () => {
    let message
    try { new ManagedIdentityCredential({ nope: 1 }) } catch (e) { message = e.message }
    assert.deepEqual(acceptedKeys(message), interfaceKeys('ManagedIdentityCredentialOptions'))
  })
})

describe('ArmClient options', () => {
  test('cloud, armEndpoint, armResource and deadlineMs; any other key throws naming it', () => {
    const cred = new ManagedIdentityCredential()
    assert.throws(() => new ArmClient(cred, { endpoint: emu.url, resource: 'https://management.azure.com/' }),
      configError('endpoint', /unknown option/))
    assert.throws(() => new ArmClient(cred, { clientId: 'x' }), configError('clientId'))
    assert.throws(() => new ArmClient(cred, { cloud: 'mars' }), configError('cloud', /public/))
    assert.throws(() => new ArmClient(cred, { deadlineMs: Number.NaN }), configError('deadlineMs', /must be a finite number/))
    // (The core names this key in snake_case whatever the caller's naming.)
    assert.throws(() => new ArmClient(cred, { armEndpoint: emu.url }), (e) => e.code === 'config' && /arm_?resource/i.test(e.message))
    assert.throws(() => new ArmClient(cred, { cloud: 'china', armEndpoint: emu.url, armResource: 'https://r/' }), { code: 'config' })
    new ArmClient(cred, { cloud: 'us_government' })
    new ArmClient(cred)
    // Each operation's deadline: range-checked as every deadline (hostile.test.mjs shows it bounds
    // a call against a silent ARM).
    new ArmClient(cred, { deadlineMs: 5000 })
    assert.throws(() => new ArmClient(cred, { deadlineMs: -1 }), configError('deadlineMs'))
    assert.throws(() => new ArmClient(cred, { deadlineMs: 1e20 }), { code: 'config' })
    let message
    try { new ArmClient(cred, { nope: 1 }) } catch (e) { message = e.message }
    assert.deepEqual(acceptedKeys(message), interfaceKeys('ArmClientOptions'))
  })
})

describe('ms-rest-nodeauth login options', () => {
  test('an unknown key rejects naming it; a wrong type names the key', async () => {
    await emu.use('imds')
    await assert.rejects(loginWithVmMSI({ clientID: 'x' }), configError('clientID', /unknown option/))
    await assert.rejects(loginWithVmMSI({ msiSecret: 'x' }), configError('msiSecret'))
    await assert.rejects(loginWithVmMSI({ identityId: 5 }), configError('identityId', /string/))
    await assert.rejects(loginWithVmMSI({ clientId: 'a', identityId: '/subscriptions/x' }), /several identities/)
    await assert.rejects(loginWithAppServiceMSI({ objectId: 'x' }), configError('objectId'))
    assert.equal((await emu.requests()).length, 0)
  })

  test('identityId selects by ARM resource id; httpClient is accepted and ignored', async () => {
    await emu.use('imds')
    const uami = emu.identity('user_assigned')
    const creds = await loginWithVmMSI({ identityId: uami.resource_id, httpClient: new msRest.DefaultHttpClient() })
    assert.equal(claims((await creds.getToken()).accessToken).oid, uami.object_id)
    assert.equal((await emu.requests('imds')).length, 1)
  })

  test('the generated interfaces list exactly the keys each login accepts', async () => {
    for (const [login, name] of [[loginWithVmMSI, 'MsiVmOptions'], [loginWithAppServiceMSI, 'MsiAppServiceOptions']]) {
      const e = await login({ nope: 1 }).then(() => null, (e) => e)
      assert.deepEqual(acceptedKeys(e.message), interfaceKeys(name))
    }
  })
})
