// counter: counts calls in the service's key-value store (Kiln.kv), so the count survives
// instances and restarts. An invoke with a key name counts that key; "reset" deletes it.
export function handler(event, context) {
  const key = `count:${event || "default"}`;
  if (context.request?.method === "DELETE" || event === "reset") {
    return Kiln.kv.delete("count:default") ? "reset" : "nothing to reset";
  }
  const n = Kiln.kv.increment(key);
  Kiln.kv.set("last-request", context.requestId, { ttlMs: 60000 });
  return { key, count: n, last: Kiln.kv.get("last-request") };
}
