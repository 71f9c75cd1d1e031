// Kiln client for JavaScript: ESM, Node.js 18+ (global fetch), no dependencies.
//
//   import { KilnClient, KilnError } from './kiln-client.mjs';
//   const kiln = new KilnClient({ endpoint: 'http://127.0.0.1:8080', token });  // or KILN_ENDPOINT / KILN_TOKEN
//   await kiln.createFunction('demo', 'hello', 'hello.wasm', { handler: 'kiln_handle', timeout: 10 });
//   const result = await kiln.invokeFunction('demo', 'hello', {});
//   console.log(result.text());                                                 // Hello, {}!
//
// Shapes follow Function Compute's SDKs where Kiln has the same idea (createFunction,
// invokeFunction, code as { zipFile: base64 }); other calls resolve to the API's JSON (see
// GET /api/v1/openapi.json). Failures reject with KilnError carrying the API's stable `code`,
// its `message`, the `requestId` and the HTTP `status`. Answers 429 and 503 (refused before
// anything ran) are retried with exponential backoff and jitter, waiting what Retry-After says
// (docs/adr/0042-api-description-and-clients.md). Types: kiln-client.d.ts.

import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';

export const VERSION = '0.1.0';

const FN = (s, f) => `/api/v1/services/${seg(s)}/functions/${seg(f)}`;
const RETRY_STATUSES = new Set([429, 503]);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const MODULE_ENTRY = 'function.wasm';
const SETTING_NAMES = {
  environmentVariables: 'env',
  memorySize: 'memoryMiB',
  runtime: 'abi',
};

