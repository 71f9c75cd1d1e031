/*
 * Kiln's JavaScript runtime: QuickJS on the Kiln ABI (wasm-abi/ABI.md, docs/adr/0049).
 *
 * kiln_init creates the engine, evaluates prelude.js (console, Kiln.kv, Kiln.fetch, the call
 * into the handler) and the function's source (linked in as kiln_js_source by build.sh), so
 * Kiln's post-init snapshot holds an initialised engine with the handler compiled. Every
 * kiln_handle calls the prelude's __kiln_invoke(event, bytes) and returns what it answers.
 *
 * The module imports only from "kiln": the few WASI calls wasi-libc makes (clocks, stderr,
 * stdio) are defined at the bottom of this file on top of the Kiln ABI, so libc's own
 * WASI wrappers are never linked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#include "quickjs.h"

#define KILN_IMPORT(name) __attribute__((import_module("kiln"), import_name(name)))
#define KILN_EXPORT(name) __attribute__((export_name(name)))

KILN_IMPORT("log") int32_t kiln_log(int32_t level, const void *msg, int32_t len);
KILN_IMPORT("fail") int32_t kiln_fail(const void *msg, int32_t len);
KILN_IMPORT("context_get") int32_t kiln_context_get(int32_t field, void *buf, int32_t cap);
KILN_IMPORT("deadline_ms") int64_t kiln_deadline_ms(void);
KILN_IMPORT("request_get") int32_t kiln_request_get(int32_t field, void *buf, int32_t cap);
KILN_IMPORT("request_headers") int32_t kiln_request_headers(void *buf, int32_t cap);
KILN_IMPORT("response_set_status") int32_t kiln_response_set_status(int32_t status);
KILN_IMPORT("response_header_set")
int32_t kiln_response_header_set(const void *n, int32_t nl, const void *v, int32_t vl);
KILN_IMPORT("response_header_add")
int32_t kiln_response_header_add(const void *n, int32_t nl, const void *v, int32_t vl);
KILN_IMPORT("config_get")
int32_t kiln_config_get(const void *k, int32_t kl, void *buf, int32_t cap);
KILN_IMPORT("clock_unix_ns") int64_t kiln_clock_unix_ns(void);
KILN_IMPORT("clock_monotonic_ns") int64_t kiln_clock_monotonic_ns(void);
KILN_IMPORT("random_fill") int32_t kiln_random_fill(void *buf, int32_t len);
KILN_IMPORT("kv_get") int32_t kiln_kv_get(const void *k, int32_t kl, void *buf, int32_t cap);
KILN_IMPORT("kv_set")
int32_t kiln_kv_set(const void *k, int32_t kl, const void *v, int32_t vl, int64_t ttl_ms);
KILN_IMPORT("kv_delete") int32_t kiln_kv_delete(const void *k, int32_t kl);
KILN_IMPORT("kv_list")
int32_t kiln_kv_list(const void *p, int32_t pl, const void *a, int32_t al, void *buf, int32_t cap);
KILN_IMPORT("kv_increment")
int32_t kiln_kv_increment(const void *k, int32_t kl, int64_t delta, void *result);
KILN_IMPORT("kv_compare_and_swap")
int32_t kiln_kv_compare_and_swap(const void *k, int32_t kl, const void *e, int32_t el,
                                 const void *v, int32_t vl);
KILN_IMPORT("http_send")
int32_t kiln_http_send(const void *m, int32_t ml, const void *u, int32_t ul, const void *h,
                       int32_t hl, const void *b, int32_t bl);
KILN_IMPORT("http_response_status") int32_t kiln_http_response_status(int32_t handle);
KILN_IMPORT("http_response_headers")
int32_t kiln_http_response_headers(int32_t handle, void *buf, int32_t cap);
KILN_IMPORT("http_response_body")
int32_t kiln_http_response_body(int32_t handle, void *buf, int32_t cap);

/* The function's source and the prelude, linked in by build.sh (source.c) and prelude.c. */
extern const char kiln_js_source[];
extern const uint32_t kiln_js_source_len;
extern const char kiln_js_prelude[];
extern const uint32_t kiln_js_prelude_len;

