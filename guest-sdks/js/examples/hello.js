// hello: the seed's function. `kiln invoke` answers "Hello world!"; over HTTP,
// GET /fn/demo/hello/greet?name=Kiln answers "Hello, Kiln! (GET /greet)" like the other SDKs'
// hello, with a status and headers.
export function handler(event, context) {
  console.log(`hello from ${context.functionName} (${context.requestId})`);
  const req = context.request; // null unless the HTTP trigger called
  if (!req) return "Hello world!";
  const name = req.queryParams.name || req.headers["x-name"] || "world";
  return {
    status: 200,
    headers: { "content-type": "text/plain; charset=utf-8", "x-sdk": "js" },
    body: `Hello, ${name}! (${req.method} ${req.path})\n`,
  };
}
