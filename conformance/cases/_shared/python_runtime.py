# The Python runtime's conformance function (guest-sdks/python, docs/adr/0050), shared by the
# cases under python/ so the host compiles CPython once. Committed gzip'd (11.5 MB raw). Rebuild
# after changing it:
#   guest-sdks/python/runtime/build.sh conformance/cases/_shared/python_runtime.py /tmp/py.wasm
#   gzip -9 -n -c /tmp/py.wasm > conformance/cases/_shared/python-runtime.wasm.gz
import json

import kiln

calls = 0  # module state: every invocation starts from the snapshot, where it is 0


def down(n):
    return down(n + 1) + 1


def handler(event, context):
    global calls
    calls += 1
    req = context.request
    what = req.path[1:] if req is not None else event.decode("utf-8", "replace")
    if what == "hello":
        print("hello from Python")
        return "Hello world!"
    if what == "raise":
        raise TypeError("declined by the function")
    if what == "recurse":
        return down(0)
    if what == "loop":
        while True:
            pass
    if what == "calls":
        return str(calls)
    if what == "bytes":
        return bytes([0, 1, 2, 255])
    if what == "json":
        return {"trigger": context.trigger, "fn": context.function.name, "bytes": len(event)}
    if what == "stdlib":
        import decimal, hashlib, re
        return json.dumps([
            hashlib.sha256(b"kiln").hexdigest()[:12],
            str(decimal.Decimal("1.10") + decimal.Decimal("2.20")),
            re.sub(r"\d+", "#", "a1b22"),
        ])
    if what == "status":
        return {
            "statusCode": 202,
            "headers": {"content-type": "text/plain", "x-multi": ["a", "b"]},
            "body": f"{req.method} {req.query_params['q']} {req.headers['x-test']}",
        }
    if what == "kv":
        return str(kiln.kv.increment("py-conformance"))
    return f"unknown: {what}"
