// The workerd side of the peer comparison: /hello echoes in JavaScript, /wasm through the same
// echo module Kiln serves, called the way Kiln calls it (kiln_alloc, copy in, kiln_handle, copy
// out). One instance per isolate, reused across requests: workerd's normal model.
import echoModule from "echo.wasm";

const echo = new WebAssembly.Instance(echoModule, {}).exports;
const HEADERS = { "content-type": "application/octet-stream" };

export default {
  async fetch(request) {
    const body = new Uint8Array(await request.arrayBuffer());
    const path = new URL(request.url).pathname;
    if (path.startsWith("/wasm")) {
      const ptr = echo.kiln_alloc(body.length);
      new Uint8Array(echo.memory.buffer, ptr, body.length).set(body);
      const packed = echo.kiln_handle(ptr, body.length);
      const outPtr = Number(packed >> 32n);
      const outLen = Number(packed & 0xffffffffn);
      const out = new Uint8Array(echo.memory.buffer, outPtr, outLen).slice();
      return new Response(out, { headers: HEADERS });
    }
    return new Response(body, { headers: HEADERS });
  },
};
