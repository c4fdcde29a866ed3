// Transpiles a WebAssembly component into an ES module with jco (pinned in package.json).
//   node transpile.mjs component   azmi's component ($AZMI_COMPONENT, else ../azmi.wasm) into
//                                  out/component/azmi.js; it imports nothing, so no WASI shim.
//   node transpile.mjs plugin      the example plugin composed with azmi's identity provider
//                                  ($AZMI_EXAMPLE_PLUGIN_COMPOSED, else
//                                  ../example-plugin-composed.wasm) into out/plugin/plugin.js.
//                                  Its imports are WASI 0.2 (cli, clocks, io, http), served by
//                                  jco's preview2-shim; its exports are component-model async
//                                  functions, which jco runs with JSPI (WebAssembly.Suspending).
// The inputs are written by scripts/build-component.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const inputs = {
  component: { variable: 'AZMI_COMPONENT', file: 'azmi.wasm', name: 'azmi' },
  plugin: { variable: 'AZMI_EXAMPLE_PLUGIN_COMPOSED', file: 'example-plugin-composed.wasm', name: 'plugin' },
};
const which = process.argv[2];
const input = inputs[which];
if (!input) {
  console.error(`usage: node transpile.mjs ${Object.keys(inputs).join('|')}`);
  process.exit(2);
}
const wasm = resolve(process.env[input.variable] ?? join(here, '..', input.file));
if (!existsSync(wasm)) {
  console.error(`no ${which} at ${wasm}: run scripts/build-component first`);
  process.exit(1);
}
const out = join(here, 'out', which);
rmSync(out, { recursive: true, force: true });
const jco = join(here, 'node_modules', '.bin', 'jco');
const run = spawnSync(jco, ['transpile', wasm, '-o', out, '--name', input.name, '--quiet'], {
  stdio: 'inherit',
});
if (run.status !== 0) {
  console.error(`jco transpile failed (${run.error ?? `exit ${run.status}`}); run npm ci first`);
  process.exit(1);
}
console.log(`transpiled ${wasm} -> ${out}/${input.name}.js`);
