// `azmi emulate --print-env SOURCE` for the Node proofs: the emulator's process and the
// variables it prints, every endpoint checked to be on loopback. AZMI_BIN names the azmi binary.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';

/** The variables each source needs before its emulator counts as started. */
const NEEDS = {
  imds: ['AZURE_POD_IDENTITY_AUTHORITY_HOST'],
  app_service: ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER'],
};

/** Starts an emulator for `source` (ending by itself after 120 s); resolves to `{ child, vars }`. */
export function emulate(source) {
  const bin = process.env.AZMI_BIN;
  assert.ok(bin, 'set AZMI_BIN to the azmi binary');
  const child = spawn(bin, ['emulate', '--print-env', source, '--duration', '120'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`emulator printed nothing: ${text}`)), 20000);
    child.on('error', reject);
    child.stdout.on('data', (chunk) => {
      text += chunk;
      const vars = [...text.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]);
      // Lines may arrive one by one: wait for every variable the source needs.
      if (NEEDS[source].every((name) => vars.some(([n]) => n === name))) {
        clearTimeout(timer);
        for (const [name, value] of vars) {
          if (name.endsWith('ENDPOINT') || name.endsWith('HOST')) {
            assert.match(value, /^https?:\/\/127\.0\.0\.1:\d+/, `${name} must point at loopback`);
          }
        }
        resolve({ child, vars });
      }
    });
  });
}
