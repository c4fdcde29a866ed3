// Cross-host proof: the same component wasmtime runs, transpiled by jco, driven in Node with
// Node's own fetch against `azmi emulate` on 127.0.0.1. The flow makes every decision; this
// file only carries out its actions (send, wait, read a file) and reports back.
import { readFile, stat } from 'node:fs/promises';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { emulate } from '../emulate.mjs';
import { identity, cache } from '../out/component/azmi.js';

const ARM = 'https://management.azure.com/';
let emulator;
const envs = {};

before(async () => {
  for (const source of ['imds', 'app_service']) {
    envs[source] = await emulate(source);
  }
});

after(() => {
  for (const { child } of Object.values(envs)) child.kill();
});

const now = () => BigInt(Date.now());
const utf8 = new TextDecoder();

/** Carries out one `send` with fetch; returns what the flow must be told. */
async function send(req) {
  assert.match(req.url, /^https?:\/\/127\.0\.0\.1[:/]/, 'only loopback, ever');
  const headers = new Headers();
  for (const h of req.headers) headers.append(h.name, utf8.decode(h.value));
  try {
    const resp = await fetch(req.url, {
      method: req.method,
      headers,
      body: req.body.length > 0 ? req.body : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(Number(req.timeoutMs)),
    });
    const body = new Uint8Array(await resp.arrayBuffer());
    if (BigInt(body.length) > req.maxResponseBytes) return { error: { tag: 'body-too-large' } };
    const enc = new TextEncoder();
    const list = [...resp.headers].map(([name, value]) => [name, enc.encode(value)]);
    return { response: { status: resp.status, headers: list, body } };
  } catch (e) {
    const code = e?.cause?.code;
    if (e?.name === 'TimeoutError') return { error: { tag: 'timeout' } };
    if (code === 'ECONNREFUSED') return { error: { tag: 'connection-refused' } };
    if (code === 'ECONNRESET') return { error: { tag: 'connection-reset' } };
    return { error: { tag: 'other', val: String(e?.cause ?? e) } };
  }
}

/** The drive loop, bounded: poll, carry out the action, report back, until done. */
async function drive(flow) {
  const seen = [];
  for (let step = 0; step < 50; step++) {
    const action = flow.poll(now());
    seen.push(action.tag);
    switch (action.tag) {
      case 'send': {
        const { response, error } = await send(action.val);
        if (response) flow.handleResponse(action.val.id, response, now());
        else flow.handleTransportError(action.val.id, error, now());
        break;
      }
      case 'wait-until': {
        const ms = Math.max(0, Number(action.val - now()));
        await new Promise((r) => setTimeout(r, Math.min(ms, 5000)));
        break;
      }
      case 'read-file': {
        const { id, path, maxBytes } = action.val;
        let contents;
        try {
          const size = (await stat(path)).size;
          contents = BigInt(size) > maxBytes
            ? { tag: 'err', val: { tag: 'too-large' } }
            : { tag: 'ok', val: new Uint8Array(await readFile(path)) };
        } catch (e) {
          contents = { tag: 'err', val: e.code === 'ENOENT' ? { tag: 'not-found' } : { tag: 'other', val: String(e) } };
        }
        flow.handleFile(id, contents, now());
        break;
      }
      case 'done':
        return { result: action.val, seen };
      default:
        throw new Error(`unknown action ${action.tag}`);
    }
  }
  throw new Error('the flow did not finish in 50 steps');
}

function claims(jwt) {
  const payload = jwt.split('.')[1];
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

async function token(source, audience, cfg = identity.defaultConfig()) {
  const env = { vars: envs[source].vars, arcAgentInstalled: false };
  const flow = identity.TokenFlow.start(cfg, env, audience, now());
  assert.equal(flow.detection().source, source.replace('_', '-'));
  return drive(flow);
}

test('IMDS: a token from the emulator through the component in Node', async () => {
  const { result, seen } = await token('imds', { tag: 'resource', val: ARM });
  assert.equal(result.tag, 'ok', JSON.stringify(result.val?.message));
  const t = result.val;
  assert.equal(t.tokenType, 'Bearer');
  assert.equal(t.resource, ARM);
  assert.ok(t.expiresOn > now() && t.refreshOn < t.expiresOn);
  assert.equal(claims(t.secret).aud, ARM);
  assert.deepEqual(seen, ['send', 'done']);
});

test('App Service: scopes, the secret header, and the cache with single-flight', async () => {
  const scope = { tag: 'scopes', val: ['https://vault.azure.net/.default'] };
  const { result } = await token('app_service', scope);
  assert.equal(result.tag, 'ok');
  assert.equal(claims(result.val.secret).aud, 'https://vault.azure.net');

  const tokens = new cache.TokenCache();
  const key = { source: 'app-service', identity: { tag: 'system-assigned' }, resource: ARM };
  const first = tokens.lookup(key, now());
  assert.equal(first.tag, 'fetch');
  assert.equal(tokens.lookup(key, now()).tag, 'wait', 'a second caller waits for the first');
  const fetched = await token('app_service', { tag: 'resource', val: ARM });
  assert.equal(fetched.result.tag, 'ok');
  const shared = tokens.complete(first.val, fetched.result, now());
  assert.equal(shared.secret, fetched.result.val.secret);
  const again = tokens.lookup(key, now());
  assert.equal(again.tag, 'fresh');
  assert.equal(again.val.secret, shared.secret);
});

test("the core's errors reach JavaScript with their codes", async () => {
  assert.throws(
    () => identity.identityFromSelectors({ clientId: 'a', objectId: 'b' }),
    (e) => e.payload?.tag === 'several-identities',
  );
  // A user-assigned identity the emulator does not know: the endpoint says so, the core names it.
  const cfg = identity.defaultConfig();
  cfg.identity = { tag: 'client-id', val: '00000000-0000-4000-8000-00000000dead' };
  cfg.retry.maxRetries = 0;
  const { result } = await token('imds', { tag: 'resource', val: ARM }, cfg);
  assert.equal(result.tag, 'err');
  assert.equal(result.val.code, 'identity_not_found', result.val.message);
  assert.doesNotMatch(result.val.message, /eyJ/, 'no token in messages');
});