/* Heap kept free in the snapshot, so an invocation's allocations rarely grow memory (an instance
 * whose memory grew is dropped rather than reset). */
#define WARM_HEAP (2 * 1024 * 1024)
/* Below the linked stack (build.sh: -z stack-size=1 MiB), so deep JS recursion is a JS
 * InternalError ("stack overflow") and not a trap. */
#define JS_STACK_LIMIT (768 * 1024)

static JSRuntime *rt;
static JSContext *ctx;
static JSValue invoke_fn; /* prelude's __kiln_invoke */
static JSValue finish_fn; /* prelude's __kiln_finish */
static char *payload;
static char *result_copy;
static uint64_t random_state;

/* ---------- reading host values with the buffer convention ---------- */

typedef int32_t (*reader)(int32_t arg, void *buf, int32_t cap);

/* Reads a value into a malloc'd buffer (NUL-terminated); returns its length or the host's
 * negative code (then *out is NULL). */
static int32_t read_value(reader read, int32_t arg, char **out) {
    char small[256];
    int32_t n = read(arg, small, sizeof small);
    *out = NULL;
    if (n < 0) return n;
    char *buf = malloc((size_t)n + 1);
    if (!buf) return -3;
    if ((uint32_t)n <= sizeof small) {
        memcpy(buf, small, (size_t)n);
    } else {
        int32_t again = read(arg, buf, n);
        if (again < 0 || again > n) {
            free(buf);
            return again < 0 ? again : -2;
        }
        n = again;
    }
    buf[n] = 0;
    *out = buf;
    return n;
}

static int32_t read_context(int32_t f, void *b, int32_t c) { return kiln_context_get(f, b, c); }
static int32_t read_request(int32_t f, void *b, int32_t c) { return kiln_request_get(f, b, c); }
static int32_t read_headers(int32_t f, void *b, int32_t c) {
    (void)f;
    return kiln_request_headers(b, c);
}
static int32_t read_http_headers(int32_t h, void *b, int32_t c) {
    return kiln_http_response_headers(h, b, c);
}
static int32_t read_http_body(int32_t h, void *b, int32_t c) {
    return kiln_http_response_body(h, b, c);
}

/* A host value as a JS string, null for ERR_NOT_FOUND. */
static JSValue host_string(JSContext *c, reader read, int32_t arg) {
    char *v;
    int32_t n = read_value(read, arg, &v);
    if (n == -1) return JS_NULL;
    if (n < 0) return JS_ThrowInternalError(c, "kiln host call failed (%d)", n);
    JSValue s = JS_NewStringLen(c, v, (size_t)n);
    free(v);
    return s;
}

/* ---------- natives the prelude calls (object __kiln) ---------- */

static JSValue n_log(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    int32_t level = 1;
    if (argc < 2 || JS_ToInt32(c, &level, argv[0])) return JS_EXCEPTION;
    size_t len;
    const char *s = JS_ToCStringLen(c, &len, argv[1]);
    if (!s) return JS_EXCEPTION;
    kiln_log(level, s, (int32_t)len);
    JS_FreeCString(c, s);
    return JS_UNDEFINED;
}

static JSValue n_context(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    int32_t field = 0;
    if (argc < 1 || JS_ToInt32(c, &field, argv[0])) return JS_EXCEPTION;
    return host_string(c, read_context, field);
}

static JSValue n_request(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    int32_t field = 0;
    if (argc < 1 || JS_ToInt32(c, &field, argv[0])) return JS_EXCEPTION;
    return host_string(c, read_request, field);
}

static JSValue n_request_headers(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this, (void)argc, (void)argv;
    return host_string(c, read_headers, 0);
}

static JSValue n_deadline(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this, (void)argc, (void)argv;
    return JS_NewFloat64(c, (double)kiln_deadline_ms());
}

static JSValue n_now(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this, (void)argc, (void)argv;
    return JS_NewFloat64(c, (double)kiln_clock_monotonic_ns() / 1e6);
}

