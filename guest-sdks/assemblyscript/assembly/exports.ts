// The kiln ABI v1 entry points. Re-export them from your function's entry file:
//
//   export * from "kiln-sdk/assembly/exports";
//
// Memory: the payload buffer and the last result stay reachable (module globals) exactly as
// long as the host needs them; everything else an invocation allocates is garbage once it
// returns, and is collected at the start of the next one. So an instance that Kiln keeps
// (`reuse` isolation) does not grow from one invocation to the next.

import * as host from "./host";
import { Event, Request, Response, eventHandler, httpHandler, initHandler } from "./index";
import { Source, readString } from "./host";
import "./runtime"; // the abort hook asconfig.json names

/** Room for the next payload; reachable until that invocation ends. */
let payload: ArrayBuffer | null = null;
/** The last result; the host reads it after kiln_handle returns. */
let result: ArrayBuffer | null = null;

/** Heap reserved in kiln_init, before Kiln's snapshot: an instance whose memory grew during
 * an invocation cannot be reset and is dropped. */
const WARM_HEAP_BYTES = 256 * 1024;

export function kiln_alloc(len: i32): usize {
  let buf = new ArrayBuffer(len);
  payload = buf;
  return changetype<usize>(buf);
}

export function kiln_init(): void {
  __free(__alloc(WARM_HEAP_BYTES));
  let init = initHandler;
  if (init !== null) init();
}

export function kiln_abi_version(): i32 {
  return 1;
}

export function kiln_handle(ptr: usize, len: i32): i64 {
  // The host has read the previous result: everything but this payload is garbage now.
  result = null;
  __collect();

  let bytes = payload !== null && changetype<usize>(payload) == ptr
    ? Uint8Array.wrap(payload!, 0, len)
    : Uint8Array.wrap(copyIn(ptr, len)); // a host that allocated elsewhere: copy
  let response: Response;
  let http = httpHandler;
  let event = eventHandler;
  if (http !== null) {
    response = http(request(bytes));
  } else if (event !== null) {
    response = event(new Event(bytes));
  } else {
    response = new Response();
    let m = String.UTF8.encode("no handler registered: call http(...) or event(...) at top level");
    host.fail(changetype<usize>(m), m.byteLength);
    response.failed = true;
  }
  payload = null;
  if (response.failed || (http !== null && !response.send())) return 0;

  let body = response.body;
  // The result must be one allocation the SDK keeps: a view into a larger buffer is copied.
  let out = body.byteOffset == 0 && body.byteLength == body.buffer.byteLength ? body.buffer : body.slice().buffer;
  result = out;
  return (<i64>changetype<usize>(out) << 32) | <i64>out.byteLength;
}

function copyIn(ptr: usize, len: i32): ArrayBuffer {
  let buf = new ArrayBuffer(len);
  memory.copy(changetype<usize>(buf), ptr, len);
  return buf;
}

function request(body: Uint8Array): Request {
  let method = readString(Source.Request, 0);
  if (method === null) return new Request("POST", "/", "", body, false);
  let path = readString(Source.Request, 1);
  let query = readString(Source.Request, 2);
  return new Request(method, path !== null ? path : "/", query !== null ? query : "", body, true);
}
