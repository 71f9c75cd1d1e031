// Write Kiln functions in AssemblyScript (kiln ABI v1, see wasm-abi/ABI.md).
//
//   import { Request, Response, http } from "kiln-sdk/assembly";
//   export * from "kiln-sdk/assembly/exports"; // the ABI entry points
//
//   http((req: Request): Response => {
//     return Response.text("Hello from " + req.path);
//   });
//
// Register one handler at top level: `http(fn)` for HTTP functions, `event(fn)` for event
// functions. Both return a Response (for events only its body is used). A deliberate error is
// `return fail("message")`: the client gets 500 guest_error with that message. A `throw` or
// failed assertion is a trap (guest_trap); its message goes to the function's logs.

import * as host from "./host";
import { Source, readString, readValue } from "./host";
import { Json, JsonValue } from "./json";

export { Json, JsonValue, JsonKind, JsonObject, JSON_MAX_DEPTH } from "./json";
export { kv, KvError } from "./kv";
export { outbound, FetchError, FetchHeader, FetchRequest, FetchResponse } from "./outbound";

// ---- Bytes and text ----------------------------------------------------------------------

/** The bytes of a UTF-8 string. */
export function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

/** Bytes decoded as UTF-8 (invalid sequences become U+FFFD). */
export function text(bytes: Uint8Array): string {
  return String.UTF8.decodeUnsafe(bytes.dataStart, bytes.length);
}

// ---- Events --------------------------------------------------------------------------------

/** The event of an event function: the bytes posted to …/invoke (or the HTTP body). */
export class Event {
  constructor(public readonly bytes: Uint8Array) {}

  /** The bytes as UTF-8 text. */
  text(): string {
    return text(this.bytes);
  }

  /** The bytes parsed as JSON; null when invalid (Json.lastError says why). */
  json(): JsonValue | null {
    return Json.parse(this.text());
  }
}

// ---- HTTP ----------------------------------------------------------------------------------

/** One request header. Names are lower-case. */
export class Header {
  constructor(public readonly name: string, public readonly value: string) {}
}

/**
 * An HTTP request from the HTTP trigger (/fn/{service}/{function}/{path…}). Under the invoke
 * trigger an HTTP handler sees POST "/", no query and no headers, and the event as body.
 */
export class Request {
  private headerList: Header[] | null = null;

  constructor(
    /** GET, POST, … */
    public readonly method: string,
    /** After /fn/{service}/{function}, starting with "/", still percent-encoded. */
    public readonly path: string,
    /** The raw query without "?"; empty when none. */
    public readonly query: string,
    public readonly body: Uint8Array,
    /** False when the function was called through the invoke trigger. */
    public readonly isHttp: bool,
  ) {}

  /** The body as UTF-8 text. */
  text(): string {
    return text(this.body);
  }

  /** The body parsed as JSON; null when invalid. */
  json(): JsonValue | null {
    return Json.parse(this.text());
  }

  /** The first value of query parameter `name`, percent-decoded ("+" is a space). */
  queryParam(name: string): string | null {
    let pairs = this.query.split("&");
    for (let i = 0; i < pairs.length; i++) {
      let pair = pairs[i];
      if (pair.length == 0) continue;
      let eq = pair.indexOf("=");
      let key = formDecode(eq < 0 ? pair : pair.substring(0, eq));
      if (key == name) return eq < 0 ? "" : formDecode(pair.substring(eq + 1));
    }
    return null;
  }

  /** The first value of header `name` (case-insensitive), or null. */
  header(name: string): string | null {
    let lower = asciiLower(name);
    let all = this.headers();
    for (let i = 0; i < all.length; i++) {
      if (all[i].name == lower) return all[i].value;
    }
    return null;
  }

