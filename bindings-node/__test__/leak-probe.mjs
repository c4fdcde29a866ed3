// A child process for the memory test (run with `node --expose-gc`, the emulator's IMDS in its
// environment): calls that each hand out a new token object, in a bounded loop, and the growth of
// the resident set once the garbage is collected. Prints one JSON line.
//   node --expose-gc leak-probe.mjs <mode> <calls>
import { ManagedIdentityCredential } from '../index.mjs'

const [mode, calls] = [process.argv[2], Number(process.argv[3])]
const A = 'https://management.azure.com/.default'
const B = 'https://storage.azure.com/.default'
const cred = new ManagedIdentityCredential()
const call = {
  alternate: (i) => cred.getToken(i % 2 ? A : B),
  array: () => cred.getToken([A]),
  tokenFor: () => cred.getTokenFor('https://management.azure.com/'),
}[mode]

async function settle() {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setImmediate(resolve))
    globalThis.gc()
  }
  return process.memoryUsage().rss
}

// Warm up: both tokens cached, code paths compiled, the heap at its working size.
for (let i = 0; i < 20_000; i++) await call(i)
const before = await settle()
for (let i = 0; i < calls; i++) {
  await call(i)
}
const unsettled = process.memoryUsage().rss
const after = await settle()
process.stdout.write(JSON.stringify({ mode, calls, growthBytes: after - before, unsettledBytes: unsettled - before }))
