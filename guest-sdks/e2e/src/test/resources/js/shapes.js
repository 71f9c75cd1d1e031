// Test fixture: the result shapes, the context and the globals the prelude provides.
let calls = 0; // module state: reset for every invocation (the snapshot holds it at 0)
export async function handler(event, context) {
  calls++;
  switch (event) {
    case "bytes":
      return new Uint8Array([0, 1, 2, 255]);
    case "buffer":
      return new Uint8Array([104, 105]).buffer;
    case "null":
      return null;
    case "async":
      return await Promise.resolve("awaited");
    case "reject":
      await null;
      throw new RangeError("rejected later");
    case "calls":
      return String(calls);
    case "random":
      return [Math.random(), Math.random()];
    case "context":
      return {
        requestId: context.requestId, functionName: context.functionName, service: context.service,
        trigger: context.trigger, remaining: context.getRemainingTimeInMillis() > 0,
        bodyLength: context.body.length, request: context.request,
      };
    case "text":
      return new TextDecoder().decode(new TextEncoder().encode("grüße ✓ 🎉"));
    case "config":
      return Kiln.config("GREETING", "none");
    default:
      if (context.request) {
        return {
          status: 201,
          headers: { "x-multi": ["a", "b"], "content-type": "text/plain" },
          body: `${context.request.method} ${context.request.path} ${context.request.queryParams.q}` +
            ` ${context.request.headers["x-test"]} ${new TextDecoder().decode(context.body)}`,
        };
      }
      return { echo: event, bytes: Array.from(context.body) };
  }
}
