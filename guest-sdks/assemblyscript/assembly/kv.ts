// The service's key-value store (wasm-abi/ABI.md 4.12): one store per service, shared by all its
// functions and their invocations, kept across invocations and restarts.
//
//   let views = kv.increment("views:/home");
//   if (kv.lastError != KvError.OK) return fail("counter: " + kv.errorMessage(kv.lastError));
//
// Keys are 1–256 bytes of text without control characters; values are any bytes up to 1 MiB.
// Every call sets kv.lastError: KvError.OK after a success, the host's code otherwise; the write
// calls also return it.

import * as host from "./host";

/** Error codes of the key-value calls (ABI.md 3). */
export enum KvError {
  OK = 0,
  /** The key does not exist or has expired (get, remove). */
  NotFound = -1,
  /** An empty key, control characters, a negative TTL, an increment of a non-integer. */
  Invalid = -2,
  /** A key over 256 bytes, a value over 1 MiB, or the service's store is full. */
  Limit = -3,
  /** compareAndSwap found another value. */
  Conflict = -4,
  /** Outside an invocation (onInit), or the store failed; nothing changed. */
  Unavailable = -5,
}

export namespace kv {
  /** The result of the last call: KvError.OK or the host's error code. */
  export let lastError: i32 = 0;

  /** The value of `key`, or null when it does not exist (lastError NotFound) or on an error. */
  export function get(key: string): Uint8Array | null {
    let k = String.UTF8.encode(key);
    let cap = 1024;
    while (true) {
      let buf = new Uint8Array(cap);
      let n = host.kv_get(changetype<usize>(k), k.byteLength, buf.dataStart, cap);
      if (n < 0) {
        lastError = n;
        return null;
      }
      lastError = 0;
      if (n <= cap) return buf.subarray(0, n);
      cap = n; // the buffer convention (ABI.md 3): nothing was written, the value is n bytes
    }
  }

  /** get() decoded as UTF-8. */
  export function getString(key: string): string | null {
    let v = get(key);
    return v !== null ? String.UTF8.decodeUnsafe(v.dataStart, v.length) : null;
  }

  /** Whether `key` exists, without reading its value. */
  export function exists(key: string): bool {
    let k = String.UTF8.encode(key);
    let n = host.kv_get(changetype<usize>(k), k.byteLength, 0, 0);
    lastError = n < 0 ? n : 0;
    return n >= 0;
  }

  /** Stores `value` under `key`, replacing any; the key expires `ttlMs` later (0: never). */
  export function set(key: string, value: Uint8Array, ttlMs: i64 = 0): i32 {
    let k = String.UTF8.encode(key);
    return done(host.kv_set(changetype<usize>(k), k.byteLength, value.dataStart, value.length, ttlMs));
  }

  /** set() with UTF-8 text. */
  export function setString(key: string, value: string, ttlMs: i64 = 0): i32 {
    return set(key, Uint8Array.wrap(String.UTF8.encode(value)), ttlMs);
  }

  /** Removes `key`; KvError.NotFound when there was none. */
  export function remove(key: string): i32 {
    let k = String.UTF8.encode(key);
    return done(host.kv_delete(changetype<usize>(k), k.byteLength));
  }

  /**
   * Adds `delta` to the integer stored (as decimal text) under `key`, a missing key counting as
   * 0, atomically; returns the new value (0 on an error: check lastError).
   */
  export function increment(key: string, delta: i64 = 1): i64 {
    let k = String.UTF8.encode(key);
    let result = new Uint8Array(8);
    if (done(host.kv_increment(changetype<usize>(k), k.byteLength, delta, result.dataStart)) < 0) return 0;
    return load<i64>(result.dataStart);
  }

  /**
   * Stores `value` only if the key's value is still `expected` (null: only if the key does not
   * exist), atomically; KvError.Conflict when it was something else. No expiry.
   */
  export function compareAndSwap(key: string, expected: Uint8Array | null, value: Uint8Array): i32 {
    let k = String.UTF8.encode(key);
    let e: usize = expected !== null ? expected.dataStart : 0;
    let el: i32 = expected !== null ? expected.length : -1;
    return done(host.kv_compare_and_swap(changetype<usize>(k), k.byteLength, e, el, value.dataStart, value.length));
  }

  /** All keys starting with `prefix`, ascending, reading page after page. */
  export function list(prefix: string): string[] {
    let keys = new Array<string>();
    while (true) {
      let page = listPage(prefix, keys.length > 0 ? keys[keys.length - 1] : "");
      if (lastError != 0 || page.length == 0) return keys;
      for (let i = 0; i < page.length; i++) keys.push(page[i]);
    }
  }

  /**
   * One page (at most 100) of the keys starting with `prefix` that sort after `after` ("" from
   * the start); empty at the end. For the next page pass the page's last key.
   */
  export function listPage(prefix: string, after: string = ""): string[] {
    let p = String.UTF8.encode(prefix);
    let a = String.UTF8.encode(after);
    let cap = 4096;
    let keys = new Array<string>();
    while (true) {
      let buf = new Uint8Array(cap);
      let n = host.kv_list(changetype<usize>(p), p.byteLength, changetype<usize>(a), a.byteLength, buf.dataStart, cap);
      if (n < 0) {
        lastError = n;
        return keys;
      }
      lastError = 0;
      if (n > cap) {
        cap = n;
        continue;
      }
      // Each key: its length as u16 little-endian, then its bytes.
      let at = 0;
      while (at + 2 <= n) {
        let len = min(<i32>buf[at] | (<i32>buf[at + 1] << 8), n - at - 2);
        keys.push(String.UTF8.decodeUnsafe(buf.dataStart + at + 2, len));
        at += 2 + len;
      }
      return keys;
    }
  }

  /** The error as text with its code, e.g. "key-value limit reached (-3)". */
  export function errorMessage(code: i32): string {
    switch (code) {
      case KvError.OK: return "ok (0)";
      case KvError.NotFound: return "no such key (-1)";
      case KvError.Invalid: return "invalid key, value or TTL (-2)";
      case KvError.Limit: return "key-value limit reached (-3)";
      case KvError.Conflict: return "the value changed (-4)";
      case KvError.Unavailable: return "key-value store unavailable (-5)";
      default: return "key-value call failed (" + code.toString() + ")";
    }
  }

  function done(code: i32): i32 {
    lastError = code < 0 ? code : 0;
    return lastError;
  }
}
