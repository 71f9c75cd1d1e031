// Kiln's JavaScript prelude: evaluated in kiln_init after the function's module, so it is part
// of the snapshot. It gives the function console, Kiln (kv, fetch, config, context helpers),
// crypto.getRandomValues, TextEncoder/TextDecoder, and defines how kiln_handle calls the handler
// (__kiln_invoke, then __kiln_finish once promises have settled). docs/adr/0049.
import * as fn from "handler.js";

const native = globalThis.__kiln;
delete globalThis.__kiln;
const handler = typeof fn.handler === "function" ? fn.handler : fn.default;
if (typeof handler !== "function") {
  throw new TypeError("handler.js must export a function: export function handler(event, context)");
}

// ---- UTF-8 ----
function utf8Encode(s) {
  s = String(s);
  const out = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else
      out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}
function utf8Decode(bytes) {
  const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  let s = "";
  for (let i = 0; i < b.length; ) {
    const c = b[i++];
    let cp;
    if (c < 0x80) cp = c;
    else if (c >= 0xc2 && c < 0xe0 && i < b.length) cp = ((c & 31) << 6) | (b[i++] & 63);
    else if (c >= 0xe0 && c < 0xf0 && i + 1 < b.length) {
      cp = ((c & 15) << 12) | ((b[i] & 63) << 6) | (b[i + 1] & 63);
      i += 2;
    } else if (c >= 0xf0 && c < 0xf5 && i + 2 < b.length) {
      cp = ((c & 7) << 18) | ((b[i] & 63) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63);
      i += 3;
    } else cp = 0xfffd;
    s += String.fromCodePoint(cp);
  }
  return s;
}
globalThis.TextEncoder = class TextEncoder {
  get encoding() { return "utf-8"; }
  encode(s = "") { return utf8Encode(s); }
};
globalThis.TextDecoder = class TextDecoder {
  get encoding() { return "utf-8"; }
  decode(b) {
    if (b === undefined) return "";
    if (ArrayBuffer.isView(b)) b = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return utf8Decode(b);
  }
};
function toBytes(v) {
  if (typeof v === "string") return utf8Encode(v);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return utf8Encode(String(v));
}

// ---- console → function logs ----
function show(v, depth) {
  if (typeof v === "string") return v;
  if (v instanceof Error) return v.stack ? `${v.name}: ${v.message}\n${v.stack}`.trimEnd() : String(v);
  if (typeof v === "function") return `[Function ${v.name || "(anonymous)"}]`;
  if (typeof v === "object" && v !== null) {
    try {
      return JSON.stringify(v);
    } catch (e) {
      return String(v);
    }
  }
  return String(v);
}
function logger(level) {
  return (...args) => native.log(level, args.map((a) => show(a)).join(" "));
}
globalThis.console = {
  debug: logger(0),
  log: logger(1),
  info: logger(1),
  warn: logger(2),
  error: logger(3),
  trace: logger(0),
};

// ---- randomness: per invocation, from the host ----
Math.random = native.random;
globalThis.crypto = { getRandomValues: native.randomFill };

// ---- Kiln.kv, Kiln.fetch, Kiln.config ----
const CODES = {
  "-1": "not found", "-2": "invalid argument", "-3": "limit reached", "-4": "conflict",
  "-5": "unavailable", "-6": "denied by allowedOutboundHosts", "-7": "invalid URL",
  "-8": "too many requests", "-9": "response too large", "-10": "timeout",
  "-11": "connect failed", "-12": "I/O error",
};
class KilnError extends Error {
  constructor(what, code) {
    super(`${what}: ${CODES[code] || "error"} (${code})`);
    this.name = "KilnError";
    this.code = code;
  }
}
function check(what, r) {
  if (typeof r === "number" && r < 0) throw new KilnError(what, r);
  return r;
}
function kvKey(k) {
  if (typeof k !== "string") throw new TypeError("key-value keys are strings");
  return k;
}
const kv = Object.freeze({
  get(key) {
    const v = check("kv.get", native.kvGet(kvKey(key)));
    return v === null ? null : utf8Decode(v);
  },
  getBytes(key) {
    const v = check("kv.get", native.kvGet(kvKey(key)));
    return v === null ? null : new Uint8Array(v);
  },
  getJson(key) {
    const v = kv.get(key);
    return v === null ? null : JSON.parse(v);
  },
  set(key, value, options) {
    const ttl = options && options.ttlMs ? Number(options.ttlMs) : 0;
    const v = typeof value === "string" || value instanceof ArrayBuffer || ArrayBuffer.isView(value)
      ? value : JSON.stringify(value);
    check("kv.set", native.kvSet(kvKey(key), v, ttl));
  },
  delete(key) {
    const r = native.kvDelete(kvKey(key));
    if (r === -1) return false;
    check("kv.delete", r);
    return true;
  },
  increment(key, delta = 1) {
    const r = native.kvIncrement(kvKey(key), delta);
    if (Array.isArray(r)) throw new KilnError("kv.increment", r[0]);
    return r;
  },
  compareAndSwap(key, expected, value) {
    const r = native.kvCas(kvKey(key), expected, value);
    if (r === -4) return false;
    check("kv.compareAndSwap", r);
    return true;
  },
  list(prefix = "") {
    const keys = [];
    let after = "";
    for (;;) {
      const page = new Uint8Array(check("kv.list", native.kvList(prefix, after)));
      if (page.length === 0) return keys;
      for (let i = 0; i + 2 <= page.length; ) {
        const n = page[i] | (page[i + 1] << 8);
        keys.push(utf8Decode(page.subarray(i + 2, i + 2 + n)));
        i += 2 + n;
      }
      after = keys[keys.length - 1];
    }
  },
});

