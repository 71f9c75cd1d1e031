// order: the order-submitted event. In:
//   {"orderId": "A-1001", "items": [{"sku": "tea", "quantity": 2, "priceCents": 450}, ...]}
// Out: {"orderId":"A-1001","lines":2,"quantity":3,"totalCents":1250,"status":"accepted"}
// Logs as it goes; a missing orderId or a malformed item is a guest error naming it.
import { Event, Json, JsonObject, Response, event, fail, log } from "kiln-sdk/assembly";
export * from "kiln-sdk/assembly/exports";

event((e: Event): Response => {
  let order = e.json();
  if (order === null) return fail(Json.lastError);
  let id = order.get("orderId");
  if (!id.isString || id.str.length == 0) return fail("missing orderId");
  let items = order.get("items");
  if (!items.isArray) return fail("order " + id.str + ": items must be an array");
  log.info("order received " + id.str + " with " + items.length.toString() + " items");

  let quantity: i64 = 0;
  let totalCents: i64 = 0;
  for (let i = 0; i < items.length; i++) {
    let item = items.at(i);
    let sku = item.get("sku");
    if (!sku.isString) return fail("order " + id.str + ": item " + i.toString() + " has no sku");
    let q = item.get("quantity");
    let p = item.get("priceCents");
    if ((!q.isNull && !q.isInteger) || (!p.isNull && !p.isInteger)) {
      return fail("order " + id.str + ": item " + i.toString() + " (" + sku.str + ") has a bad quantity or price");
    }
    let qty: i64 = q.isNull ? 1 : <i64>q.num;
    let price: i64 = p.isNull ? 0 : <i64>p.num;
    if (qty < 1 || price < 0) {
      return fail("order " + id.str + ": item " + i.toString() + " (" + sku.str + ") has a bad quantity or price");
    }
    log.debug("item " + i.toString() + ": " + qty.toString() + " x " + sku.str + " at " + price.toString() + " cents");
    quantity += qty;
    totalCents += qty * price;
  }
  log.info("order " + id.str + " accepted: " + quantity.toString() + " units, " + totalCents.toString() + " cents");

  return Response.json(new JsonObject()
    .str("orderId", id.str)
    .int("lines", items.length)
    .int("quantity", quantity)
    .int("totalCents", totalCents)
    .str("status", "accepted")
    .toString());
});
