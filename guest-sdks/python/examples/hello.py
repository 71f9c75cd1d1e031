# hello: the seed's function. `kiln invoke` answers "Hello world!"; over HTTP,
# GET /fn/demo/hello/greet?name=Kiln answers "Hello, Kiln! (GET /greet)" like the other SDKs'
# hello, with a status and headers.
def handler(event, context):
    print(f"hello from {context.function.name} ({context.request_id})")
    req = context.request  # None unless the HTTP trigger called
    if req is None:
        return "Hello world!"
    name = req.query_params.get("name") or req.headers.get("x-name") or "world"
    return {
        "statusCode": 200,
        "headers": {"content-type": "text/plain; charset=utf-8", "x-sdk": "python"},
        "body": f"Hello, {name}! ({req.method} {req.path})\n",
    }
