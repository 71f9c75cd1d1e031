/* counter: a page-view counter in the service's key-value store (kiln_kv_*, ABI.md 4.12).
 *   GET /{page}     adds one to the key "views:/{page}": {"page":"/{page}","views":N}
 *   DELETE /{page}  removes the key: {"page":"/{page}","deleted":true}, false when there was none
 *   GET /           {"pages":P,"views":V}: how many pages have counters and their sum (lists the
 *                   keys with the prefix "views:" page by page)
 * Other methods get 405. A failing store call is a guest error naming the SDK's error, e.g.
 * "counter: key-value limit reached (-3)" for a path over the 256-byte key limit. */
#define KILN_IMPLEMENTATION
#include "kiln.h"

static int failed(int code) {
    kiln_buf m = {0};
    kiln_buf_puts(&m, "counter: ");
    kiln_buf_puts(&m, kiln_kv_strerror(code));
    int r = kiln_fail_str(kiln_buf_str(&m));
    kiln_buf_free(&m);
    return r;
}

/* A counter's value; 0 when it is not an integer. */
static int64_t parse_count(kiln_str v) {
    bool neg = v.len > 1 && v.ptr[0] == '-';
    int64_t n = 0;
    for (size_t i = neg; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9' || n > INT64_MAX / 10 - 1) return 0;
        n = n * 10 + (v.ptr[i] - '0');
    }
    return neg ? -n : n;
}

static int handle(const kiln_request *req, kiln_response *res) {
    bool get = kiln_str_eq(req->method, "GET");
    if (!get && !kiln_str_eq(req->method, "DELETE")) {
        kiln_response_status(res, 405);
        kiln_response_header(res, "allow", "GET, DELETE");
        kiln_buf_puts(&res->body, "only GET and DELETE\n");
        return KILN_OK;
    }
    kiln_response_header(res, "content-type", "application/json");
    kiln_buf *out = &res->body;

    if (get && kiln_str_eq(req->path, "/")) {
        kiln_kv_keys it;
        kiln_str key, value;
        int64_t pages = 0, views = 0;
        kiln_kv_list(&it, "views:");
        while (kiln_kv_next(&it, &key)) {
            int r = kiln_kv_get(key.ptr, &value);
            if (r == KILN_ERR_NOT_FOUND) continue; /* expired or deleted meanwhile */
            if (r != KILN_OK) return failed(r);
            pages++;
            views += parse_count(value);
        }
        if (it.error) return failed(it.error);
        kiln_buf_puts(out, "{\"pages\":");
        kiln_buf_put_i64(out, pages);
        kiln_buf_puts(out, ",\"views\":");
        kiln_buf_put_i64(out, views);
        kiln_buf_putc(out, '}');
        return KILN_OK;
    }

    kiln_buf key = {0};
    kiln_buf_puts(&key, "views:");
    kiln_buf_put_str(&key, req->path);
    kiln_buf_puts(out, "{\"page\":");
    kiln_buf_put_json_string(out, req->path);
    if (get) {
        int64_t views;
        int r = kiln_kv_increment(kiln_buf_str(&key).ptr, 1, &views);
        if (r != KILN_OK) {
            kiln_buf_free(&key);
            return failed(r);
        }
        kiln_buf_puts(out, ",\"views\":");
        kiln_buf_put_i64(out, views);
    } else {
        int r = kiln_kv_delete(kiln_buf_str(&key).ptr);
        if (r != KILN_OK && r != KILN_ERR_NOT_FOUND) {
            kiln_buf_free(&key);
            return failed(r);
        }
        kiln_buf_puts(out, r == KILN_OK ? ",\"deleted\":true" : ",\"deleted\":false");
    }
    kiln_buf_putc(out, '}');
    kiln_buf_free(&key);
    return KILN_OK;
}

KILN_HTTP_HANDLER(handle)
