'use strict'
// azmi for Node (CommonJS entry). The classes and functions are the native addon's (loaded by
// native.js, typed by the generated index.d.ts); this file adds only what needs
// JavaScript: `options.abortSignal`, ms-rest-nodeauth's callback forms, `util.inspect` output
// that never shows a token, classes that refuse to be called without `new`, the logs'
// @azure/logger and what an `onProgress` callback throws.

const { inspect } = require('node:util')
const { createClientLogger } = require('@azure/logger')
const native = require('./native.js')

/** azmi's events (source decision, requests, retries and waits with their reason, ARM polls) on
 * @azure/logger: shown as `azure:azmi:<level>` by AZURE_LOG_LEVEL or setLogLevel(). @azure/logger
 * ships a CommonJS and an ES module build, each with its own level; index.mjs swaps in the ES
 * module's logger (USE_LOGGER), so that the setLogLevel an importing program calls applies. */
let logger = createClientLogger('azmi')
native.setLogSink((level, line) => logger[level](line))
const USE_LOGGER = Symbol.for('azmi.useLogger')

/** @azure/abort-controller's error shape: `name` "AbortError". */
function abortError() {
  const e = new Error('The operation was aborted.')
  e.name = 'AbortError'
  e.code = 'aborted'
  return e
}

/** Rejects with an AbortError when `signal` fires first; the fetch itself stops only once every
 * caller waiting on it gave up (the addon tells the host), else its token lands in the cache. */
