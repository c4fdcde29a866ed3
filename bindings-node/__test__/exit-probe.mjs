// A child process for the exit test: starts one token request of the given kind (IMDS from the
// environment answers 429 with Retry-After: 20), then calls process.exit(0) after 200 ms.
//   node exit-probe.mjs getToken|loginWithVmMSI
// With `aborted` (IMDS from the environment never answers), aborts its one getToken after 200 ms,
// writes the rejection's name and does nothing more: the process must then end by itself.
import { ManagedIdentityCredential, loginWithVmMSI } from '../index.mjs'

if (process.argv[2] === 'aborted') {
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 200)
  const credential = new ManagedIdentityCredential({ attemptTimeoutMs: 20_000, deadlineMs: 60_000 })
  credential.getToken('https://management.azure.com/.default', { abortSignal: controller.signal }).then(
    () => process.stdout.write('resolved'),
    (e) => process.stdout.write(e.name),
  )
} else {
  exitSoon()
}

function exitSoon() {
  const start = {
    getToken: () => new ManagedIdentityCredential({ deadlineMs: 60_000 }).getToken('https://management.azure.com/.default'),
    loginWithVmMSI: () => loginWithVmMSI(),
  }[process.argv[2]]
  start().then(
    () => process.stdout.write('resolved'),
    (e) => process.stdout.write(`rejected: ${e.code}`),
  )
  setTimeout(() => process.exit(0), 200)
}
