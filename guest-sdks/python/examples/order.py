# order: the seed's order-submitted event. In:
#   {"orderId": "A-1001", "items": [{"sku": "tea", "quantity": 2, "priceCents": 450}, ...]}
# Out: {"orderId":"A-1001","lines":2,"quantity":3,"totalCents":1250,"status":"accepted"}
# Logs as it goes; a missing orderId or a malformed item is raised, which Kiln answers as
# guest_error with the message (and logs the traceback).
import json
import logging

log = logging.getLogger("order")
log.setLevel(logging.DEBUG)


def handler(event, context):
    try:
        order = json.loads(event)
    except ValueError:
        raise ValueError("invalid JSON") from None
    order_id = order.get("orderId") if isinstance(order, dict) else None
    if not isinstance(order_id, str) or not order_id:
        raise ValueError("missing orderId")
    items = order.get("items")
    if not isinstance(items, list):
        raise ValueError(f"order {order_id}: items must be an array")
    log.info("order received %s with %d items", order_id, len(items))

    quantity = total_cents = 0
    for index, item in enumerate(items):
        if not isinstance(item.get("sku"), str):
            raise ValueError(f"order {order_id}: item {index} has no sku")
        q = item.get("quantity", 1)
        price = item.get("priceCents", 0)
        if type(q) is not int or q <= 0 or type(price) is not int or price < 0:
            raise ValueError(
                f"order {order_id}: item {index} ({item['sku']}) has a bad quantity or price")
        log.debug("item %d: %d x %s at %d cents", index, q, item["sku"], price)
        quantity += q
        total_cents += q * price
    log.info("order %s accepted: %d units, %d cents", order_id, quantity, total_cents)
    return {"orderId": order_id, "lines": len(items), "quantity": quantity,
            "totalCents": total_cents, "status": "accepted"}
