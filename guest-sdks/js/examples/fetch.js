// fetch: fetches a JSON document from another service and transforms it (outbound HTTP through
// Kiln.fetch). The URL comes from the function's SOURCE_URL setting, or the event's text; the
// function's allowedOutboundHosts must allow it. Out:
//   {"source": URL, "status": 200, "keys": ["a", "b", …]} — the top-level keys of the document.
// A denied or failed call throws Kiln.KilnError ("fetch URL: denied by allowedOutboundHosts (-6)").
export function handler(event) {
  const url = Kiln.config("SOURCE_URL") ?? event.trim();
  const res = Kiln.fetch(url);
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  const doc = res.json();
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new Error(`${url} did not answer a JSON object`);
  }
  return { source: url, status: res.status, keys: Object.keys(doc) };
}
