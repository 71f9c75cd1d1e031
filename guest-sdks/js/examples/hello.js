// The seed's hello: `kiln invoke` answers "Hello world!", and over HTTP
// GET /fn/demo/hello?name=Kiln answers "Hello, Kiln!".
export function handler(event, context) {
  const name = context.request?.queryParams.name;
  console.log(`hello from ${context.functionName} (${context.requestId})`);
  return name ? `Hello, ${name}!` : "Hello world!";
}