static JSValue n_config(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    size_t kl;
    if (argc < 1) return JS_NULL;
    const char *k = JS_ToCStringLen(c, &kl, argv[0]);
    if (!k) return JS_EXCEPTION;
    char small[256];
    int32_t n = kiln_config_get(k, (int32_t)kl, small, sizeof small);
    JSValue out;
    if (n < 0) {
        out = JS_NULL;
    } else if ((uint32_t)n <= sizeof small) {
        out = JS_NewStringLen(c, small, (size_t)n);
    } else {
        char *buf = malloc((size_t)n);
        int32_t again = buf ? kiln_config_get(k, (int32_t)kl, buf, n) : -3;
        out = again >= 0 && again <= n ? JS_NewStringLen(c, buf, (size_t)again) : JS_NULL;
        free(buf);
    }
    JS_FreeCString(c, k);
    return out;
}

static JSValue n_set_status(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    int32_t status = 200;
    if (argc < 1 || JS_ToInt32(c, &status, argv[0])) return JS_EXCEPTION;
    return JS_NewInt32(c, kiln_response_set_status(status));
}

/* __kiln.header(add, name, value): response_header_set or _add; returns the host's code. */
static JSValue n_header(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    if (argc < 3) return JS_NewInt32(c, -2);
    size_t nl, vl;
    const char *n = JS_ToCStringLen(c, &nl, argv[1]);
    if (!n) return JS_EXCEPTION;
    const char *v = JS_ToCStringLen(c, &vl, argv[2]);
    if (!v) {
        JS_FreeCString(c, n);
        return JS_EXCEPTION;
    }
    int32_t r = JS_ToBool(c, argv[0])
                    ? kiln_response_header_add(n, (int32_t)nl, v, (int32_t)vl)
                    : kiln_response_header_set(n, (int32_t)nl, v, (int32_t)vl);
    JS_FreeCString(c, n);
    JS_FreeCString(c, v);
    return JS_NewInt32(c, r);
}

/* Math.random: xorshift64*, reseeded from random_fill at every invocation (the snapshot would
 * otherwise give every instance QuickJS's seed from kiln_init). */
static JSValue n_random(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this, (void)argc, (void)argv;
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    uint64_t v = random_state * 0x2545F4914F6CDD1DULL;
    return JS_NewFloat64(c, (double)(v >> 11) * (1.0 / 9007199254740992.0));
}

/* The bytes of a string, ArrayBuffer or typed array argument. *owned says to JS_FreeCString. */
typedef struct {
    const uint8_t *p;
    size_t len;
    int is_cstring;
} bytes_arg;

static int get_bytes(JSContext *c, JSValueConst v, bytes_arg *out) {
    out->is_cstring = 0;
    if (JS_IsString(v)) {
        out->p = (const uint8_t *)JS_ToCStringLen(c, &out->len, v);
        out->is_cstring = 1;
        return out->p ? 0 : -1;
    }
    size_t size;
    uint8_t *buf = JS_GetArrayBuffer(c, &size, v);
    if (buf) {
        out->p = buf;
        out->len = size;
        return 0;
    }
    JS_FreeValue(c, JS_GetException(c));
    size_t off, len, per;
    JSValue ab = JS_GetTypedArrayBuffer(c, v, &off, &len, &per);
    if (JS_IsException(ab)) return -1;
    buf = JS_GetArrayBuffer(c, &size, ab);
    JS_FreeValue(c, ab);
    if (!buf) return -1;
    out->p = buf + off;
    out->len = len;
    return 0;
}

static void free_bytes(JSContext *c, bytes_arg *b) {
    if (b->is_cstring) JS_FreeCString(c, (const char *)b->p);
}

/* crypto.getRandomValues(typedArray) */
static JSValue n_random_fill(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    bytes_arg b;
    if (argc < 1 || JS_IsString(argv[0]) || get_bytes(c, argv[0], &b)) {
        return JS_ThrowTypeError(c, "getRandomValues: expected a typed array");
    }
    if (b.len > 65536) return JS_ThrowRangeError(c, "getRandomValues: more than 65536 bytes");
    kiln_random_fill((void *)b.p, (int32_t)b.len);
    return JS_DupValue(c, argv[0]);
}

