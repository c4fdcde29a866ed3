// Soak: bursts of concurrent getToken promises for a fixed time against `azmi emulate` (started
// by scripts/soak, which exports its variables and queues faults). Prints one table row: calls,
// endpoint requests, expired tokens served, errors by code, RSS. Exits 1 when an expired token
// was served. Environment: AZMI_SOAK_SECONDS, AZMI_SOAK_BURST, AZMI_SOAK_CONTROL (emulator URL).
//
// Growth is measured outside V8's heap. The resident set also holds the heap V8 has reserved
// (`heapTotal`), and V8 grows its young generation in steps under a high allocation rate (each
// call allocates a promise) and keeps it: over 10 M calls `heapTotal` went 5.5 → 11.5 → 19.5 →
// 35.5 MB at about 1 M, 2 M and 8 M calls, then stays (its cap), while `heapUsed` stayed at
// 3.1 MB and the resident set outside the heap at 47.1–47.5 MB from 1 M calls on. With
// `--max-semi-space-size=1` `heapTotal` stays at 5.5 MB and the resident set grows 0.1 MB over
// 2.5 M calls. So the row's growth figure is that of `rss - heapTotal` (what native code and
// buffers keep), and the heap's own figures are printed beside it. Outside the heap, the first
// fetch adds about 8 MB once (its thread, TLS and HTTP set-up); after that, with tokens living
// 4 s (a fetch every 2 s), it crept 49.4 → 54.0 MB over 3 M calls, and stayed flat (47.1 → 46.0)
// with MALLOC_ARENA_MAX=1: glibc gives fetch threads further malloc arenas, at most 8 per core,
// so that creep is bounded too. A short run still carries some of these one-off steps.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { ManagedIdentityCredential } = require('../index.js')

const SCOPE = 'https://management.azure.com/.default'
const seconds = Number(process.env.AZMI_SOAK_SECONDS ?? 10)
const burst = Number(process.env.AZMI_SOAK_BURST ?? 100)
const control = process.env.AZMI_SOAK_CONTROL.replace(/\/$/, '')

// After a full collection when node runs with --expose-gc (scripts/soak does), so garbage not
// yet collected does not count as growth.
const memoryMb = () => {
  globalThis.gc?.()
  const m = process.memoryUsage()
  const mb = (bytes) => bytes / (1024 * 1024)
  return { rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external) }
}

const credential = new ManagedIdentityCredential()
let calls = 0
let expired = 0
const errors = new Map()

const one = async () => {
  calls += 1
  try {
    const token = await credential.getToken(SCOPE)
    if (token.expiresOnTimestamp <= Date.now()) expired += 1
  } catch (e) {
    const code = e?.code ?? e?.name ?? 'unknown'
    errors.set(code, (errors.get(code) ?? 0) + 1)
  }
}

const soak = async (secs) => {
  const stop = performance.now() + secs * 1000
  while (performance.now() < stop) {
    await Promise.all(Array.from({ length: burst }, one))
  }
}

// A warm-up first (not counted), so the growth figure measures what calls keep, not start-up.
await soak(Math.min(1, seconds / 5))
calls = 0
expired = 0
errors.clear()
const before = memoryMb()
await soak(seconds)
const after = memoryMb()

const log = await (await fetch(`${control}/_emulator/requests`)).json()
const imds = log.filter((r) => r.endpoint === 'imds')
const faulted = imds.filter((r) => r.fault != null && r.fault !== 'pass').length
const requests = `${imds.length} (${faulted} faulted)`
const errorText = [...errors].sort().map(([c, n]) => `${c}:${n}`).join(' ') || '0'
const perMillion = (mb) => ((mb / Math.max(calls, 1)) * 1e6).toFixed(2)
const outside = (m) => m.rss - m.heapTotal
const change = (key) => `${before[key].toFixed(1)} → ${after[key].toFixed(1)}`
console.log(
  `| node (bursts of ${burst}) | ${calls} | ${requests} | ${expired} | ${errorText} | ` +
    `${before.rss.toFixed(1)} | ${after.rss.toFixed(1)} | ` +
    `${perMillion(outside(after) - outside(before))} outside V8's heap ` +
    `(RSS ${perMillion(after.rss - before.rss)}; V8 heapTotal ${change('heapTotal')} MB, ` +
    `heapUsed ${change('heapUsed')} MB, external ${change('external')} MB) |`,
)
process.exitCode = expired > 0 ? 1 : 0
