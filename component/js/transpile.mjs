// Transpiles azmi's WebAssembly component into an ES module with jco (pinned in package.json):
// out/azmi.js + out/azmi.core.wasm. The component imports nothing, so no WASI shim is needed.
// Component: $AZMI_COMPONENT, else ../azmi.wasm (written by scripts/build-component).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const component = resolve(process.env.AZMI_COMPONENT ?? join(here, '..', 'azmi.wasm'));
if (!existsSync(component)) {
  console.error(`no component at ${component}: run scripts/build-component first`);
  process.exit(1);
}
const out = join(here, 'out');
rmSync(out, { recursive: true, force: true });
const jco = join(here, 'node_modules', '.bin', 'jco');
const run = spawnSync(jco, ['transpile', component, '-o', out, '--name', 'azmi', '--quiet'], {
  stdio: 'inherit',
});
if (run.status !== 0) {
  console.error(`jco transpile failed (${run.error ?? `exit ${run.status}`}); run npm ci first`);
  process.exit(1);
}
console.log(`transpiled ${component} -> ${out}/azmi.js`);