  /** All headers, grouped by name, values in arrival order. */
  headers(): Header[] {
    let list = this.headerList;
    if (list === null) {
      list = [];
      let raw = this.isHttp ? readValue(Source.Headers) : null;
      if (raw !== null) {
        let bytes = Uint8Array.wrap(raw);
        let start = 0;
        let name: string | null = null;
        for (let i = 0; i < bytes.length; i++) {
          if (bytes[i] != 0) continue;
          let field = String.UTF8.decodeUnsafe(bytes.dataStart + start, i - start);
          if (name === null) {
            name = field;
          } else {
            list.push(new Header(name, field));
            name = null;
          }
          start = i + 1;
        }
      }
      this.headerList = list;
    }
    return list;
  }
}

/** Header names are ASCII tokens: String#toLowerCase would pull in Unicode case tables. */
function asciiLower(s: string): string {
  let out = s;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) {
      out = out.substring(0, i) + String.fromCharCode(c + 32) + out.substring(i + 1);
    }
  }
  return out;
}

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Percent-decoding for application/x-www-form-urlencoded text. */
function formDecode(s: string): string {
  let raw = Uint8Array.wrap(String.UTF8.encode(s));
  let out = new Uint8Array(raw.length);
  let o = 0;
  for (let i = 0; i < raw.length; i++) {
    let c = <i32>raw[i];
    if (c == 0x2b) {
      out[o++] = 0x20;
    } else if (c == 0x25 && i + 2 < raw.length && hexDigit(raw[i + 1]) >= 0 && hexDigit(raw[i + 2]) >= 0) {
      out[o++] = <u8>((hexDigit(raw[i + 1]) << 4) | hexDigit(raw[i + 2]));
      i += 2;
    } else {
      out[o++] = <u8>c;
    }
  }
  return String.UTF8.decodeUnsafe(out.dataStart, o);
}

/** A header to send. */
class OutHeader {
  constructor(public name: string, public value: string, public replace: bool) {}
}

/**
 * The answer: status (default 200), headers, body. For event functions only the body is used,
 * like Lambda's Invoke versus a function URL.
 */
export class Response {
  status: i32 = 200;
  body: Uint8Array;
  private outHeaders: OutHeader[] = [];
  /** Set by fail(): the invocation already reported a guest error. */
  failed: bool = false;

  constructor(body: Uint8Array = new Uint8Array(0), status: i32 = 200) {
    this.body = body;
    this.status = status;
  }

  /** 200 with a text/plain body. */
  static text(body: string, status: i32 = 200): Response {
    return new Response(utf8(body), status).setHeader("content-type", "text/plain; charset=utf-8");
  }

  /** 200 with an application/json body (already serialised, e.g. with JsonObject). */
  static json(body: string, status: i32 = 200): Response {
    return new Response(utf8(body), status).setHeader("content-type", "application/json");
  }

  /** Raw bytes (application/octet-stream unless you set content-type). */
  static bytes(body: Uint8Array, status: i32 = 200): Response {
    return new Response(body, status);
  }

  /** Sets the status (200–599); returns this for chaining. */
  withStatus(status: i32): Response {
    this.status = status;
    return this;
  }

  /** Replaces all values of a header; returns this for chaining. */
  setHeader(name: string, value: string): Response {
    this.outHeaders.push(new OutHeader(name, value, true));
    return this;
  }

  /** Adds a value to a header; returns this for chaining. */
  addHeader(name: string, value: string): Response {
    this.outHeaders.push(new OutHeader(name, value, false));
    return this;
  }

  /**
   * Hands status and headers to the host. A status outside 200–599 or a header the host
   * refuses (reserved names such as content-length or x-kiln-*, control characters, too
   * many) is a guest error naming it.
   */
  send(): bool {
    if (this.status != 200 && host.response_set_status(this.status) < 0) {
      fail("invalid HTTP status " + this.status.toString() + " (must be 200-599)");
      return false;
    }
    for (let i = 0; i < this.outHeaders.length; i++) {
      let h = this.outHeaders[i];
      let name = String.UTF8.encode(h.name);
      let value = String.UTF8.encode(h.value);
      let r = h.replace
        ? host.response_header_set(changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength)
        : host.response_header_add(changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength);
      if (r < 0) {
        fail("response header \"" + h.name + "\" was refused: reserved name, invalid characters or too many headers");
        return false;
      }
    }
    return true;
  }
}

