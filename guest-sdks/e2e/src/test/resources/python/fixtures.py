# Test fixtures: one module deployed under several names (one compile), the function's name
# picks the behaviour: throws, loop, recurse, memory; any other name answers shapes().
import random

import kiln

calls = 0  # module state: reset for every invocation (the snapshot holds it at 0)


def check_payment(event):
    raise TypeError(f"payment {event.decode()} declined")


def down(n):
    return down(n + 1) + 1


def handler(event, context):
    name = context.function.name
    if event == b"ok":
        return "still serving"
    if name == "throws":
        print("about to fail")
        return check_payment(event)
    if name == "loop":  # fuel or the deadline must end it
        n = 0
        while True:
            n += 1
    if name == "recurse":  # Python's RecursionError, not a trap
        return down(0)
    if name == "memory":  # allocates until the memory cap
        keep = []
        while True:
            keep.append(bytearray(1 << 20))
    return shapes(event, context)


def shapes(event, context):
    """The result shapes, the context and the runtime's API."""
    global calls
    calls += 1
    what = event.decode("utf-8", "replace")
    if what == "bytes":
        return bytes([0, 1, 2, 255])
    if what == "none":
        return None
    if what == "list":
        return [1, "two", None, True]
    if what == "calls":
        return str(calls)
    if what == "random":
        return str(random.random())
    if what == "text":
        return "grüße ✓ 🎉"
    if what == "config":
        return kiln.config("GREETING", "none")
    if what == "exit":
        raise SystemExit(3)
    if what == "stdlib":
        import datetime, decimal, hashlib, re, base64
        return {
            "sha": hashlib.sha256(b"kiln").hexdigest()[:12],
            "decimal": str(decimal.Decimal("1.10") + decimal.Decimal("2.20")),
            "date": datetime.date(2026, 12, 4).isoformat(),
            "re": re.sub(r"\d+", "#", "a1b22"),
            "b64": base64.b64encode(b"hi").decode(),
        }
    if what == "context":
        return {
            "requestId": context.request_id, "functionName": context.function.name,
            "service": context.service.name, "trigger": context.trigger,
            "remaining": context.get_remaining_time_in_millis() > 0,
            "bodyLength": len(event), "request": None,
        }
    if context.request is not None:
        r = context.request
        return {
            "statusCode": 201,
            "headers": {"x-multi": ["a", "b"], "content-type": "text/plain"},
            "body": f"{r.method} {r.path} {r.query_params['q']} {r.headers['x-test']} "
                    f"{event.decode()}",
        }
    return {"echo": what, "bytes": list(event)}
