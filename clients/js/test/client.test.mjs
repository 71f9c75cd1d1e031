// Tests of kiln-client.mjs against a real Kiln host (node's test runner).
//
// Run by host's ClientLibrariesTest, which starts a host and sets KILN_ENDPOINT, KILN_TOKEN and
// KILN_TEST_MODULES (a directory with hello.wasm, echo.wasm and trap.wasm). By hand: start
// `./kiln serve`, set them, then `node --test test/` in clients/js.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { KilnClient, KilnError } from '../kiln-client.mjs';

const MODULES = process.env.KILN_TEST_MODULES ?? '';
const module = (name) => new Uint8Array(readFileSync(join(MODULES, `${name}.wasm`)));
const unique = (prefix) => `${prefix}-${randomUUID().slice(0, 8)}`;
const client = () => new KilnClient({ endpoint: process.env.KILN_ENDPOINT, token: process.env.KILN_TOKEN });

async function eventually(what, check, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function record(kiln, s, f, requestId) {
  try {
    return await kiln.getInvocation(s, f, requestId);
  } catch (e) {
    if (e instanceof KilnError && e.code === 'not_found') return null;
    throw e;
  }
}

async function rejects(promise, code, status) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof KilnError, `a KilnError, not ${e}`);
    assert.equal(e.code, code);
    if (status !== undefined) assert.equal(e.status, status);
    return true;
  });
}

