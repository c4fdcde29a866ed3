// azmi's events on @azure/logger, as a user sees them: a child node with AZURE_LOG_LEVEL (or
// setLogLevel) writes them to stderr (@azure/logger's default). Each retry has its line with its
// reason; a cached token logs nothing; no line holds a token.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { describe, test } from 'node:test'

import { emulatorPerFile } from './setup.mjs'

const emu = emulatorPerFile()
const INDEX = new URL('../index.mjs', import.meta.url).href
const CJS_INDEX = new URL('../index.js', import.meta.url).pathname

/** Runs `body` (after `azmi` and @azure/logger's `setLogLevel` are loaded, as an ES module or with
 * `cjs` as CommonJS; without `load`, `azmi` is the body's to load) in a child node with the
 * test's environment plus `env`; resolves to its stdout and stderr. */
function child(body, env = {}, { cjs = false, load = true } = {}) {
  const prelude = cjs
    ? `const azmi = require('./index.js'); const { setLogLevel } = require('@azure/logger');`
    : `${load ? `import * as azmi from ${JSON.stringify(INDEX)};` : ''} import { setLogLevel } from '@azure/logger';`
  const script = `${prelude}
    const settle = () => new Promise((resolve) => setTimeout(resolve, 100))
    ${cjs ? `;(async () => { ${body} })()` : body}
  `
  return new Promise((resolve, reject) => {
    const env1 = { ...process.env, ...env }
    if (!('AZURE_LOG_LEVEL' in env)) delete env1.AZURE_LOG_LEVEL
    const args = cjs ? ['-e', script] : ['--input-type=module', '-e', script]
    const proc = spawn(process.execPath, args, {
      env: env1,
      cwd: new URL('..', import.meta.url),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (c) => { stdout += c })
    proc.stderr.on('data', (c) => { stderr += c })
    proc.on('error', reject)
    proc.on('exit', (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`child exited ${code}: ${stderr}`))))
  })
}

const azmiLines = (stderr) => stderr.split('\n').filter((l) => l.startsWith('azure:azmi:'))

describe('logs on @azure/logger', () => {
  test('AZURE_LOG_LEVEL=verbose: the source decision, each request, each retry with its reason; no token', async () => {
    await emu.use('imds')
    await emu.fault('imds', 'gone', { kind: 'throttle', retry_after_secs: 1 })
    const { stdout, stderr } = await child(`
      const token = await new azmi.ManagedIdentityCredential({ initialDelayMs: 10 }).getToken('https://management.azure.com/.default')
      await settle()
      process.stdout.write(token.token)
    `, { AZURE_LOG_LEVEL: 'verbose' })
    const token = stdout.trim()
    assert.ok(token.length > 20)
    assert.ok(!stderr.includes(token), 'no token on stderr')
    const lines = azmiLines(stderr)
    assert.ok(lines.some((l) => l.startsWith('azure:azmi:info') && /source/.test(l) && /imds/.test(l)), stderr)
    const retries = lines.filter((l) => l.includes('retrying'))
    assert.equal(retries.length, 2, stderr)
    assert.match(retries[0], /^azure:azmi:info retrying after status 410 .*retry=1.*set_by=backoff/)
    assert.match(retries[1], /^azure:azmi:info retrying after status 429 .*retry=2.*set_by=retry_after/)
    const sent = lines.filter((l) => l.includes(' sending'))
    assert.equal(sent.length, 3, stderr)
    assert.ok(sent.every((l) => l.startsWith('azure:azmi:verbose')), stderr)
    assert.equal((await emu.requests('imds')).length, 3)
  })

  for (const cjs of [false, true]) {
    test(`${cjs ? 'require' : 'import'}: without AZURE_LOG_LEVEL nothing is written; setLogLevel("info") shows info, not verbose`, async () => {
      await emu.use('imds')
      await emu.fault('imds', 'gone')
      const quiet = await child(`
        await new azmi.ManagedIdentityCredential({ initialDelayMs: 10 }).getToken('https://management.azure.com/.default')
        await settle()
      `, {}, { cjs })
      assert.deepEqual(azmiLines(quiet.stderr), [])
      await emu.fault('imds', 'gone')
      const info = await child(`
        setLogLevel('info')
        await new azmi.ManagedIdentityCredential({ initialDelayMs: 10 }).getToken('https://management.azure.com/.default')
        await settle()
      `, {}, { cjs })
      const lines = azmiLines(info.stderr)
      assert.ok(lines.some((l) => /^azure:azmi:info retrying after status 410/.test(l)), info.stderr)
      assert.ok(lines.every((l) => !l.startsWith('azure:azmi:verbose')), info.stderr)
    })
  }

  test('a cached token logs nothing', async () => {
    await emu.use('imds')
    const { stderr } = await child(`
      const credential = new azmi.ManagedIdentityCredential()
      await credential.getToken('https://management.azure.com/.default')
      await settle()
      process.stderr.write('CACHED\\n')
      for (let i = 0; i < 100; i++) await credential.getToken('https://management.azure.com/.default')
      await settle()
      process.stderr.write('END\\n')
    `, { AZURE_LOG_LEVEL: 'verbose' })
    const [before, cached] = stderr.split('CACHED\n')
    assert.ok(azmiLines(before).length > 0, stderr)
    assert.deepEqual(azmiLines(cached.split('END\n')[0]), [])
  })

  test('a worker that loaded azmi first and ended leaves the logs to the main thread', async () => {
    await emu.use('imds')
    const { stderr } = await child(`
      const { Worker } = await import('node:worker_threads')
      const worker = new Worker(\`
        const { ManagedIdentityCredential } = require(${JSON.stringify(CJS_INDEX)})
        new ManagedIdentityCredential().getToken('https://vault.azure.net/.default')
          // The worker's stderr reaches the process through the main thread: let it through.
          .then(() => setTimeout(() => require('node:worker_threads').parentPort.postMessage('done'), 200))
      \`, { eval: true, execArgv: [] })
      await new Promise((resolve) => worker.once('message', resolve))
      await worker.terminate()
      process.stderr.write('MAIN\\n')
      const azmi = await import(${JSON.stringify(INDEX)})
      await new azmi.ManagedIdentityCredential().getToken('https://management.azure.com/.default')
      await settle()
    `, { AZURE_LOG_LEVEL: 'info' }, { load: false })
    const [inWorker, inMain] = stderr.split('MAIN\n')
    assert.ok(azmiLines(inWorker).some((l) => /fetching/.test(l)), stderr)
    assert.ok(azmiLines(inMain).some((l) => /fetching/.test(l)), stderr)
  })

  test('ARM polls are logged with their status', async () => {
    await emu.use('imds')
    const sub = emu.info.subscriptions[0].subscription_id
    const { stderr } = await child(`
      const arm = new azmi.ArmClient(new azmi.ManagedIdentityCredential(), { armEndpoint: ${JSON.stringify(emu.url)}, armResource: 'https://management.azure.com/' })
      await arm.createResourceGroup(${JSON.stringify(sub)}, 'azmi-node-logged', 'westeurope')
      await arm.deleteResourceGroup(${JSON.stringify(sub)}, 'azmi-node-logged')
      await settle()
    `, { AZURE_LOG_LEVEL: 'info' })
    const polls = azmiLines(stderr).filter((l) => l.includes('polling again'))
    assert.ok(polls.length >= 2, stderr)
    assert.ok(polls.every((l) => /status=20[02]/.test(l)), stderr)
  })
})
