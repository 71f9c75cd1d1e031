// The raw `kiln` host functions of ABI v1 (wasm-abi/ABI.md, section 4) and the buffer
// convention around them. Everything public in the SDK is built on these.

@external("kiln", "context_get")
export declare function context_get(field: i32, buf: usize, cap: i32): i32;
@external("kiln", "deadline_ms")
export declare function deadline_ms(): i64;
@external("kiln", "request_get")
export declare function request_get(field: i32, buf: usize, cap: i32): i32;
@external("kiln", "request_header")
export declare function request_header(name: usize, nameLen: i32, index: i32, buf: usize, cap: i32): i32;
@external("kiln", "request_headers")
export declare function request_headers(buf: usize, cap: i32): i32;
@external("kiln", "response_set_status")
export declare function response_set_status(status: i32): i32;
@external("kiln", "response_header_set")
export declare function response_header_set(name: usize, nameLen: i32, value: usize, valueLen: i32): i32;
@external("kiln", "response_header_add")
export declare function response_header_add(name: usize, nameLen: i32, value: usize, valueLen: i32): i32;
@external("kiln", "log")
export declare function log(level: i32, msg: usize, len: i32): i32;
@external("kiln", "config_get")
export declare function config_get(key: usize, keyLen: i32, buf: usize, cap: i32): i32;
@external("kiln", "fail")
export declare function fail(msg: usize, len: i32): i32;
@external("kiln", "clock_unix_ns")
export declare function clock_unix_ns(): i64;
@external("kiln", "clock_monotonic_ns")
export declare function clock_monotonic_ns(): i64;
@external("kiln", "random_fill")
export declare function random_fill(buf: usize, len: i32): i32;

// What readValue asks the host for.
export const enum Source {
  Context = 0,
  Request = 1,
  Headers = 2,
  Header = 3,
  Config = 4,
}

function call(source: Source, field: i32, key: ArrayBuffer | null, buf: usize, cap: i32): i32 {
  let k = changetype<usize>(key);
  let kl = key ? key.byteLength : 0;
  switch (source) {
    case Source.Context: return context_get(field, buf, cap);
    case Source.Request: return request_get(field, buf, cap);
    case Source.Headers: return request_headers(buf, cap);
    case Source.Header: return request_header(k, kl, field, buf, cap);
    default: return config_get(k, kl, buf, cap);
  }
}

/**
 * Reads a value with the buffer convention (ABI.md 3): try a small buffer and, when the host
 * says the value is longer, call again with one of exactly that size. Null when the host
 * returns an error code (no such value).
 */
export function readValue(source: Source, field: i32 = 0, key: ArrayBuffer | null = null): ArrayBuffer | null {
  let cap = 256;
  let buf = new ArrayBuffer(cap);
  while (true) {
    let n = call(source, field, key, changetype<usize>(buf), cap);
    if (n < 0) return null;
    if (n <= cap) return buf.slice(0, n);
    cap = n; // too small: the value is n bytes long
    buf = new ArrayBuffer(cap);
  }
}

/** readValue decoded as UTF-8. */
export function readString(source: Source, field: i32 = 0, key: ArrayBuffer | null = null): string | null {
  let v = readValue(source, field, key);
  return v ? String.UTF8.decode(v) : null;
}

// Key-value store (ABI.md 4.12) and outbound HTTP (4.13). AssemblyScript imports only the
// functions a module calls, so modules without them run on hosts without those features.
@external("kiln", "kv_get")
export declare function kv_get(key: usize, keyLen: i32, buf: usize, cap: i32): i32;
@external("kiln", "kv_set")
export declare function kv_set(key: usize, keyLen: i32, value: usize, valueLen: i32, ttlMs: i64): i32;
@external("kiln", "kv_delete")
export declare function kv_delete(key: usize, keyLen: i32): i32;
@external("kiln", "kv_list")
export declare function kv_list(prefix: usize, prefixLen: i32, after: usize, afterLen: i32, buf: usize, cap: i32): i32;
@external("kiln", "kv_increment")
export declare function kv_increment(key: usize, keyLen: i32, delta: i64, result: usize): i32;
@external("kiln", "kv_compare_and_swap")
export declare function kv_compare_and_swap(key: usize, keyLen: i32, expected: usize, expectedLen: i32, value: usize, valueLen: i32): i32;
@external("kiln", "http_send")
export declare function http_send(method: usize, methodLen: i32, url: usize, urlLen: i32, headers: usize, headersLen: i32, body: usize, bodyLen: i32): i32;
@external("kiln", "http_response_status")
export declare function http_response_status(handle: i32): i32;
@external("kiln", "http_response_headers")
export declare function http_response_headers(handle: i32, buf: usize, cap: i32): i32;
@external("kiln", "http_response_body")
export declare function http_response_body(handle: i32, buf: usize, cap: i32): i32;