/** An error answer of Kiln ({"error":{"code","message","requestId"}}) and its HTTP status. */
export class KilnError extends Error {
  constructor(code, message, requestId = null, status = 0, retryAfter = null) {
    super(`${code} (${status}): ${message}${requestId ? ` [request ${requestId}]` : ''}`);
    this.name = 'KilnError';
    this.code = code;
    /** The API's message alone (`message` has code, status and request id around it). */
    this.apiMessage = message;
    this.requestId = requestId;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** The result of a synchronous invocation. */
class Invocation {
  constructor(status, headers, payload) {
    this.statusCode = status;
    this.headers = headers;
    this.payload = payload;
    this.requestId = headers['x-kiln-request-id'] ?? null;
    this.executedVersion = intOrNull(headers['x-kiln-version']);
    this.durationUs = intOrNull(headers['x-kiln-duration-us']);
    this.fuel = intOrNull(headers['x-kiln-fuel']);
    this.start = headers['x-kiln-start'] ?? null;
    this.contentType = headers['content-type'] ?? null;
  }

  text() {
    return new TextDecoder().decode(this.payload);
  }

  json() {
    return JSON.parse(this.text());
  }
}

export class KilnClient {
  /**
   * @param {object|string} [options] the options, or the endpoint
   * @param {string} [token] the token, when the first argument is the endpoint
   */
  constructor(options = {}, token = undefined) {
    const o = typeof options === 'string' ? { endpoint: options, token } : { ...options };
    const endpoint = o.endpoint ?? process.env.KILN_ENDPOINT ?? 'http://127.0.0.1:8080';
    this.endpoint = endpoint.replace(/\/+$/, '');
    this.token = o.token ?? process.env.KILN_TOKEN ?? null;
    this.timeoutMs = o.timeoutMs ?? 60_000;
    this.maxRetries = o.maxRetries ?? 3;
    this.maxRetryWaitMs = o.maxRetryWaitMs ?? 20_000;
    this.backoffMs = o.backoffMs ?? 200;
    /** How many retries the last request needed. */
    this.lastRetries = 0;
  }

  // ---------------------------------------------------------------- functions

  /**
   * Uploads code: creates the function or a new version of it (Kiln's PUT upserts). `code`: a
   * Uint8Array/Buffer/ArrayBuffer of a Wasm module or zip, a path to such a file or to a directory
   * holding kiln.json, or Function Compute's { zipFile: base64 }. Settings travel in kiln.json, so
   * one call makes one version: handler, timeout (seconds) or timeoutMs, memorySize/memoryMiB,
   * env/environmentVariables, description, runtime/abi, and any other setting by Kiln's name.
   */
  async createFunction(serviceName, functionName, code, settings = {}) {
    const wanted = settingsOf(settings);
    const bytes = await codeBytes(code);
    const { body, type } = packageUpload(bytes, wanted);
    return this.#json('PUT', FN(serviceName, functionName), { body, type });
  }

  updateFunction(serviceName, functionName, code, settings = {}) {
    return this.createFunction(serviceName, functionName, code, settings);
  }

  /** PATCH settings (as createFunction's, plus secrets: { NAME: 'value' | null }). */
  updateFunctionSettings(serviceName, functionName, settings) {
    const { secrets, ...rest } = settings;
    const patch = settingsOf(rest);
    if (secrets !== undefined) patch.secrets = secrets;
    return this.#json('PATCH', FN(serviceName, functionName), { json: patch });
  }

  setSecrets(serviceName, functionName, secrets) {
    return this.updateFunctionSettings(serviceName, functionName, { secrets });
  }

  getFunction(serviceName, functionName) {
    return this.#json('GET', FN(serviceName, functionName));
  }

  async deleteFunction(serviceName, functionName) {
    await this.#call('DELETE', FN(serviceName, functionName));
  }

  async listFunctions(serviceName) {
    return (await this.#json('GET', `/api/v1/services/${seg(serviceName)}/functions`)).functions;
  }

  async listServices() {
    return (await this.#json('GET', '/api/v1/services')).services;
  }

  // ---------------------------------------------------------------- versions and aliases

  async listVersions(serviceName, functionName) {
    return (await this.#json('GET', this.#fn(serviceName, functionName, 'versions'))).versions;
  }

  getVersion(serviceName, functionName, version) {
    return this.#json('GET', this.#fn(serviceName, functionName, 'versions', version));
  }

  /** The bytes as uploaded. */
  async getVersionCode(serviceName, functionName, version) {
    return (await this.#call('GET', this.#fn(serviceName, functionName, 'versions', version, 'code'))).body;
  }

  async deleteVersion(serviceName, functionName, version) {
    await this.#call('DELETE', this.#fn(serviceName, functionName, 'versions', version));
  }

  /** Points an alias at a version; additionalVersionWeight: { 4: 0.1 } sends a share to one more. */
  putAlias(serviceName, functionName, alias, version, { additionalVersionWeight, description } = {}) {
    const json = { version: Number(version) };
    if (additionalVersionWeight) {
      json.additionalVersionWeight = Object.fromEntries(
        Object.entries(additionalVersionWeight).map(([k, v]) => [String(k), v]));
    }
    if (description !== undefined) json.description = description;
    return this.#json('PUT', this.#fn(serviceName, functionName, 'aliases', alias), { json });
  }

  getAlias(serviceName, functionName, alias) {
    return this.#json('GET', this.#fn(serviceName, functionName, 'aliases', alias));
  }

  async listAliases(serviceName, functionName) {
    return (await this.#json('GET', this.#fn(serviceName, functionName, 'aliases'))).aliases;
  }

  async deleteAlias(serviceName, functionName, alias) {
    await this.#call('DELETE', this.#fn(serviceName, functionName, 'aliases', alias));
  }

  // ---------------------------------------------------------------- invoke

  /**
   * Invokes a function. payload: bytes, a string (UTF-8), or anything else JSON-encodes.
   * Options: qualifier (LATEST, a version number or an alias), async (queue it: resolves to
   * { statusCode: 202, requestId, status }), versionPin, headers. A failed invocation rejects
   * with KilnError (guest_trap, timeout...).
   */
  async invokeFunction(serviceName, functionName, payload, options = {}) {
    const headers = { ...(options.headers ?? {}) };
    if (options.async) headers['X-Kiln-Invocation-Type'] = 'async';
    if (options.versionPin !== undefined) headers['X-Kiln-Version-Pin'] = String(options.versionPin);
    const query = options.qualifier !== undefined ? { qualifier: String(options.qualifier) } : undefined;
    const r = await this.#call('POST', this.#fn(serviceName, functionName, 'invoke'), {
      query, body: payloadBytes(payload), type: 'application/octet-stream', headers,
    });
    if (r.status === 202) {
      const answer = JSON.parse(new TextDecoder().decode(r.body));
      return { statusCode: 202, requestId: answer.requestId, status: answer.status, headers: r.headers };
    }
    return new Invocation(r.status, r.headers, r.body);
  }

  /** Queues an invocation; resolves to its request id once it is durably stored. */
  async invokeFunctionAsync(serviceName, functionName, payload, options = {}) {
    return (await this.invokeFunction(serviceName, functionName, payload, { ...options, async: true })).requestId;
  }

  // ---------------------------------------------------------------- records and logs

  async listInvocations(serviceName, functionName, { limit, before } = {}) {
    return (await this.#json('GET', this.#fn(serviceName, functionName, 'invocations'), {
      query: { limit, before },
    })).invocations;
  }

  getInvocation(serviceName, functionName, requestId) {
    return this.#json('GET', this.#fn(serviceName, functionName, 'invocations', requestId));
  }

  async getLogs(serviceName, functionName, { limit } = {}) {
    return (await this.#json('GET', this.#fn(serviceName, functionName, 'logs'), { query: { limit } })).logs;
  }

  // ---------------------------------------------------------------- async, queues

  getAsyncConfig(serviceName, functionName) {
    return this.#json('GET', this.#fn(serviceName, functionName, 'async-config'));
  }

  putAsyncConfig(serviceName, functionName, config) {
    return this.#json('PUT', this.#fn(serviceName, functionName, 'async-config'), { json: config });
  }

  deleteAsyncConfig(serviceName, functionName) {
    return this.#json('DELETE', this.#fn(serviceName, functionName, 'async-config'));
  }

  getQueue(serviceName, functionName) {
    return this.#json('GET', this.#fn(serviceName, functionName, 'queue'));
  }

  async listQueues() {
    return (await this.#json('GET', '/api/v1/queues')).queues;
  }

  async listQueuedEvents(serviceName, functionName, { limit, after } = {}) {
    return (await this.#json('GET', this.#fn(serviceName, functionName, 'events'), {
      query: { limit, after },
    })).events;
  }

  getQueuedEvent(serviceName, functionName, requestId) {
    return this.#json('GET', this.#fn(serviceName, functionName, 'events', requestId));
  }

  async listDeadLetters(serviceName, functionName, { limit, before } = {}) {
    return (await this.#json('GET', this.#fn(serviceName, functionName, 'dead-letters'), {
      query: { limit, before },
    })).deadLetters;
  }

  getDeadLetter(serviceName, functionName, requestId) {
    return this.#json('GET', this.#fn(serviceName, functionName, 'dead-letters', requestId));
  }

  async deleteDeadLetter(serviceName, functionName, requestId) {
    await this.#call('DELETE', this.#fn(serviceName, functionName, 'dead-letters', requestId));
  }

  /** Queues one dead letter (or, without a request id, all of them) again; resolves to how many. */
  async redriveDeadLetters(serviceName, functionName, requestId = undefined) {
    const parts = requestId ? ['dead-letters', requestId, 'redrive'] : ['dead-letters', 'redrive'];
    return (await this.#json('POST', this.#fn(serviceName, functionName, ...parts))).redriven;
  }

  // ---------------------------------------------------------------- triggers and topics

  createTrigger(serviceName, functionName, trigger) {
    return this.#json('POST', this.#fn(serviceName, functionName, 'triggers'), { json: trigger });
  }

  async listTriggers(serviceName, functionName) {
    return (await this.#json('GET', this.#fn(serviceName, functionName, 'triggers'))).triggers;
  }

  getTrigger(serviceName, functionName, triggerId) {
    return this.#json('GET', this.#fn(serviceName, functionName, 'triggers', triggerId));
  }

  updateTrigger(serviceName, functionName, triggerId, changes) {
    return this.#json('PATCH', this.#fn(serviceName, functionName, 'triggers', triggerId), { json: changes });
  }

  async deleteTrigger(serviceName, functionName, triggerId) {
    await this.#call('DELETE', this.#fn(serviceName, functionName, 'triggers', triggerId));
  }

  publish(topic, payload) {
    return this.#json('POST', `/api/v1/topics/${seg(topic)}/events`, {
      body: payloadBytes(payload), type: 'application/octet-stream',
    });
  }

  async listTopics() {
    return (await this.#json('GET', '/api/v1/topics')).topics;
  }

  // ---------------------------------------------------------------- keys and audit

  /** Creates an API key (admin); the answer's `key` is shown this once. */
  createKey(name, role, services = undefined) {
    const json = { name, role };
    if (services !== undefined) json.services = [...services];
    return this.#json('POST', '/api/v1/keys', { json });
  }

  async listKeys() {
    return (await this.#json('GET', '/api/v1/keys')).keys;
  }

  async deleteKey(keyId) {
    await this.#call('DELETE', `/api/v1/keys/${seg(keyId)}`);
  }

  async listAudit({ since, limit } = {}) {
    return (await this.#json('GET', '/api/v1/audit', { query: { since, limit } })).entries;
  }

  // ---------------------------------------------------------------- routes, quotas, kv

  putRoute(routeId, route) {
    return this.#json('PUT', `/api/v1/routes/${seg(routeId)}`, { json: route });
  }

  getRoute(routeId) {
    return this.#json('GET', `/api/v1/routes/${seg(routeId)}`);
  }

  async listRoutes() {
    return (await this.#json('GET', '/api/v1/routes')).routes;
  }

  async deleteRoute(routeId) {
    await this.#call('DELETE', `/api/v1/routes/${seg(routeId)}`);
  }

  getQuota(serviceName) {
    return this.#json('GET', `/api/v1/services/${seg(serviceName)}/quota`);
  }

  /** Replaces the quota: maxFunctions, maxMemoryMiB, maxConcurrency, maxInvocationsPerSecond. */
  putQuota(serviceName, quota) {
    return this.#json('PUT', `/api/v1/services/${seg(serviceName)}/quota`, { json: quota });
  }

  async deleteQuota(serviceName) {
    await this.#call('DELETE', `/api/v1/services/${seg(serviceName)}/quota`);
  }

  kvList(serviceName, { prefix, after, limit } = {}) {
    return this.#json('GET', `/api/v1/services/${seg(serviceName)}/kv`, { query: { prefix, after, limit } });
  }

  async kvGet(serviceName, key) {
    return (await this.#call('GET', kvPath(serviceName, key))).body;
  }

  async kvPut(serviceName, key, value, { ttlMs } = {}) {
    await this.#call('PUT', kvPath(serviceName, key), {
      query: { ttlMs }, body: payloadBytes(value), type: 'application/octet-stream',
    });
  }

  async kvDelete(serviceName, key) {
    await this.#call('DELETE', kvPath(serviceName, key));
  }

  // ---------------------------------------------------------------- host

  getLimits() {
    return this.#json('GET', '/api/v1/limits');
  }

  health() {
    return this.#json('GET', '/healthz');
  }

  /** The OpenAPI 3.1 description of the API (public). */
  openapi() {
    return this.#json('GET', '/api/v1/openapi.json');
  }

  // ---------------------------------------------------------------- HTTP

  #fn(serviceName, functionName, ...rest) {
    return FN(serviceName, functionName) + rest.map((p) => `/${seg(p)}`).join('');
  }

  async #json(method, path, options = {}) {
    const r = await this.#call(method, path, options);
    return r.body.length ? JSON.parse(new TextDecoder().decode(r.body)) : null;
  }

  /** One request, retrying 429/503 (and failed connections of idempotent methods). */
  async #call(method, path, { query, json, body, type, headers } = {}) {
    let url = this.endpoint + path;
    const params = Object.entries(query ?? {}).filter(([, v]) => v !== undefined && v !== null);
    if (params.length) url += `?${new URLSearchParams(params.map(([k, v]) => [k, String(v)]))}`;
    const all = { 'User-Agent': `kiln-client-js/${VERSION}` };
    if (this.token) all.Authorization = `Bearer ${this.token}`;
    if (json !== undefined) {
      body = new TextEncoder().encode(JSON.stringify(json));
      type = 'application/json';
    }
    if (type) all['Content-Type'] = type;
    Object.assign(all, headers ?? {});
    let retries = 0;
    for (;;) {
      try {
        const answer = await this.#send(method, url, body, all);
        this.lastRetries = retries;
        return answer;
      } catch (e) {
        const wait = e instanceof KilnError ? this.#retryWaitMs(e, method, retries) : null;
        if (wait === null) {
          this.lastRetries = retries;
          throw e;
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
        retries += 1;
      }
    }
  }

  #retryWaitMs(error, method, retries) {
    if (retries >= this.maxRetries) return null;
    if (RETRY_STATUSES.has(error.status)) {
      if (error.retryAfter !== null) {
        const ms = error.retryAfter * 1000;
        return ms <= this.maxRetryWaitMs ? ms : null;
      }
    } else if (!(error.status === 0 && IDEMPOTENT.has(method))) {
      return null;
    }
    // Exponential backoff with full jitter (what AWS's SDKs do).
    return Math.random() * Math.min(this.maxRetryWaitMs, this.backoffMs * 2 ** retries);
  }

  async #send(method, url, body, headers) {
    let response;
    try {
      response = await fetch(url, {
        method, headers, body: body && body.length ? body : undefined,
        signal: AbortSignal.timeout(this.timeoutMs), redirect: 'follow',
      });
    } catch (e) {
      throw new KilnError('connection_failed', `cannot reach ${this.endpoint}: ${e.cause?.message ?? e.message}`);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    const h = Object.fromEntries([...response.headers].map(([k, v]) => [k.toLowerCase(), v]));
    if (response.status >= 400) throw errorOf(response.status, h, bytes);
    return { status: response.status, headers: h, body: bytes };
  }
}

function errorOf(status, headers, bytes) {
  let retryAfter = null;
  if (headers['retry-after'] !== undefined) {
    const n = Number(headers['retry-after']);
    retryAfter = Number.isFinite(n) ? Math.max(0, n) : null;
  }
  try {
    const { error } = JSON.parse(new TextDecoder().decode(bytes));
    if (error && typeof error.code === 'string') {
      return new KilnError(error.code, error.message, error.requestId ?? null, status, retryAfter);
    }
  } catch {
    // not the envelope: below
  }
  const text = new TextDecoder().decode(bytes).slice(0, 200);
  return new KilnError(`http_${status}`, text || `HTTP ${status}`, headers['x-kiln-request-id'] ?? null, status, retryAfter);
}

function seg(value) {
  return encodeURIComponent(String(value));
}

function kvPath(serviceName, key) {
  return `/api/v1/services/${seg(serviceName)}/kv/${seg(key)}`;
}

function intOrNull(text) {
  const n = Number.parseInt(text, 10);
  return Number.isNaN(n) ? null : n;
}

function payloadBytes(payload) {
  if (payload === undefined || payload === null) return new Uint8Array(0);
  if (payload instanceof Uint8Array) return payload;
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (typeof payload === 'string') return new TextEncoder().encode(payload);
  return new TextEncoder().encode(JSON.stringify(payload));
}

/** createFunction's settings as Kiln's names: timeout (seconds) → timeoutMs, and aliases. */
function settingsOf(settings) {
  const out = {};
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (name === 'timeout') {
      out.timeoutMs = Math.round(value * 1000);
    } else if (name === 'runtime' && !['kiln', 'wasi-cgi'].includes(value)) {
      throw new TypeError("Kiln runs WebAssembly: runtime must be 'kiln' or 'wasi-cgi'");
    } else {
      out[SETTING_NAMES[name] ?? name] = value;
    }
  }
  return out;
}

