// fetch: fetches a JSON document from another service and transforms it (outbound, ABI.md 4.13).
// The URL comes from the function's SOURCE_URL setting, or the event's text; the function's
// allowedOutboundHosts must allow it. Out:
//   {"source": URL, "status": 200, "keys": ["a", "b", …]} — the top-level keys of the document.
import { Event, Json, Response, config, event, fail, outbound } from "kiln-sdk/assembly";
export * from "kiln-sdk/assembly/exports";

event((e: Event): Response => {
  let source = config.get("SOURCE_URL");
  let url = source !== null ? source : e.text().trim();
  let res = outbound.get(url);
  if (res === null) return fail(outbound.errorMessage(outbound.lastError));
  if (res.status != 200) return fail(url + " answered " + res.status.toString());
  let doc = res.json();
  if (doc === null) return fail(Json.lastError);
  if (!doc.isObject) return fail(url + " did not answer a JSON object");
  let keys = "";
  for (let i = 0; i < doc.keys.length; i++) {
    keys += (i > 0 ? "," : "") + Json.quote(doc.keys[i]);
  }
  return Response.json("{\"source\":" + Json.quote(url) + ",\"status\":" + res.status.toString() +
    ",\"keys\":[" + keys + "]}");
});
