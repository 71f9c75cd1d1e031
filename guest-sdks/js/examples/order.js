// order: the seed's order-submitted event. In:
//   {"orderId": "A-1001", "items": [{"sku": "tea", "quantity": 2, "priceCents": 450}, ...]}
// Out: {"orderId":"A-1001","lines":2,"quantity":3,"totalCents":1250,"status":"accepted"}
// Logs as it goes; a missing orderId or a malformed item is thrown, which Kiln answers as
// guest_error with the message (and logs the stack).
export function handler(event, context) {
  let order;
  try {
    order = JSON.parse(event);
  } catch (e) {
    throw new Error("invalid JSON");
  }
  const id = order.orderId;
  if (typeof id !== "string" || id === "") throw new Error("missing orderId");
  if (!Array.isArray(order.items)) throw new Error(`order ${id}: items must be an array`);
  console.info(`order received ${id} with ${order.items.length} items`);

  let quantity = 0;
  let totalCents = 0;
  order.items.forEach((item, index) => {
    if (typeof item.sku !== "string") throw new Error(`order ${id}: item ${index} has no sku`);
    const q = item.quantity ?? 1;
    const price = item.priceCents ?? 0;
    if (!Number.isInteger(q) || q <= 0 || !Number.isInteger(price) || price < 0) {
      throw new Error(`order ${id}: item ${index} (${item.sku}) has a bad quantity or price`);
    }
    console.debug(`item ${index}: ${q} x ${item.sku} at ${price} cents`);
    quantity += q;
    totalCents += q * price;
  });
  console.info(`order ${id} accepted: ${quantity} units, ${totalCents} cents`);
  return { orderId: id, lines: order.items.length, quantity, totalCents, status: "accepted" };
}