async function codeBytes(code) {
  if (code instanceof Uint8Array) return code;
  if (code instanceof ArrayBuffer) return new Uint8Array(code);
  if (typeof code === 'string') {
    if ((await stat(code)).isDirectory()) return zip(await directoryEntries(code));
    return new Uint8Array(await readFile(code));
  }
  if (code && typeof code.zipFile === 'string') return new Uint8Array(Buffer.from(code.zipFile, 'base64'));
  throw new TypeError('code must be bytes, a path, or { zipFile: base64 }');
}

async function directoryEntries(root) {
  const out = [];
  const walk = async (dir) => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push([relative(root, full).split(sep).join('/'), new Uint8Array(await readFile(full))]);
    }
  };
  await walk(root);
  return out;
}

/** The upload's body and type: settings go into kiln.json, so code and settings make one version. */
function packageUpload(code, settings) {
  const none = Object.keys(settings).length === 0;
  const wasm = code[0] === 0 && code[1] === 0x61 && code[2] === 0x73 && code[3] === 0x6d;
  const isZip = code[0] === 0x50 && code[1] === 0x4b;
  if (wasm) {
    if (none) return { body: code, type: 'application/wasm' };
    const manifest = { ...settings, module: MODULE_ENTRY };
    return { body: zip([['kiln.json', utf8(JSON.stringify(manifest))], [MODULE_ENTRY, code]]), type: 'application/zip' };
  }
  if (isZip) {
    if (none) return { body: code, type: 'application/zip' };
    const entries = unzip(code);
    const manifestEntry = entries.find(([name]) => name === 'kiln.json');
    let manifest;
    if (manifestEntry) {
      manifest = JSON.parse(new TextDecoder().decode(manifestEntry[1]));
    } else {
      const modules = entries.filter(([name]) => name.endsWith('.wasm'));
      if (modules.length !== 1) throw new TypeError('a zip without kiln.json must hold exactly one .wasm module');
      manifest = { module: modules[0][0] };
    }
    Object.assign(manifest, settings);
    const rest = entries.filter(([name]) => name !== 'kiln.json');
    return { body: zip([...rest, ['kiln.json', utf8(JSON.stringify(manifest))]]), type: 'application/zip' };
  }
  throw new TypeError('code is neither a WebAssembly module (\\0asm) nor a zip archive');
}

