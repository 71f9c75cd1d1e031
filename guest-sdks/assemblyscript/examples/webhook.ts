// webhook: the order-submitted event, kept in the key-value store and acknowledged to a webhook
// (kv, ABI.md 4.12, and outbound, 4.13). In: the order event, {"orderId": "A-1001", ...}.
//   1. Stores the event under "order:{orderId}" if that key is new (compare-and-swap, so a
//      redelivered event never overwrites the first).
//   2. Unless "ack:{orderId}" says it was acknowledged before, POSTs
//      {"orderId":"A-1001","status":"received"} to the URL in the WEBHOOK_URL setting (which the
//      function's allowedOutboundHosts must allow) and keeps the answer's status under
//      "ack:{orderId}" for 7 days.
// Out: {"orderId":"A-1001","stored":"order:A-1001","acknowledged":204,"duplicate":false}
// (duplicate: acknowledged before, nothing posted). A missing orderId or WEBHOOK_URL, a store
// error ("kv: ..."), a failed request ("webhook: denied by allowedOutboundHosts (-6)") or an
// answer other than 2xx ("webhook answered 500") is a guest error, so an asynchronous event is
// retried.
import {
  Event, Json, JsonObject, KvError, Response, config, event, fail, kv, outbound, utf8,
} from "kiln-sdk/assembly";
export * from "kiln-sdk/assembly/exports";

const ACK_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

event((e: Event): Response => {
  let order = e.json();
  if (order === null) return fail(Json.lastError);
  let id = order.get("orderId");
  if (!id.isString || id.str.length == 0) return fail("missing orderId");
  let url = config.get("WEBHOOK_URL");
  if (url === null) return fail("WEBHOOK_URL is not set");

  let orderKey = "order:" + id.str;
  let r = kv.compareAndSwap(orderKey, null, e.bytes);
  if (r != KvError.OK && r != KvError.Conflict) return fail("kv: " + kv.errorMessage(r));

  let ackKey = "ack:" + id.str;
  let ack = kv.getString(ackKey);
  if (ack === null && kv.lastError != KvError.NotFound) return fail("kv: " + kv.errorMessage(kv.lastError));
  let duplicate = ack !== null;
  let status: i64 = 0;
  if (ack !== null) {
    status = I64.parseInt(ack);
  } else {
    let body = new JsonObject().str("orderId", id.str).str("status", "received").toString();
    let res = outbound.post(url, "application/json", utf8(body));
    if (res === null) return fail("webhook: " + outbound.errorMessage(outbound.lastError));
    if (res.status < 200 || res.status > 299) return fail("webhook answered " + res.status.toString());
    status = res.status;
    r = kv.setString(ackKey, status.toString(), ACK_TTL_MS);
    if (r != KvError.OK) return fail("kv: " + kv.errorMessage(r));
  }
  return Response.json(new JsonObject()
    .str("orderId", id.str)
    .str("stored", orderKey)
    .int("acknowledged", status)
    .bool("duplicate", duplicate)
    .toString());
});