// ---- Errors and logs ------------------------------------------------------------------------

/**
 * Reports a guest error: the client gets 500 guest_error with this message (write it for
 * your users). Returns a Response to `return` from the handler; its content is ignored.
 */
export function fail(message: string): Response {
  let m = String.UTF8.encode(message);
  host.fail(changetype<usize>(m), m.byteLength);
  let r = new Response();
  r.failed = true;
  return r;
}

/** Function logs: one call is one line (1000 lines / 64 KiB kept per invocation). */
export namespace log {
  export const DEBUG = 0;
  export const INFO = 1;
  export const WARN = 2;
  export const ERROR = 3;

  export function write(level: i32, message: string): void {
    let m = String.UTF8.encode(message);
    host.log(level, changetype<usize>(m), m.byteLength);
  }
  export function debug(message: string): void { write(DEBUG, message); }
  export function info(message: string): void { write(INFO, message); }
  export function warn(message: string): void { write(WARN, message); }
  export function error(message: string): void { write(ERROR, message); }
}

// ---- Config, context, clocks, randomness ---------------------------------------------------

/** The function's env settings (kiln.json or PATCH {"env": {...}}). */
export namespace config {
  /** The value of `key`, or null when unset. */
  export function get(key: string): string | null {
    return readString(Source.Config, 0, String.UTF8.encode(key));
  }
  /** The value of `key`, or `fallback` when unset. */
  export function getOr(key: string, fallback: string): string {
    let v = get(key);
    return v !== null ? v : fallback;
  }
}

/** The current invocation. */
export namespace context {
  function field(id: i32): string {
    let v = readString(Source.Context, id);
    return v !== null ? v : "";
  }
  /** As in X-Kiln-Request-Id. */
  export function requestId(): string { return field(0); }
  export function service(): string { return field(1); }
  export function functionName(): string { return field(2); }
  /** The sha-256 (hex) of the running module. */
  export function version(): string { return field(3); }
  /** "invoke" or "http". */
  export function trigger(): string { return field(4); }
  /** Unix epoch ms at which the host cuts the invocation; 0 outside one. */
  export function deadlineMs(): i64 { return host.deadline_ms(); }
  /** Milliseconds left before the deadline. */
  export function remainingMs(): i64 {
    let left = host.deadline_ms() - host.clock_unix_ns() / 1_000_000;
    return left > 0 ? left : 0;
  }
}

export namespace time {
  /** Wall-clock time in Unix epoch nanoseconds. */
  export function unixNanos(): i64 { return host.clock_unix_ns(); }
  /** A monotonic clock in nanoseconds, for intervals. */
  export function monotonicNanos(): i64 { return host.clock_monotonic_ns(); }
}

export namespace random {
  /** Fills `buf` with cryptographically strong random bytes. */
  export function fill(buf: Uint8Array): void {
    for (let off = 0; off < buf.length; off += 65536) {
      host.random_fill(buf.dataStart + off, min(buf.length - off, 65536));
    }
  }
}

// ---- Registration ---------------------------------------------------------------------------

/** @internal */ export let httpHandler: ((req: Request) => Response) | null = null;
/** @internal */ export let eventHandler: ((event: Event) => Response) | null = null;
/** @internal */ export let initHandler: (() => void) | null = null;

/** Registers the HTTP handler (call once, at top level). */
export function http(handler: (req: Request) => Response): void {
  httpHandler = handler;
}

/** Registers the event handler (call once, at top level). */
export function event(handler: (event: Event) => Response): void {
  eventHandler = handler;
}

/**
 * Runs `fn` once per instance before the first invocation; Kiln snapshots memory after it, so
 * what it prepares is free for every invocation.
 */
export function onInit(fn: () => void): void {
  initHandler = fn;
}