/* __kiln.kvGet(key) → ArrayBuffer | null, or a negative error code. */
static JSValue n_kv_get(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    bytes_arg k;
    if (argc < 1 || get_bytes(c, argv[0], &k)) return JS_EXCEPTION;
    uint8_t small[512];
    int32_t n = kiln_kv_get(k.p, (int32_t)k.len, small, sizeof small);
    JSValue out;
    if (n == -1) {
        out = JS_NULL;
    } else if (n < 0) {
        out = JS_NewInt32(c, n);
    } else if ((uint32_t)n <= sizeof small) {
        out = JS_NewArrayBufferCopy(c, small, (size_t)n);
    } else {
        uint8_t *buf = malloc((size_t)n);
        int32_t again = buf ? kiln_kv_get(k.p, (int32_t)k.len, buf, n) : -3;
        if (again == -1) out = JS_NULL;
        else if (again < 0) out = JS_NewInt32(c, again);
        else if (again > n) out = JS_NewInt32(c, -5); /* changed between the calls */
        else out = JS_NewArrayBufferCopy(c, buf, (size_t)again);
        free(buf);
    }
    free_bytes(c, &k);
    return out;
}

/* __kiln.kvSet(key, value, ttlMs) → code */
static JSValue n_kv_set(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    bytes_arg k, v;
    double ttl = 0;
    if (argc < 3 || JS_ToFloat64(c, &ttl, argv[2]) || get_bytes(c, argv[0], &k)) {
        return JS_EXCEPTION;
    }
    if (get_bytes(c, argv[1], &v)) {
        free_bytes(c, &k);
        return JS_EXCEPTION;
    }
    int32_t r = kiln_kv_set(k.p, (int32_t)k.len, v.p, (int32_t)v.len, (int64_t)ttl);
    free_bytes(c, &k);
    free_bytes(c, &v);
    return JS_NewInt32(c, r);
}

static JSValue n_kv_delete(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    bytes_arg k;
    if (argc < 1 || get_bytes(c, argv[0], &k)) return JS_EXCEPTION;
    int32_t r = kiln_kv_delete(k.p, (int32_t)k.len);
    free_bytes(c, &k);
    return JS_NewInt32(c, r);
}

/* __kiln.kvIncrement(key, delta) → the new value, or [code] on failure */
static JSValue n_kv_increment(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    bytes_arg k;
    int64_t delta = 1, result = 0;
    if (argc < 2 || JS_ToInt64(c, &delta, argv[1]) || get_bytes(c, argv[0], &k)) {
        return JS_EXCEPTION;
    }
    int32_t r = kiln_kv_increment(k.p, (int32_t)k.len, delta, &result);
    free_bytes(c, &k);
    if (r < 0) {
        JSValue a = JS_NewArray(c);
        JS_SetPropertyUint32(c, a, 0, JS_NewInt32(c, r));
        return a;
    }
    return JS_NewInt64(c, result);
}

/* __kiln.kvCas(key, expected|null, value) → code */
static JSValue n_kv_cas(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    bytes_arg k, e = {0}, v;
    if (argc < 3 || get_bytes(c, argv[0], &k)) return JS_EXCEPTION;
    int absent = JS_IsNull(argv[1]) || JS_IsUndefined(argv[1]);
    if (!absent && get_bytes(c, argv[1], &e)) {
        free_bytes(c, &k);
        return JS_EXCEPTION;
    }
    if (get_bytes(c, argv[2], &v)) {
        free_bytes(c, &k);
        if (!absent) free_bytes(c, &e);
        return JS_EXCEPTION;
    }
    int32_t r = kiln_kv_compare_and_swap(k.p, (int32_t)k.len, absent ? "" : (const char *)e.p,
                                         absent ? -1 : (int32_t)e.len, v.p, (int32_t)v.len);
    free_bytes(c, &k);
    if (!absent) free_bytes(c, &e);
    free_bytes(c, &v);
    return JS_NewInt32(c, r);
}

