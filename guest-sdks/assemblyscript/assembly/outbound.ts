// Outbound HTTP (wasm-abi/ABI.md 4.13): requests from the function to other services, allowed
// by the function's allowedOutboundHosts setting (PATCH …/functions/{f} with
// {"allowedOutboundHosts": ["https://api.example.com"]}; nothing is allowed without it).
//
//   let res = outbound.get("https://api.example.com/items");
//   if (res === null) return fail("items: " + outbound.errorMessage(outbound.lastError));
//   let items = res.json();
//
// One call sends the request and reads the whole response; redirects come back as they are.

import * as host from "./host";
import { Json, JsonValue } from "./json";

/** Why a request failed: the host's error code (ABI.md 4.13). */
export enum FetchError {
  OK = 0,
  /** A malformed method or header, or a reserved header (host, content-length, …). */
  Invalid = -2,
  /** The request body or header block is over its cap. */
  Limit = -3,
  /** No outbound HTTP here (outside an invocation). */
  Unavailable = -5,
  /** allowedOutboundHosts does not allow the URL, or it is a private address. */
  Denied = -6,
  /** Not an absolute http/https URL the host can send. */
  InvalidUrl = -7,
  /** The invocation made all the requests it may. */
  TooManyRequests = -8,
  /** The response passed the invocation's response cap. */
  ResponseTooLarge = -9,
  /** The per-call timeout passed. */
  Timeout = -10,
  /** The name did not resolve, the connection was refused, or TLS failed. */
  ConnectFailed = -11,
  /** The exchange broke after connecting, or the response was not HTTP/1.x. */
  Io = -12,
}

/** A header field of an outbound request or response (response names are lower-case). */
export class FetchHeader {
  constructor(public readonly name: string, public readonly value: string) {}
}

/** A request to send: method, absolute URL, headers and body. */
export class FetchRequest {
  headers: FetchHeader[] = [];
  body: Uint8Array = new Uint8Array(0);

  constructor(public method: string, public url: string) {}

  /** Adds a header; returns this for chaining. */
  withHeader(name: string, value: string): FetchRequest {
    this.headers.push(new FetchHeader(name, value));
    return this;
  }

  /** Sets the body; returns this for chaining. */
  withBody(body: Uint8Array): FetchRequest {
    this.body = body;
    return this;
  }

  /** Sets a UTF-8 text body; returns this for chaining. */
  withText(body: string): FetchRequest {
    return this.withBody(Uint8Array.wrap(String.UTF8.encode(body)));
  }

  /** Sends it and reads the whole response; null on an error (outbound.lastError says which). */
  send(): FetchResponse | null {
    return outbound.send(this);
  }
}

/** A response: status, header fields (names lower-case, arrival order) and the whole body. */
export class FetchResponse {
  constructor(
    /** e.g. 200; a 3xx is returned, never followed. */
    public readonly status: i32,
    public readonly headers: FetchHeader[],
    public readonly body: Uint8Array,
  ) {}

  /** The first value of header `name` (case-insensitive), or null. */
  header(name: string): string | null {
    for (let i = 0; i < this.headers.length; i++) {
      if (sameAscii(this.headers[i].name, name)) return this.headers[i].value;
    }
    return null;
  }

  /** The body as UTF-8 text. */
  text(): string {
    return String.UTF8.decodeUnsafe(this.body.dataStart, this.body.length);
  }

  /** The body parsed as JSON; null when invalid (Json.lastError says why). */
  json(): JsonValue | null {
    return Json.parse(this.text());
  }
}

export namespace outbound {
  /** The result of the last request: FetchError.OK or the host's error code. */
  export let lastError: i32 = 0;

  /** GET url; null on an error (lastError). */
  export function get(url: string): FetchResponse | null {
    return send(new FetchRequest("GET", url));
  }

  /** POST url with a body and its content-type; null on an error (lastError). */
  export function post(url: string, contentType: string, body: Uint8Array): FetchResponse | null {
    return send(new FetchRequest("POST", url).withHeader("content-type", contentType).withBody(body));
  }

  /** Sends a request and reads the whole response; null on an error (lastError). */
  export function send(req: FetchRequest): FetchResponse | null {
    let block = encodeHeaders(req.headers);
    let m = String.UTF8.encode(req.method);
    let u = String.UTF8.encode(req.url);
    let handle = host.http_send(
      changetype<usize>(m), m.byteLength, changetype<usize>(u), u.byteLength,
      block.dataStart, block.length, req.body.dataStart, req.body.length);
    if (handle < 0) {
      lastError = handle;
      return null;
    }
    let status = host.http_response_status(handle);
    if (status < 0) {
      lastError = status;
      return null;
    }
    lastError = 0;
    return new FetchResponse(status, decodeHeaders(read(handle, false)), read(handle, true));
  }

  /** The error as text with its code, e.g. "denied by allowedOutboundHosts (-6)". */
  export function errorMessage(code: i32): string {
    switch (code) {
      case FetchError.OK: return "ok (0)";
      case FetchError.Invalid: return "malformed method or header (-2)";
      case FetchError.Limit: return "request over its cap (-3)";
      case FetchError.Unavailable: return "outbound HTTP unavailable (-5)";
      case FetchError.Denied: return "denied by allowedOutboundHosts (-6)";
      case FetchError.InvalidUrl: return "invalid URL (-7)";
      case FetchError.TooManyRequests: return "too many outbound requests (-8)";
      case FetchError.ResponseTooLarge: return "response too large (-9)";
      case FetchError.Timeout: return "outbound request timed out (-10)";
      case FetchError.ConnectFailed: return "cannot connect (-11)";
      case FetchError.Io: return "the exchange failed (-12)";
      default: return "outbound request failed (" + code.toString() + ")";
    }
  }

  /** The response's header block or body, with the buffer convention (ABI.md 3). */
  function read(handle: i32, body: bool): Uint8Array {
    let cap = 1024;
    while (true) {
      let buf = new Uint8Array(cap);
      let n = body
        ? host.http_response_body(handle, buf.dataStart, cap)
        : host.http_response_headers(handle, buf.dataStart, cap);
      if (n < 0) return new Uint8Array(0);
      if (n <= cap) return buf.subarray(0, n);
      cap = n;
    }
  }
}

/** The ABI's header block: name NUL value NUL for each header. */
function encodeHeaders(headers: FetchHeader[]): Uint8Array {
  let parts = new Array<ArrayBuffer>();
  let size = 0;
  for (let i = 0; i < headers.length; i++) {
    let n = String.UTF8.encode(headers[i].name);
    let v = String.UTF8.encode(headers[i].value);
    parts.push(n);
    parts.push(v);
    size += n.byteLength + v.byteLength + 2;
  }
  let out = new Uint8Array(size);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    let p = parts[i];
    memory.copy(out.dataStart + at, changetype<usize>(p), p.byteLength);
    at += p.byteLength + 1; // the NUL: new Uint8Array is zeroed
  }
  return out;
}

function decodeHeaders(block: Uint8Array): FetchHeader[] {
  let list = new Array<FetchHeader>();
  let start = 0;
  let name: string | null = null;
  for (let i = 0; i < block.length; i++) {
    if (block[i] != 0) continue;
    let field = String.UTF8.decodeUnsafe(block.dataStart + start, i - start);
    if (name === null) {
      name = field;
    } else {
      list.push(new FetchHeader(name, field));
      name = null;
    }
    start = i + 1;
  }
  return list;
}

function sameAscii(lower: string, name: string): bool {
  if (lower.length != name.length) return false;
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 32;
    if (lower.charCodeAt(i) != c) return false;
  }
  return true;
}
