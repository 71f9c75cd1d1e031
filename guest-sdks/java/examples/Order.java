import com.eclipsesource.json.Json;
import com.eclipsesource.json.JsonArray;
import com.eclipsesource.json.JsonObject;
import com.eclipsesource.json.JsonValue;
import com.eclipsesource.json.ParseException;

/**
 * order: the seed's order-submitted event. In:
 *   {"orderId": "A-1001", "items": [{"sku": "tea", "quantity": 2, "priceCents": 450}, ...]}
 * Out: {"orderId":"A-1001","lines":2,"quantity":3,"totalCents":1250,"status":"accepted"}
 * Logs as it goes; a missing orderId or a malformed item is thrown, which Kiln answers as
 * guest_error with the exception (and logs the stack). JSON with minimal-json.
 */
public class Order {
    public JsonObject handle(String event) {
        JsonValue parsed;
        try {
            parsed = Json.parse(event);
        } catch (ParseException e) {
            throw new IllegalArgumentException("invalid JSON");
        }
        if (!parsed.isObject()) {
            throw new IllegalArgumentException("invalid JSON");
        }
        JsonObject order = parsed.asObject();
        JsonValue idValue = order.get("orderId");
        if (idValue == null || !idValue.isString() || idValue.asString().isEmpty()) {
            throw new IllegalArgumentException("missing orderId");
        }
        String id = idValue.asString();
        JsonValue itemsValue = order.get("items");
        if (itemsValue == null || !itemsValue.isArray()) {
            throw new IllegalArgumentException("order " + id + ": items must be an array");
        }
        JsonArray items = itemsValue.asArray();
        System.out.println("order received " + id + " with " + items.size() + " items");

        long quantity = 0;
        long totalCents = 0;
        for (int i = 0; i < items.size(); i++) {
            JsonObject item = items.get(i).isObject() ? items.get(i).asObject() : new JsonObject();
            JsonValue sku = item.get("sku");
            if (sku == null || !sku.isString()) {
                throw new IllegalArgumentException("order " + id + ": item " + i + " has no sku");
            }
            long q = wholeNumber(item.get("quantity"), 1);
            long price = wholeNumber(item.get("priceCents"), 0);
            if (q <= 0 || price < 0) {
                throw new IllegalArgumentException("order " + id + ": item " + i + " ("
                        + sku.asString() + ") has a bad quantity or price");
            }
            System.out.println(
                    "item " + i + ": " + q + " x " + sku.asString() + " at " + price + " cents");
            quantity += q;
            totalCents += q * price;
        }
        System.out.println(
                "order " + id + " accepted: " + quantity + " units, " + totalCents + " cents");
        return Json.object()
                .add("orderId", id)
                .add("lines", items.size())
                .add("quantity", quantity)
                .add("totalCents", totalCents)
                .add("status", "accepted");
    }

    /** A JSON integer, {@code fallback} when absent, -1 when it is not a whole number. */
    private static long wholeNumber(JsonValue v, long fallback) {
        if (v == null) {
            return fallback;
        }
        if (!v.isNumber()) {
            return -1;
        }
        double d = v.asDouble();
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? (long) d : -1;
    }
}