/** A zip with one deflated entry, as zip tools write them (the client must read it). */
function deflatedZip(name, data) {
  const n = Buffer.from(name);
  const packed = deflateRawSync(data);
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  const crc = (c ^ 0xffffffff) >>> 0;
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(packed.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(packed.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(n.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + n.length, 12);
  end.writeUInt32LE(30 + n.length + packed.length, 16);
  return Buffer.concat([local, n, packed, central, n, end]);
}

test('the quickstart: create, invoke, read the payload', async () => {
  const kiln = new KilnClient(process.env.KILN_ENDPOINT, process.env.KILN_TOKEN);
  const s = unique('js');
  const f = await kiln.createFunction(s, 'hello', module('hello'), { handler: 'kiln_handle', timeout: 10 });
  assert.equal(f.settings.timeoutMs, 10_000);
  const result = await kiln.invokeFunction(s, 'hello', {});
  assert.equal(result.text(), 'Hello, {}!');
  assert.equal(result.statusCode, 200);
  assert.equal(result.executedVersion, 1);
  assert.ok(result.requestId);
  assert.ok(['cold', 'warm', 'pool'].includes(result.start));
  assert.equal((await kiln.listVersions(s, 'hello')).length, 1, 'one upload with its settings: one version');
});

test('endpoint and token from the environment; host calls', async () => {
  const kiln = new KilnClient();
  assert.equal(kiln.endpoint, process.env.KILN_ENDPOINT.replace(/\/+$/, ''));
  assert.ok(Array.isArray(await kiln.listServices()));
  assert.equal((await kiln.openapi()).openapi, '3.1.0');
  assert.equal((await kiln.health()).status, 'ok');
  assert.ok('maxUploadBytes' in (await kiln.getLimits()));
});

test('code as bytes, a path, a deflated zip and Function Compute zipFile', async () => {
  const kiln = client();
  const s = unique('js');
  const echo = module('echo');
  assert.equal((await kiln.createFunction(s, 'raw', echo)).version.number, 1);
  assert.equal((await kiln.createFunction(s, 'path', join(MODULES, 'echo.wasm'))).name, 'path');
  const zipped = deflatedZip('m.wasm', echo);
  const fc = await kiln.createFunction(s, 'fc', { zipFile: zipped.toString('base64') }, {
    handler: 'kiln_handle', timeout: 3, memorySize: 16, environmentVariables: { A: '1' }, maxConcurrency: 2,
  });
  assert.deepEqual(
    [fc.settings.timeoutMs, fc.settings.memoryMiB, fc.settings.env, fc.settings.maxConcurrency],
    [3000, 16, { A: '1' }, 2]);
  for (const name of ['raw', 'path', 'fc']) {
    const r = await kiln.invokeFunction(s, name, new Uint8Array([0, 1, 2]));
    assert.deepEqual([...r.payload], [0, 1, 2]);
  }
  assert.equal((await kiln.invokeFunction(s, 'raw', 'text')).text(), 'text');
  await assert.rejects(kiln.createFunction(s, 'bad', new Uint8Array([1, 2, 3])), TypeError);
  await assert.rejects(kiln.createFunction(s, 'bad', echo, { runtime: 'nodejs20' }), TypeError);
});

test('versions, aliases and qualifiers', async () => {
  const kiln = client();
  const s = unique('js');
  await kiln.createFunction(s, 'f', module('echo'), { timeout: 5 });
  await kiln.updateFunction(s, 'f', module('echo'), { timeout: 6 });
  assert.deepEqual((await kiln.listVersions(s, 'f')).map((v) => v.number), [2, 1]);
  assert.equal((await kiln.getVersion(s, 'f', 1)).settings.timeoutMs, 5000);
  assert.deepEqual([...(await kiln.getVersionCode(s, 'f', 1))], [...module('echo')]);
  assert.equal((await kiln.putAlias(s, 'f', 'prod', 1, { description: 'stable' })).version, 1);
  assert.equal((await kiln.getAlias(s, 'f', 'prod')).description, 'stable');
  assert.deepEqual((await kiln.listAliases(s, 'f')).map((a) => a.name), ['prod']);
  assert.equal((await kiln.invokeFunction(s, 'f', 'x', { qualifier: 'prod' })).executedVersion, 1);
  assert.equal((await kiln.invokeFunction(s, 'f', 'x')).executedVersion, 2);
  await rejects(kiln.invokeFunction(s, 'f', 'x', { qualifier: 'nope' }), 'alias_not_found', 404);
  await kiln.deleteAlias(s, 'f', 'prod');
  await kiln.deleteVersion(s, 'f', 1);
  assert.deepEqual((await kiln.listVersions(s, 'f')).map((v) => v.number), [2]);
  await kiln.deleteFunction(s, 'f');
  await rejects(kiln.getFunction(s, 'f'), 'function_not_found', 404);
});

test('records, logs and async invocation', async () => {
  const kiln = client();
  const s = unique('js');
  await kiln.createFunction(s, 'hello', module('hello'));
  const ran = await kiln.invokeFunction(s, 'hello', 'records');
  // Records are written off the request path, in batches: wait for this one.
  const stored = await eventually('the record', () => record(kiln, s, 'hello', ran.requestId));
  assert.equal(stored.outcome, 'ok');
  assert.equal((await kiln.listInvocations(s, 'hello', { limit: 1 }))[0].requestId, ran.requestId);
  assert.ok((await kiln.getLogs(s, 'hello', { limit: 10 })).length > 0);
  const queued = await kiln.invokeFunction(s, 'hello', 'later', { async: true });
  assert.equal(queued.statusCode, 202);
  assert.equal(queued.status, 'queued');
  const done = await eventually('the async record', () => record(kiln, s, 'hello', queued.requestId));
  assert.equal(done.outcome, 'ok');
  const id = await kiln.invokeFunctionAsync(s, 'hello', { n: 1 });
  await eventually('the second async record', () => record(kiln, s, 'hello', id));
});

test('dead letters and async config', async () => {
  const kiln = client();
  const s = unique('js');
  await kiln.createFunction(s, 'trap', module('trap'));
  assert.equal((await kiln.putAsyncConfig(s, 'trap', { maxAttempts: 1 })).maxAttempts, 1);
  assert.equal((await kiln.getAsyncConfig(s, 'trap')).maxAttempts, 1);
  const id = await kiln.invokeFunctionAsync(s, 'trap', 'boom');
  const dead = async () => (await kiln.listDeadLetters(s, 'trap')).length > 0;
  await eventually('the dead letter', dead);
  assert.equal((await kiln.getDeadLetter(s, 'trap', id)).payload, 'boom');
  assert.equal(await kiln.redriveDeadLetters(s, 'trap', id), 1);
  await eventually('the dead letter again', dead);
  assert.equal(await kiln.redriveDeadLetters(s, 'trap'), 1);
  await eventually('the dead letter once more', dead);
  await kiln.deleteDeadLetter(s, 'trap', id);
  assert.deepEqual(await kiln.listDeadLetters(s, 'trap'), []);
  assert.ok('depth' in (await kiln.getQueue(s, 'trap')));
  assert.ok(Array.isArray(await kiln.listQueuedEvents(s, 'trap')));
  assert.ok(Array.isArray(await kiln.listQueues()));
  await rejects(kiln.getQueuedEvent(s, 'trap', id), 'not_found', 404);
  const defaults = (await kiln.getLimits()).events.defaultMaxAttempts;
  assert.equal((await kiln.deleteAsyncConfig(s, 'trap')).maxAttempts, defaults);
});

test('triggers and topics', async () => {
  const kiln = client();
  const s = unique('js');
  const topic = unique('orders');
  await kiln.createFunction(s, 'sub', module('echo'));
  assert.equal((await kiln.createTrigger(s, 'sub', { id: 'on-orders', type: 'topic', topic })).id, 'on-orders');
  assert.deepEqual((await kiln.listTriggers(s, 'sub')).map((t) => t.id), ['on-orders']);
  assert.ok((await kiln.listTopics()).some((t) => t.topic === topic));
  const published = await kiln.publish(topic, { id: 1 });
  assert.equal(published.deliveries.length, 1);
  await eventually('the delivery', () => record(kiln, s, 'sub', published.deliveries[0].requestId));
  assert.equal((await kiln.updateTrigger(s, 'sub', 'on-orders', { enabled: false })).enabled, false);
  assert.equal((await kiln.getTrigger(s, 'sub', 'on-orders')).enabled, false);
  await kiln.deleteTrigger(s, 'sub', 'on-orders');
  assert.deepEqual(await kiln.listTriggers(s, 'sub'), []);
});

test('errors carry code, message, request id and status; the host still serves', async () => {
  const kiln = client();
  const s = unique('js');
  await kiln.createFunction(s, 'trap', module('trap'));
  await assert.rejects(kiln.invokeFunction(s, 'trap', 'x'), (e) => {
    assert.ok(e instanceof KilnError);
    assert.equal(e.code, 'guest_trap');
    assert.equal(e.status, 500);
    assert.ok(e.requestId);
    assert.ok(e.apiMessage);
    assert.match(e.message, /guest_trap/);
    return true;
  });
  await rejects(new KilnClient(process.env.KILN_ENDPOINT, 'not-a-key').listServices(), 'unauthorized', 401);
  await rejects(new KilnClient({ endpoint: 'http://127.0.0.1:9', token: 't', maxRetries: 1, backoffMs: 10 })
    .listServices(), 'connection_failed', 0);
  assert.ok(Array.isArray(await kiln.listServices()));
});

test('keys, audit, routes, quotas, key-value store, secrets', async () => {
  const kiln = client();
  const s = unique('js');
  await kiln.createFunction(s, 'f', module('echo'));
  const key = await kiln.createKey(unique('viewer'), 'viewer', [s]);
  assert.ok(key.key);
  assert.ok((await kiln.listKeys()).some((k) => k.id === key.id));
  const viewer = new KilnClient({ endpoint: kiln.endpoint, token: key.key });
  await rejects(viewer.createFunction(s, 'f', module('echo')), 'forbidden', 403);
  await kiln.deleteKey(key.id);
  await rejects(viewer.listServices(), 'unauthorized', 401);
  assert.ok((await kiln.listAudit({ limit: 5 })).length > 0);

  const route = unique('r');
  assert.equal((await kiln.putRoute(route, { host: 'js.example.com', pathPrefix: '/', service: s, function: 'f' })).qualifier, 'LATEST');
  assert.equal((await kiln.getRoute(route)).id, route);
  assert.ok((await kiln.listRoutes()).some((r) => r.id === route));
  await kiln.deleteRoute(route);

  assert.equal((await kiln.putQuota(s, { maxFunctions: 5 })).maxFunctions, 5);
  assert.equal((await kiln.getQuota(s)).usage.functions, 1);
  await kiln.deleteQuota(s);

  await kiln.kvPut(s, 'a/b', 'value', { ttlMs: 60_000 });
  assert.equal(new TextDecoder().decode(await kiln.kvGet(s, 'a/b')), 'value');
  assert.deepEqual((await kiln.kvList(s, { prefix: 'a' })).keys.map((k) => k.key), ['a/b']);
  await kiln.kvDelete(s, 'a/b');
  await rejects(kiln.kvGet(s, 'a/b'), 'kv_key_not_found', 404);

  const f = await kiln.setSecrets(s, 'f', { TOKEN: 'x' });
  assert.deepEqual(f.secrets.map((x) => x.name), ['TOKEN']);
  const changed = await kiln.updateFunctionSettings(s, 'f', { description: 'd', maxConcurrency: 3 });
  assert.deepEqual([changed.settings.description, changed.settings.maxConcurrency], ['d', 3]);
  assert.deepEqual((await kiln.listFunctions(s)).map((x) => x.name), ['f']);
});

test('429 is retried after Retry-After; without retries it surfaces', async () => {
  const kiln = client();
  const s = unique('js');
  await kiln.createFunction(s, 'f', module('echo'));
  await kiln.putQuota(s, { maxInvocationsPerSecond: 1 });
  // One token a second: the second call at once is refused with 429 and Retry-After, then retried.
  await kiln.invokeFunction(s, 'f', 'one');
  assert.equal((await kiln.invokeFunction(s, 'f', 'two')).text(), 'two');
  assert.ok(kiln.lastRetries >= 1);
  const noRetries = new KilnClient({ endpoint: kiln.endpoint, token: kiln.token, maxRetries: 0 });
  await assert.rejects((async () => {
    await noRetries.invokeFunction(s, 'f', 'a');
    await noRetries.invokeFunction(s, 'f', 'b');
  })(), (e) => {
    assert.equal(e.code, 'rate_limited');
    assert.equal(e.status, 429);
    assert.ok(e.retryAfter !== null);
    return true;
  });
  await kiln.deleteQuota(s);
});
