# counter: counts calls in the service's key-value store (kiln.kv), so the count survives
# instances and restarts. An invoke with a key name counts that key; "reset" deletes it.
import kiln


def handler(event, context):
    name = event.decode() or "default"
    key = f"count:{name}"
    if name == "reset" or (context.request and context.request.method == "DELETE"):
        return "reset" if kiln.kv.delete("count:default") else "nothing to reset"
    n = kiln.kv.increment(key)
    kiln.kv.set("last-request", context.request_id, ttl_ms=60000)
    return {"key": key, "count": n, "last": kiln.kv.get_text("last-request")}