function abortable(pending, signal) {
  if (!signal) return pending
  if (signal.aborted) {
    pending.catch(() => {})
    return Promise.reject(abortError())
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError())
    signal.addEventListener('abort', onAbort, { once: true })
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** @azure/identity's error class for a `name`. azmi's failures are `Error`s that the native
 * layer names as @azure/identity would; `instanceof` goes by that name, so a program's
 * `e instanceof CredentialUnavailableError` keeps working with the class imported from azmi. */
function identityError(name) {
  const cls = {
    [name]: class extends Error {
      constructor(message, options) {
        super(message, options)
        this.name = name
      }

      static [Symbol.hasInstance](value) {
        if (Function.prototype[Symbol.hasInstance].call(this, value)) return true
        return this === cls && value instanceof Error && value.name === name
      }
    },
  }[name]
  return cls
}
const CredentialUnavailableError = identityError('CredentialUnavailableError')
const AuthenticationError = identityError('AuthenticationError')

/** The stand-in for each `AbortSignal` that calls share: it holds their `abort` listeners and
 * keeps one of its own on the signal while any is there. Node warns of a leak past 10 listeners
 * on one signal, which 6 concurrent calls sharing a signal would pass (each call listens twice:
 * here and in the addon). */
const relays = new WeakMap()
function relay(signal) {
  let shared = relays.get(signal)
  if (shared) return shared
  const listeners = new Set()
  const fire = () => {
    const waiting = [...listeners]
    listeners.clear()
    for (const listener of waiting) listener()
  }
  shared = {
    get aborted() {
      return signal.aborted
    },
    addEventListener(type, listener) {
      if (type !== 'abort' || typeof listener !== 'function') return
      if (listeners.size === 0) signal.addEventListener('abort', fire, { once: true })
      listeners.add(listener)
    },
    removeEventListener(type, listener) {
      if (type !== 'abort' || !listeners.delete(listener) || listeners.size > 0) return
      signal.removeEventListener('abort', fire)
    },
  }
  relays.set(signal, shared)
  return shared
}

const credentialProto = native.ManagedIdentityCredential.prototype
const nativeGetToken = credentialProto.getToken
Object.defineProperty(credentialProto, 'getToken', {
  configurable: true,
  writable: true,
  value: function getToken(scopes, options) {
    const signal = options && options.abortSignal
    if (!signal) return nativeGetToken.call(this, scopes, options)
    if (signal.aborted) return Promise.reject(abortError())
    const shared = relay(signal)
    return abortable(nativeGetToken.call(this, scopes, { ...options, abortSignal: shared }), shared)
  },
})

/** ms-rest-nodeauth's `(options?, callback?)`: a promise, and the callback when one is given.
 * The promise is returned in both forms (the generated types have one signature); with a
 * callback its rejection is the callback's, never an unhandled rejection. */
function withCallback(login) {
  return function (options, callback) {
    if (typeof options === 'function') {
      callback = options
      options = undefined
    }
    const pending = login(options)
    if (typeof callback === 'function') {
      pending.then(
        (credentials) => callback(null, credentials),
        (error) => callback(error),
      )
    }
    return pending
  }
}

/** ms-rest-nodeauth's credential classes over the native `MsiTokenCredentials` (its methods are
 * theirs): `new MSIVmTokenCredentials(options?)` builds what `loginWithVmMSI` resolves to, without
 * a request, and both logins' credentials are instances of these. */
function msiCredentials(name, build) {
  // A computed key names the class (its errors and stack frames say `name`).
  return {
    [name]: class extends native.MsiTokenCredentials {
      constructor(options) {
        // The native object, made an instance of this class (or of the caller's subclass).
        return Object.setPrototypeOf(build(options), new.target.prototype)
      }
    },
  }[name]
}
const MSIVmTokenCredentials = msiCredentials('MSIVmTokenCredentials', native.msiVmCredentials)
const MSIAppServiceTokenCredentials = msiCredentials('MSIAppServiceTokenCredentials', native.msiAppServiceCredentials)

/** A login resolving to credentials of class `cls`. */
function loginAs(login, cls) {
  return (options) => login(options).then((credentials) => Object.setPrototypeOf(credentials, cls.prototype))
}

for (const cls of [
  native.AccessToken,
  native.ManagedIdentityCredential,
  native.MsiTokenCredentials,
  native.MsiTokenResponse,
]) {
  Object.defineProperty(cls.prototype, inspect.custom, {
    configurable: true,
    value: function (depth, options, insp) {
      return `${this.constructor.name} ${(insp || inspect)(this.toJSON(), options)}`
    },
  })
}
Object.defineProperty(native.ArmClient.prototype, inspect.custom, {
  configurable: true,
  value: () => 'ArmClient {}',
})

/** `options` with `onProgress` wrapped so that it never throws into the addon: it answers
 * whether the operation goes on, and keeps what the caller's callback threw. */
function progressOptions(options) {
  const onProgress = options && options.onProgress
  if (typeof onProgress !== 'function') return { options, thrown: () => undefined }
  let threw = false
  let error
  const wrapped = (progress) => {
    try {
      onProgress(progress)
      return true
    } catch (e) {
      threw = true
      error = e
      return false
    }
  }
  return { options: { ...options, onProgress: wrapped }, thrown: () => (threw ? { error } : undefined) }
}

/** An ARM method whose `options` (at `index`) may carry `onProgress`: what the callback throws
 * stops the operation and is what the promise rejects with. */
function withProgress(name, index) {
  const proto = native.ArmClient.prototype
  const method = proto[name]
  Object.defineProperty(proto, name, {
    configurable: true,
    writable: true,
    value: function (...args) {
      const { options, thrown } = progressOptions(args[index])
      if (args.length > index) args[index] = options
      return method.apply(this, args).catch((e) => {
        const t = thrown()
        throw t ? t.error : e
      })
    },
  })
}
withProgress('deleteResourceGroup', 2)
withProgress('request', 4)

/** A native class called without `new` would run its constructor on `globalThis` (napi does
 * not check `new.target`); the proxy refuses that call as JavaScript's own classes do. */
function requireNew(cls) {
  return new Proxy(cls, {
    apply() {
      throw new TypeError(`Class constructor ${cls.name} cannot be invoked without 'new'`)
    },
  })
}

const classes = {}
for (const [name, value] of Object.entries(native)) {
  if (typeof value === 'function' && value.prototype && /^[A-Z]/.test(name)) classes[name] = requireNew(value)
}

const { setLogSink, msiVmCredentials, msiAppServiceCredentials, ...exported } = native

module.exports = {
  ...exported,
  ...classes,
  CredentialUnavailableError,
  AuthenticationError,
  MSITokenCredentials: classes.MsiTokenCredentials,
  MSIVmTokenCredentials,
  MSIAppServiceTokenCredentials,
  loginWithVmMSI: withCallback(loginAs(native.loginWithVmMSI, MSIVmTokenCredentials)),
  loginWithAppServiceMSI: withCallback(loginAs(native.loginWithAppServiceMSI, MSIAppServiceTokenCredentials)),
}
Object.defineProperty(module.exports, USE_LOGGER, {
  value: (clientLogger) => {
    logger = clientLogger
  },
})
