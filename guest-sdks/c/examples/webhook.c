/* webhook: the order-submitted event, kept in the key-value store and acknowledged to a webhook
 * (kiln_kv_*, ABI.md 4.12, and kiln_http_*, 4.13). In: the order event, {"orderId": "A-1001", ...}.
 *   1. Stores the event under "order:{orderId}" if that key is new (compare-and-swap, so a
 *      redelivered event never overwrites the first).
 *   2. Unless "ack:{orderId}" says it was acknowledged before, POSTs
 *      {"orderId":"A-1001","status":"received"} to the URL in the WEBHOOK_URL setting (which the
 *      function's allowedOutboundHosts must allow) and keeps the answer's status under
 *      "ack:{orderId}" for 7 days.
 * Out: {"orderId":"A-1001","stored":"order:A-1001","acknowledged":204,"duplicate":false}
 * (duplicate: acknowledged before, nothing posted). A missing orderId or WEBHOOK_URL, a store
 * error ("kv: ..."), a failed request ("webhook: denied by allowedOutboundHosts (-6)") or an
 * answer other than 2xx ("webhook answered 500") is a guest error, so an asynchronous event is
 * retried. */
#define KILN_IMPLEMENTATION
#include "kiln.h"

#define ACK_TTL_MS (7 * 24 * 3600 * 1000LL)

static int fail_with(const char *what, const char *detail) {
    kiln_buf m = {0};
    kiln_buf_puts(&m, what);
    kiln_buf_puts(&m, detail);
    int r = kiln_fail_str(kiln_buf_str(&m));
    kiln_buf_free(&m);
    return r;
}

/* prefix + id as a C string in temp memory (freed when the handler returns). */
static const char *key_of(const char *prefix, kiln_str id) {
    size_t n = 0;
    while (prefix[n]) n++;
    char *k = (char *)kiln_temp_alloc(n + id.len + 1);
    memcpy(k, prefix, n);
    memcpy(k + n, id.ptr, id.len);
    k[n + id.len] = 0;
    return k;
}

static int64_t to_int(kiln_str s) {
    int64_t n = 0;
    for (size_t i = 0; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++) n = n * 10 + (s.ptr[i] - '0');
    return n;
}

static int handle(kiln_str event, kiln_buf *out) {
    if (!kiln_json_valid(event)) return kiln_fail("invalid JSON");
    kiln_str id;
    if (!kiln_json_string(kiln_json_get(event, "orderId"), &id) || id.len == 0)
        return kiln_fail("missing orderId");
    kiln_str url = kiln_config_get("WEBHOOK_URL");
    if (!url.ptr) return kiln_fail("WEBHOOK_URL is not set");

    const char *order_key = key_of("order:", id);
    int r = kiln_kv_compare_and_swap(order_key, NULL, event);
    if (r != KILN_OK && r != KILN_ERR_CONFLICT) return fail_with("kv: ", kiln_kv_strerror(r));

    const char *ack_key = key_of("ack:", id);
    kiln_str ack;
    r = kiln_kv_get(ack_key, &ack);
    if (r != KILN_OK && r != KILN_ERR_NOT_FOUND) return fail_with("kv: ", kiln_kv_strerror(r));
    bool duplicate = r == KILN_OK;
    int64_t status;
    if (duplicate) {
        status = to_int(ack);
    } else {
        kiln_buf body = {0};
        kiln_buf_puts(&body, "{\"orderId\":");
        kiln_buf_put_json_string(&body, id);
        kiln_buf_puts(&body, ",\"status\":\"received\"}");
        kiln_http_response res;
        r = kiln_http_post(url.ptr, "application/json", kiln_buf_str(&body), &res);
        kiln_buf_free(&body);
        if (r != KILN_OK) return fail_with("webhook: ", kiln_http_strerror(r));
        if (res.status < 200 || res.status > 299) {
            kiln_buf m = {0};
            kiln_buf_puts(&m, "webhook answered ");
            kiln_buf_put_i64(&m, res.status);
            r = kiln_fail_str(kiln_buf_str(&m));
            kiln_buf_free(&m);
            return r;
        }
        status = res.status;
        kiln_buf text = {0};
        kiln_buf_put_i64(&text, status);
        r = kiln_kv_set_ttl(ack_key, kiln_buf_str(&text), ACK_TTL_MS);
        kiln_buf_free(&text);
        if (r != KILN_OK) return fail_with("kv: ", kiln_kv_strerror(r));
    }
    kiln_buf_puts(out, "{\"orderId\":");
    kiln_buf_put_json_string(out, id);
    kiln_buf_puts(out, ",\"stored\":");
    kiln_buf_put_json_string(out, kiln_cstr(order_key));
    kiln_buf_puts(out, ",\"acknowledged\":");
    kiln_buf_put_i64(out, status);
    kiln_buf_puts(out, duplicate ? ",\"duplicate\":true}" : ",\"duplicate\":false}");
    return KILN_OK;
}

KILN_EVENT_HANDLER(handle)