/* __kiln.kvList(prefix, after) → ArrayBuffer with one page (u16 LE length + key)*, or code */
static JSValue n_kv_list(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    bytes_arg p, a;
    if (argc < 2 || get_bytes(c, argv[0], &p)) return JS_EXCEPTION;
    if (get_bytes(c, argv[1], &a)) {
        free_bytes(c, &p);
        return JS_EXCEPTION;
    }
    int32_t cap = 4096;
    JSValue out = JS_UNDEFINED;
    for (int tries = 0; tries < 3 && JS_IsUndefined(out); tries++) {
        uint8_t *buf = malloc((size_t)cap);
        int32_t n = buf ? kiln_kv_list(p.p, (int32_t)p.len, a.p, (int32_t)a.len, buf, cap) : -3;
        if (n < 0) out = JS_NewInt32(c, n);
        else if (n <= cap) out = JS_NewArrayBufferCopy(c, buf, (size_t)n);
        else cap = n;
        free(buf);
    }
    if (JS_IsUndefined(out)) out = JS_NewInt32(c, -5);
    free_bytes(c, &p);
    free_bytes(c, &a);
    return out;
}

/* __kiln.httpSend(method, url, headers "n\0v\0…", body) → handle or negative code */
static JSValue n_http_send(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    bytes_arg m, u, h, b;
    if (argc < 4 || get_bytes(c, argv[0], &m)) return JS_EXCEPTION;
    if (get_bytes(c, argv[1], &u)) goto fail_m;
    if (get_bytes(c, argv[2], &h)) goto fail_u;
    if (get_bytes(c, argv[3], &b)) goto fail_h;
    int32_t r = kiln_http_send(m.p, (int32_t)m.len, u.p, (int32_t)u.len, h.p, (int32_t)h.len, b.p,
                               (int32_t)b.len);
    free_bytes(c, &b);
    free_bytes(c, &h);
    free_bytes(c, &u);
    free_bytes(c, &m);
    return JS_NewInt32(c, r);
fail_h:
    free_bytes(c, &h);
fail_u:
    free_bytes(c, &u);
fail_m:
    free_bytes(c, &m);
    return JS_EXCEPTION;
}

static JSValue n_http_status(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    int32_t h = 0;
    if (argc < 1 || JS_ToInt32(c, &h, argv[0])) return JS_EXCEPTION;
    return JS_NewInt32(c, kiln_http_response_status(h));
}

static JSValue n_http_headers(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    int32_t h = 0;
    if (argc < 1 || JS_ToInt32(c, &h, argv[0])) return JS_EXCEPTION;
    return host_string(c, read_http_headers, h);
}

static JSValue n_http_body(JSContext *c, JSValueConst this, int argc, JSValueConst *argv) {
    (void)this;
    int32_t h = 0;
    if (argc < 1 || JS_ToInt32(c, &h, argv[0])) return JS_EXCEPTION;
    char *v;
    int32_t n = read_value(read_http_body, h, &v);
    if (n < 0) return JS_NewInt32(c, n);
    JSValue ab = JS_NewArrayBufferCopy(c, (uint8_t *)v, (size_t)n);
    free(v);
    return ab;
}

static const JSCFunctionListEntry natives[] = {
    JS_CFUNC_DEF("log", 2, n_log),
    JS_CFUNC_DEF("context", 1, n_context),
    JS_CFUNC_DEF("request", 1, n_request),
    JS_CFUNC_DEF("requestHeaders", 0, n_request_headers),
    JS_CFUNC_DEF("deadline", 0, n_deadline),
    JS_CFUNC_DEF("now", 0, n_now),
    JS_CFUNC_DEF("config", 1, n_config),
    JS_CFUNC_DEF("setStatus", 1, n_set_status),
    JS_CFUNC_DEF("header", 3, n_header),
    JS_CFUNC_DEF("random", 0, n_random),
    JS_CFUNC_DEF("randomFill", 1, n_random_fill),
    JS_CFUNC_DEF("kvGet", 1, n_kv_get),
    JS_CFUNC_DEF("kvSet", 3, n_kv_set),
    JS_CFUNC_DEF("kvDelete", 1, n_kv_delete),
    JS_CFUNC_DEF("kvIncrement", 2, n_kv_increment),
    JS_CFUNC_DEF("kvCas", 3, n_kv_cas),
    JS_CFUNC_DEF("kvList", 2, n_kv_list),
    JS_CFUNC_DEF("httpSend", 4, n_http_send),
    JS_CFUNC_DEF("httpStatus", 1, n_http_status),
    JS_CFUNC_DEF("httpHeaders", 1, n_http_headers),
    JS_CFUNC_DEF("httpBody", 1, n_http_body),
};

