// Transpiles the example plugin composed with azmi's identity provider
// (../example-plugin-composed.wasm, written by scripts/build-component) into out/plugin/plugin.js.
// Its imports are WASI 0.2 (cli, clocks, io, http), served in Node by jco's preview2-shim; its
// exports are component-model async functions, which jco runs with JSPI (WebAssembly.Suspending).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const composed = resolve(
  process.env.AZMI_EXAMPLE_PLUGIN_COMPOSED ?? join(here, '..', 'example-plugin-composed.wasm'),
);
if (!existsSync(composed)) {
  console.error(`no composed plugin at ${composed}: run scripts/build-component first`);
  process.exit(1);
}
const out = join(here, 'out', 'plugin');
rmSync(out, { recursive: true, force: true });
const jco = join(here, 'node_modules', '.bin', 'jco');
const run = spawnSync(jco, ['transpile', composed, '-o', out, '--name', 'plugin', '--quiet'], {
  stdio: 'inherit',
});
if (run.status !== 0) {
  console.error(`jco transpile failed (${run.error ?? `exit ${run.status}`}); run npm ci first`);
  process.exit(1);
}
console.log(`transpiled ${composed} -> ${out}/plugin.js`);