function utf8(text) {
  return new TextEncoder().encode(text);
}

// ---------------------------------------------------------------- a minimal zip (store only)

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip archive of [name, bytes] entries, stored (no compression). */
function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = utf8(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const size = centrals.reduce((a, b) => a + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, ...centrals, end]));
}

/** The [name, bytes] entries of a zip archive (stored or deflated), read from its central directory. */
function unzip(bytes) {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let end = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--) {
    if (b.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new TypeError('not a readable zip archive');
  const count = b.readUInt16LE(end + 10);
  let p = b.readUInt32LE(end + 16);
  const out = [];
  for (let i = 0; i < count; i++) {
    if (b.readUInt32LE(p) !== 0x02014b50) throw new TypeError('not a readable zip archive');
    const method = b.readUInt16LE(p + 10);
    const compressed = b.readUInt32LE(p + 20);
    const nameLength = b.readUInt16LE(p + 28);
    const extraLength = b.readUInt16LE(p + 30);
    const commentLength = b.readUInt16LE(p + 32);
    const local = b.readUInt32LE(p + 42);
    const name = b.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    const start = local + 30 + b.readUInt16LE(local + 26) + b.readUInt16LE(local + 28);
    const raw = b.subarray(start, start + compressed);
    if (!name.endsWith('/')) {
      if (method === 0) out.push([name, new Uint8Array(raw)]);
      else if (method === 8) out.push([name, new Uint8Array(inflateRawSync(raw))]);
      else throw new TypeError(`zip entry ${name}: compression method ${method} is not supported`);
    }
    p += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}