/* ---------- errors ---------- */

/* Logs the pending exception (message and stack, level error) and reports it with kiln.fail
 * (message only: the client sees it). */
static void report_exception(const char *where) {
    JSValue e = JS_GetException(ctx);
    const char *msg = JS_ToCString(ctx, e);
    JSValue stack = JS_IsObject(e) ? JS_GetPropertyStr(ctx, e, "stack") : JS_UNDEFINED;
    const char *st = JS_IsString(stack) ? JS_ToCString(ctx, stack) : NULL;
    const char *m = msg ? msg : "(exception not convertible to a string)";
    size_t ml = strlen(m), wl = strlen(where), sl = st ? strlen(st) : 0;
    char *line = malloc(wl + ml + sl + 4);
    if (line) {
        memcpy(line, where, wl);
        memcpy(line + wl, m, ml);
        size_t n = wl + ml;
        if (sl) {
            line[n++] = '\n';
            memcpy(line + n, st, sl);
            n += sl;
            while (n > 0 && line[n - 1] == '\n') n--;
        }
        kiln_log(3, line, (int32_t)n);
        kiln_fail(line, (int32_t)(wl + ml));
        free(line);
    } else {
        kiln_fail(m, (int32_t)ml);
    }
    if (st) JS_FreeCString(ctx, st);
    if (msg) JS_FreeCString(ctx, msg);
    JS_FreeValue(ctx, stack);
    JS_FreeValue(ctx, e);
}

static void run_jobs(void) {
    JSContext *c1;
    while (JS_ExecutePendingJob(rt, &c1) > 0) {
    }
}

/* ---------- the ABI exports ---------- */

KILN_EXPORT("kiln_abi_version") int32_t kiln_abi_version(void) { return 1; }

KILN_EXPORT("kiln_alloc") void *kiln_alloc(int32_t len) {
    free(payload);
    payload = malloc((size_t)(uint32_t)len + 1);
    return payload;
}

