// azmi vs @azure/identity's ManagedIdentityCredential, side by side in one run against
// `azmi emulate` on loopback (IMDS through AZURE_POD_IDENTITY_AUTHORITY_HOST). Prints one table.
//   node bench/compare.mjs            (AZMI_BIN: the release `azmi` binary)
// Import time, cold first token and the 100-call burst run in fresh processes (both libraries
// keep process-wide state); cached calls/s runs in this process for a fixed time.
import { spawn, execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const SCOPE = 'https://management.azure.com/.default'
const LIBS = {
  azmi: { path: join(here, '..', 'index.js'), make: (m) => new m.ManagedIdentityCredential() },
  '@azure/identity': { path: require.resolve('@azure/identity'), make: (m) => new m.ManagedIdentityCredential() },
}
const RUNS = 5
const CACHED_MS = 1000

// --- child: one measurement in a fresh process ------------------------------------------------
if (process.argv[2] === '--child') {
  const [, , , lib, what] = process.argv
  if (what === 'import') {
    const t = process.hrtime.bigint()
    await import(pathToFileURL(lib === 'azmi' ? join(here, '..', 'index.mjs') : LIBS[lib].path.replace(/commonjs/, 'esm')).href)
    process.stdout.write(JSON.stringify({ importMs: Number(process.hrtime.bigint() - t) / 1e6 }))
    process.exit(0)
  }
  const t0 = process.hrtime.bigint()
  const mod = require(LIBS[lib].path)
  const t1 = process.hrtime.bigint()
  const cred = LIBS[lib].make(mod)
  const out = { importMs: Number(t1 - t0) / 1e6 }
  if (what === 'cold') {
    const t2 = process.hrtime.bigint()
    await cred.getToken(SCOPE)
    out.coldMs = Number(process.hrtime.bigint() - t2) / 1e6
  } else if (what === 'burst') {
    const tokens = await Promise.all(Array.from({ length: 100 }, () => cred.getToken(SCOPE)))
    out.distinct = new Set(tokens.map((t) => t.token)).size
  }
  process.stdout.write(JSON.stringify(out))
  process.exit(0)
}

// --- parent -----------------------------------------------------------------------------------
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// Imported here only: the helper clears the identity variables of the process that loads it.
const { IDENTITY_VARS, startEmulator } = await import('../__test__/emulator.mjs')
const emu = await startEmulator()
const childEnv = { ...process.env }
for (const name of IDENTITY_VARS) delete childEnv[name]
Object.assign(childEnv, emu.info.env.imds, { NO_PROXY: '*', AZURE_LOG_LEVEL: '' })
Object.assign(process.env, emu.info.env.imds)

function child(lib, what) {
  const text = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', lib, what], {
    env: childEnv,
    timeout: 120_000,
  })
  return JSON.parse(text.toString())
}

async function cachedCallsPerSecond(lib) {
  const cred = LIBS[lib].make(require(LIBS[lib].path))
  await cred.getToken(SCOPE)
  for (let i = 0; i < 1000; i += 1) await cred.getToken(SCOPE) // warm up
  let calls = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(CACHED_MS) * 1_000_000n
  let now = start
  while (now < end) {
    for (let i = 0; i < 100; i += 1) await cred.getToken(SCOPE)
    calls += 100
    now = process.hrtime.bigint()
  }
  return calls / (Number(now - start) / 1e9)
}

const rows = {}
try {
  for (const lib of Object.keys(LIBS)) {
    const imports = []
    const esmImports = []
    const colds = []
    for (let i = 0; i < RUNS; i += 1) {
      await emu.reset()
      const r = child(lib, 'cold')
      imports.push(r.importMs)
      colds.push(r.coldMs)
      esmImports.push(child(lib, 'import').importMs)
    }
    await emu.reset()
    const burst = child(lib, 'burst')
    const burstRequests = (await emu.requests('imds')).length
    await emu.reset()
    const cached = await cachedCallsPerSecond(lib)
    rows[lib] = { importMs: median(imports), esmMs: median(esmImports), coldMs: median(colds), cached, burstRequests, distinct: burst.distinct }
  }
} finally {
  emu.stop()
}

const a = rows.azmi
const b = rows['@azure/identity']
const fmt = (n, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const table = [
  ['metric', 'azmi', '@azure/identity', 'azmi vs @azure/identity'],
  [`require time, ms (median of ${RUNS} fresh processes)`, fmt(a.importMs), fmt(b.importMs), `${fmt(b.importMs / a.importMs)}x faster`],
  [`import() time, ms (ES module, median of ${RUNS} fresh processes)`, fmt(a.esmMs), fmt(b.esmMs), `${fmt(b.esmMs / a.esmMs)}x faster`],
  [`cold first token, ms (median of ${RUNS} fresh processes)`, fmt(a.coldMs), fmt(b.coldMs), `${fmt(b.coldMs / a.coldMs)}x faster`],
  [`cached getToken calls/s (sequential await, ${CACHED_MS} ms)`, fmt(a.cached, 0), fmt(b.cached, 0), `${fmt(a.cached / b.cached)}x`],
  ['endpoint requests for 100 concurrent cold calls', String(a.burstRequests), String(b.burstRequests), ''],
]
const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)))
const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
console.log(`node ${process.version}, IMDS on the azmi emulator (loopback), ${new Date().toISOString()}`)
console.log(line(table[0]))
console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`)
for (const r of table.slice(1)) console.log(line(r))
