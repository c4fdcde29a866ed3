// Soak: bursts of concurrent getToken promises for a fixed time against `azmi emulate` (started
// by scripts/soak, which exports its variables and queues faults). Prints one table row: calls,
// endpoint requests, expired tokens served, errors by code, RSS. Exits 1 when an expired token
// was served. Environment: AZMI_SOAK_SECONDS, AZMI_SOAK_BURST, AZMI_SOAK_CONTROL (emulator URL).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { ManagedIdentityCredential } = require('../index.js')

const SCOPE = 'https://management.azure.com/.default'
const seconds = Number(process.env.AZMI_SOAK_SECONDS ?? 10)
const burst = Number(process.env.AZMI_SOAK_BURST ?? 100)
const control = process.env.AZMI_SOAK_CONTROL.replace(/\/$/, '')

// After a full collection when node runs with --expose-gc (scripts/soak does), so garbage not
// yet collected does not count as growth.
const rssMb = () => {
  globalThis.gc?.()
  return process.memoryUsage.rss() / (1024 * 1024)
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
const before = rssMb()
await soak(seconds)
const after = rssMb()

const log = await (await fetch(`${control}/_emulator/requests`)).json()
const imds = log.filter((r) => r.endpoint === 'imds')
const faulted = imds.filter((r) => r.fault != null && r.fault !== 'pass').length
const requests = `${imds.length} (${faulted} faulted)`
const errorText = [...errors].sort().map(([c, n]) => `${c}:${n}`).join(' ') || '0'
const growth = ((after - before) / Math.max(calls, 1)) * 1e6
console.log(
  `| node (bursts of ${burst}) | ${calls} | ${requests} | ${expired} | ${errorText} | ` +
    `${before.toFixed(1)} | ${after.toFixed(1)} | ${growth.toFixed(2)} |`,
)
process.exitCode = expired > 0 ? 1 : 0
