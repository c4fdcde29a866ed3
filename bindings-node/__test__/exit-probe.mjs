// A child process for the exit test: starts one token request of the given kind (IMDS from the
// environment answers 429 with Retry-After: 20), then calls process.exit(0) after 200 ms.
//   node exit-probe.mjs getToken|loginWithVmMSI
import { ManagedIdentityCredential, loginWithVmMSI } from '../index.mjs'

const start = {
  getToken: () => new ManagedIdentityCredential({ deadlineMs: 60_000 }).getToken('https://management.azure.com/.default'),
  loginWithVmMSI: () => loginWithVmMSI(),
}[process.argv[2]]

start().then(
  () => process.stdout.write('resolved'),
  (e) => process.stdout.write(`rejected: ${e.code}`),
)
setTimeout(() => process.exit(0), 200)