static int eval_module(const char *src, size_t len, const char *name) {
    JSValue m = JS_Eval(ctx, src, len, name, JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
    if (JS_IsException(m)) return -1;
    JSValue r = JS_EvalFunction(ctx, m);
    if (JS_IsException(r)) return -1;
    JS_FreeValue(ctx, r);
    run_jobs();
    return 0;
}

static int init_failed;

KILN_EXPORT("kiln_init") void kiln_init(void) {
    /* A wasi-libc reactor's constructors run in _initialize; Kiln calls kiln_init instead. */
    extern void _initialize(void) __attribute__((weak));
    if (_initialize) _initialize();
    char *volatile warm = malloc(WARM_HEAP);
    free(warm);

    rt = JS_NewRuntime();
    JS_SetMaxStackSize(rt, JS_STACK_LIMIT);
    ctx = JS_NewContext(rt);
    JSValue global = JS_GetGlobalObject(ctx);
    JSValue k = JS_NewObject(ctx);
    JS_SetPropertyFunctionList(ctx, k, natives, sizeof natives / sizeof natives[0]);
    JS_SetPropertyStr(ctx, global, "__kiln", k);

    /* The prelude is a module that imports the function's (see prelude.js). */
    if (eval_module(kiln_js_source, kiln_js_source_len, "handler.js") ||
        eval_module(kiln_js_prelude, kiln_js_prelude_len, "kiln:prelude")) {
        /* kiln_init may not call fail; log the error and trap, so the upload is refused
         * (invalid_module) and the reason is in the host's answer and logs. */
        report_exception("kiln: evaluating the function failed: ");
        init_failed = 1;
    } else {
        invoke_fn = JS_GetPropertyStr(ctx, global, "__kiln_invoke");
        finish_fn = JS_GetPropertyStr(ctx, global, "__kiln_finish");
        if (!JS_IsFunction(ctx, invoke_fn) || !JS_IsFunction(ctx, finish_fn)) init_failed = 1;
    }
    JS_FreeValue(ctx, global);
    if (init_failed) __builtin_trap();
    JS_RunGC(rt);
}

KILN_EXPORT("kiln_handle") int64_t kiln_handle(char *ptr, int32_t len) {
    kiln_random_fill(&random_state, sizeof random_state);
    random_state |= 1;
    JSValue args[2];
    args[0] = JS_NewStringLen(ctx, ptr, (size_t)(uint32_t)len);
    args[1] = JS_NewArrayBufferCopy(ctx, (uint8_t *)ptr, (size_t)(uint32_t)len);
    JSValue r = JS_Call(ctx, invoke_fn, JS_UNDEFINED, 2, args);
    JS_FreeValue(ctx, args[0]);
    JS_FreeValue(ctx, args[1]);
    if (JS_IsException(r)) {
        report_exception("");
        return 0;
    }
    JS_FreeValue(ctx, r);
    run_jobs(); /* async handlers settle here */
    r = JS_Call(ctx, finish_fn, JS_UNDEFINED, 0, NULL);
    if (JS_IsException(r)) {
        report_exception("");
        return 0;
    }
    /* __kiln_finish answers an ArrayBuffer or a string. */
    size_t n = 0;
    const uint8_t *bytes;
    const char *s = NULL;
    if (JS_IsString(r)) {
        s = JS_ToCStringLen(ctx, &n, r);
        bytes = (const uint8_t *)s;
    } else {
        bytes = JS_GetArrayBuffer(ctx, &n, r);
    }
    free(result_copy);
    result_copy = malloc(n ? n : 1);
    if (bytes && result_copy) memcpy(result_copy, bytes, n);
    else n = 0;
    if (s) JS_FreeCString(ctx, s);
    JS_FreeValue(ctx, r);
    return ((int64_t)(uintptr_t)result_copy << 32) | (uint32_t)n;
}

/* ---------- the WASI calls wasi-libc makes, on the Kiln ABI ---------- */

__wasi_errno_t __wasi_clock_time_get(__wasi_clockid_t id, __wasi_timestamp_t precision,
                                     __wasi_timestamp_t *time) {
    (void)precision;
    *time = (uint64_t)(id == __WASI_CLOCKID_REALTIME ? kiln_clock_unix_ns()
                                                     : kiln_clock_monotonic_ns());
    return 0;
}

/* stdout and stderr (QuickJS's assertion messages, abort) go to the function's logs. */
__wasi_errno_t __wasi_fd_write(__wasi_fd_t fd, const __wasi_ciovec_t *iovs, size_t n,
                               __wasi_size_t *written) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = iovs[i].buf_len;
        while (l > 0 && iovs[i].buf[l - 1] == '\n') l--;
        if (l > 0) kiln_log(fd == 2 ? 3 : 1, iovs[i].buf, (int32_t)l);
        total += iovs[i].buf_len;
    }
    *written = (__wasi_size_t)total;
    return 0;
}

/* stdio's other calls: there are no files. */
__wasi_errno_t __wasi_fd_close(__wasi_fd_t fd) {
    (void)fd;
    return __WASI_ERRNO_BADF;
}

__wasi_errno_t __wasi_fd_fdstat_get(__wasi_fd_t fd, __wasi_fdstat_t *stat) {
    (void)fd, (void)stat;
    return __WASI_ERRNO_BADF;
}

__wasi_errno_t __wasi_fd_seek(__wasi_fd_t fd, __wasi_filedelta_t offset, __wasi_whence_t whence,
                              __wasi_filesize_t *newoffset) {
    (void)fd, (void)offset, (void)whence, (void)newoffset;
    return __WASI_ERRNO_BADF;
}
