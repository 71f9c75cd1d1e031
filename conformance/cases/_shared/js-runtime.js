// The JavaScript runtime's conformance function (guest-sdks/js, docs/adr/0049), shared by the
// cases under js/ so the host compiles the ~500 KB QuickJS module once. Rebuild after changing it:
//   guest-sdks/js/runtime/build.sh conformance/cases/_shared/js-runtime.js conformance/cases/_shared/js-runtime.wasm
let calls = 0;
export async function handler(event, context) {
  calls++;
  const req = context.request;
  const what = req ? req.path.slice(1) : event;
  switch (what) {
    case "hello":
      console.log("hello from JavaScript");
      return "Hello world!";
    case "throw":
      throw new TypeError("declined by the function");
    case "reject":
      await null;
      throw new RangeError("rejected later");
    case "loop":
      for (;;) {}
    case "recurse": {
      const down = (n) => down(n + 1) + 1;
      return down(0);
    }
    case "calls":
      return String(calls);
    case "bytes":
      return new Uint8Array([0, 1, 2, 255]);
    case "json":
      return { trigger: context.trigger, fn: context.functionName, bytes: context.body.length };
    case "status":
      return {
        status: 202,
        headers: { "content-type": "text/plain", "x-multi": ["a", "b"] },
        body: `${req.method} ${req.queryParams.q} ${req.headers["x-test"]}`,
      };
    case "kv":
      return String(Kiln.kv.increment("js-conformance"));
    default:
      return `unknown: ${what}`;
  }
}