function headerBlock(headers) {
  let s = "";
  if (!headers) return s;
  const entries = typeof headers.entries === "function" && !Array.isArray(headers)
    ? Array.from(headers.entries()) : Array.isArray(headers) ? headers : Object.entries(headers);
  for (const [n, v] of entries) s += `${n}\0${v}\0`;
  return s;
}
function parseHeaderBlock(s) {
  const parts = s ? s.split("\0") : [];
  const list = [];
  for (let i = 0; i + 1 < parts.length; i += 2) list.push([parts[i], parts[i + 1]]);
  return list;
}
class KilnHeaders {
  constructor(list) { this.list = list; }
  get(name) {
    const n = String(name).toLowerCase();
    const vs = this.list.filter(([k]) => k === n).map(([, v]) => v);
    return vs.length ? vs.join(", ") : null;
  }
  has(name) { return this.get(name) !== null; }
  entries() { return this.list[Symbol.iterator](); }
  [Symbol.iterator]() { return this.list[Symbol.iterator](); }
  toJSON() { return Object.fromEntries(this.list); }
}
// A synchronous fetch: Kiln.fetch(url, {method, headers, body}) → response with status, ok,
// headers.get(), text(), json(), bytes(). Throws KilnError (code -6 denied, …) on failure.
function kilnFetch(url, init = {}) {
  const method = (init.method || (init.body !== undefined ? "POST" : "GET")).toUpperCase();
  const body = init.body === undefined || init.body === null ? ""
    : typeof init.body === "object" && !(init.body instanceof ArrayBuffer) && !ArrayBuffer.isView(init.body)
      ? JSON.stringify(init.body) : init.body;
  const h = check("fetch " + url, native.httpSend(method, String(url), headerBlock(init.headers), body));
  const status = native.httpStatus(h);
  const headers = new KilnHeaders(parseHeaderBlock(native.httpHeaders(h) || ""));
  let raw;
  const bytes = () => (raw === undefined ? (raw = new Uint8Array(check("fetch body", native.httpBody(h)))) : raw);
  return {
    url: String(url), status, ok: status >= 200 && status < 300, headers,
    bytes, arrayBuffer: () => bytes().buffer, text: () => utf8Decode(bytes()), json: () => JSON.parse(utf8Decode(bytes())),
  };
}

globalThis.Kiln = Object.freeze({
  kv,
  fetch: kilnFetch,
  config: (key, fallback = null) => { const v = native.config(String(key)); return v === null ? fallback : v; },
  KilnError,
});
// fetch returning a promise, for code written against the web API (the call itself blocks).
globalThis.fetch = (url, init) => {
  try {
    return Promise.resolve(kilnFetch(url, init));
  } catch (e) {
    return Promise.reject(e);
  }
};

// ---- one invocation ----
const TRIGGER = 4;
function makeContext(bytes) {
  const trigger = native.context(TRIGGER);
  const deadlineMs = native.deadline();
  const context = {
    requestId: native.context(0),
    service: native.context(1),
    functionName: native.context(2),
    version: native.context(3),
    trigger,
    deadlineMs,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    body: new Uint8Array(bytes),
    request: null,
  };
  if (trigger === "http") {
    const list = parseHeaderBlock(native.requestHeaders() || "");
    const headers = {};
    for (const [n, v] of list) headers[n] = n in headers ? `${headers[n]}, ${v}` : v;
    const query = native.request(2) || "";
    const params = {};
    for (const part of query.split("&")) {
      if (!part) continue;
      const eq = part.indexOf("=");
      const dec = (s) => { try { return decodeURIComponent(s.replace(/\+/g, " ")); } catch (e) { return s; } };
      const k = dec(eq < 0 ? part : part.slice(0, eq));
      if (!(k in params)) params[k] = dec(eq < 0 ? "" : part.slice(eq + 1));
    }
    context.request = {
      method: native.request(0), path: native.request(1), query, queryParams: params,
      headers, headerList: list, body: context.body,
    };
  }
  return context;
}

let outcome;
globalThis.__kiln_invoke = (event, bytes) => {
  outcome = undefined;
  const context = makeContext(bytes);
  const r = handler(event, context);
  if (r && typeof r.then === "function") {
    r.then((v) => { outcome = { value: v }; }, (e) => { outcome = { error: e }; });
  } else {
    outcome = { value: r };
  }
};

function isBytes(v) {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}
function bodyOf(v, jsonContentType) {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (isBytes(v)) return toBytes(v).slice().buffer;
  if (jsonContentType) native.header(false, "content-type", "application/json");
  return JSON.stringify(v);
}
// An object with a numeric status or statusCode is an HTTP response: {status, headers, body}.
function isResponse(v) {
  return v !== null && typeof v === "object" && !isBytes(v) && !Array.isArray(v) &&
    (typeof v.status === "number" || typeof v.statusCode === "number") &&
    ("body" in v || "headers" in v);
}
globalThis.__kiln_finish = () => {
  const o = outcome;
  outcome = undefined;
  if (o === undefined) throw new Error("the handler's promise never settled");
  if (o.error !== undefined) throw o.error;
  const v = o.value;
  if (isResponse(v)) {
    const status = v.status !== undefined ? v.status : v.statusCode;
    if (native.setStatus(status) < 0) throw new RangeError(`invalid HTTP status ${status}`);
    let typed = false;
    for (const [n, val] of Object.entries(v.headers || {})) {
      if (n.toLowerCase() === "content-type") typed = true;
      const values = Array.isArray(val) ? val : [val];
      values.forEach((x, i) => {
        if (native.header(i > 0, n, String(x)) < 0) throw new TypeError(`invalid response header ${n}`);
      });
    }
    return bodyOf(v.body, !typed);
  }
  return bodyOf(v, true);
};
