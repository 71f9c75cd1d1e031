/* order: the order-submitted event. In:
 *   {"orderId": "A-1001", "items": [{"sku": "tea", "quantity": 2, "priceCents": 450}, ...]}
 * Out: {"orderId":"A-1001","lines":2,"quantity":3,"totalCents":1250,"status":"accepted"}
 * Logs as it goes; a missing orderId or a malformed item is a guest error naming it. */
#define KILN_IMPLEMENTATION
#include "kiln.h"

/* Fails with "order <id>: item <index> [(<sku>)]<what>". */
static int fail_item(kiln_str id, int64_t index, kiln_str sku, const char *what) {
    kiln_buf msg = {0};
    kiln_buf_puts(&msg, "order ");
    kiln_buf_put_str(&msg, id);
    kiln_buf_puts(&msg, ": item ");
    kiln_buf_put_i64(&msg, index);
    if (sku.ptr) {
        kiln_buf_puts(&msg, " (");
        kiln_buf_put_str(&msg, sku);
        kiln_buf_putc(&msg, ')');
    }
    kiln_buf_puts(&msg, what);
    int r = kiln_fail_str(kiln_buf_str(&msg));
    kiln_buf_free(&msg);
    return r;
}

static int handle(kiln_str event, kiln_buf *out) {
    if (!kiln_json_valid(event)) return kiln_fail("invalid JSON");
    kiln_str id;
    if (!kiln_json_string(kiln_json_get(event, "orderId"), &id) || id.len == 0)
        return kiln_fail("missing orderId");
    kiln_str items = kiln_json_get(event, "items");
    if (kiln_json_typeof(items) != KILN_JSON_ARRAY) {
        kiln_buf msg = {0};
        kiln_buf_puts(&msg, "order ");
        kiln_buf_put_str(&msg, id);
        kiln_buf_puts(&msg, ": items must be an array");
        int r = kiln_fail_str(kiln_buf_str(&msg));
        kiln_buf_free(&msg);
        return r;
    }

    int64_t lines = 0;
    kiln_str cursor = items, item;
    while (kiln_json_next(&cursor, &item)) lines++;
    kiln_buf log = {0};
    kiln_buf_puts(&log, "order received ");
    kiln_buf_put_str(&log, id);
    kiln_buf_puts(&log, " with ");
    kiln_buf_put_i64(&log, lines);
    kiln_buf_puts(&log, " items");
    kiln_log_str(KILN_INFO, kiln_buf_str(&log));

    int64_t quantity = 0, total_cents = 0, index = 0;
    for (cursor = items; kiln_json_next(&cursor, &item); index++) {
        kiln_str sku;
        int64_t q = 1, price = 0;
        if (!kiln_json_string(kiln_json_get(item, "sku"), &sku)) {
            kiln_buf_free(&log);
            return fail_item(id, index, (kiln_str){NULL, 0}, " has no sku");
        }
        kiln_str qv = kiln_json_get(item, "quantity"), pv = kiln_json_get(item, "priceCents");
        if ((qv.ptr && !kiln_json_int(qv, &q)) || (pv.ptr && !kiln_json_int(pv, &price)) ||
            q < 1 || price < 0) {
            kiln_buf_free(&log);
            return fail_item(id, index, sku, " has a bad quantity or price");
        }
        log.len = 0;
        kiln_buf_puts(&log, "item ");
        kiln_buf_put_i64(&log, index);
        kiln_buf_puts(&log, ": ");
        kiln_buf_put_i64(&log, q);
        kiln_buf_puts(&log, " x ");
        kiln_buf_put_str(&log, sku);
        kiln_buf_puts(&log, " at ");
        kiln_buf_put_i64(&log, price);
        kiln_buf_puts(&log, " cents");
        kiln_log_str(KILN_DEBUG, kiln_buf_str(&log));
        quantity += q;
        total_cents += q * price;
    }
    log.len = 0;
    kiln_buf_puts(&log, "order ");
    kiln_buf_put_str(&log, id);
    kiln_buf_puts(&log, " accepted: ");
    kiln_buf_put_i64(&log, quantity);
    kiln_buf_puts(&log, " units, ");
    kiln_buf_put_i64(&log, total_cents);
    kiln_buf_puts(&log, " cents");
    kiln_log_str(KILN_INFO, kiln_buf_str(&log));
    kiln_buf_free(&log);

    kiln_buf_puts(out, "{\"orderId\":");
    kiln_buf_put_json_string(out, id);
    kiln_buf_puts(out, ",\"lines\":");
    kiln_buf_put_i64(out, lines);
    kiln_buf_puts(out, ",\"quantity\":");
    kiln_buf_put_i64(out, quantity);
    kiln_buf_puts(out, ",\"totalCents\":");
    kiln_buf_put_i64(out, total_cents);
    kiln_buf_puts(out, ",\"status\":\"accepted\"}");
    return KILN_OK;
}

KILN_EVENT_HANDLER(handle)
