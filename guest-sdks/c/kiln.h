/*
 * kiln.h — write Kiln functions in C (kiln ABI v1, see wasm-abi/ABI.md).
 *
 * A single-header library. In exactly one .c file of your function (the one that registers
 * the handler), define KILN_IMPLEMENTATION before including it:
 *
 *     #define KILN_IMPLEMENTATION
 *     #include "kiln.h"
 *
 *     static int handle(const kiln_request *req, kiln_response *res) {
 *         kiln_response_status(res, 200);
 *         kiln_response_header(res, "content-type", "text/plain");
 *         kiln_buf_puts(&res->body, "Hello from ");
 *         kiln_buf_put_str(&res->body, req->path);
 *         return KILN_OK;
 *     }
 *     KILN_HTTP_HANDLER(handle)
 *
 * Build freestanding (no libc; kiln.h brings its own allocator and mem* functions):
 *     clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--stack-first -o f.wasm f.c
 * or with wasi-libc (malloc and the string functions come from libc):
 *     clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--stack-first -o f.wasm f.c
 * A kiln-ABI module may import only from module "kiln": libc functions that need WASI
 * (printf, fopen, …) make the upload fail with invalid_module naming the import.
 *
 * Handlers return KILN_OK, or kiln_fail("message") to end the invocation with guest_error
 * (HTTP 500) and that message. Memory the SDK hands out (kiln_str values, kiln_temp_alloc)
 * lives until the handler returns; the payload and the result are freed by the next
 * invocation, so a kept instance does not grow from one invocation to the next. Allocation
 * failure traps (memory_limit when memory is at the function's cap).
 */
#ifndef KILN_H
#define KILN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Values ----------------------------------------------------------------------------- */

#define KILN_OK 0
/* Returned by kiln_fail: the handler's return value after a reported error. */
#define KILN_FAILED 1
/* Host error codes (ABI.md 3). kiln_kv_strerror / kiln_http_strerror describe them. */
#define KILN_ERR_NOT_FOUND (-1)
#define KILN_ERR_INVALID (-2)
#define KILN_ERR_LIMIT (-3)       /* a key-value or outbound limit refused the call */
#define KILN_ERR_CONFLICT (-4)    /* kiln_kv_compare_and_swap found another value */
#define KILN_ERR_UNAVAILABLE (-5) /* outside an invocation (kiln_on_init), or the store failed */
/* Outbound HTTP only (ABI.md 4.13). */
#define KILN_ERR_DENIED (-6) /* allowedOutboundHosts does not allow the URL, or a private address */
#define KILN_ERR_INVALID_URL (-7)
#define KILN_ERR_TOO_MANY_REQUESTS (-8)
#define KILN_ERR_RESPONSE_TOO_LARGE (-9)
#define KILN_ERR_TIMEOUT (-10)
#define KILN_ERR_CONNECT_FAILED (-11)
#define KILN_ERR_IO (-12)

/* A view of UTF-8 text or bytes. Not owned. Strings the SDK creates are also NUL-terminated
 * (ptr[len] == 0), so ptr works as a C string when the text has no NUL inside. A missing
 * value has ptr == NULL. */
typedef struct {
    const char *ptr;
    size_t len;
} kiln_str;

/* A growable byte buffer (kiln_malloc'd). Zero-initialise: kiln_buf b = {0}. */
typedef struct {
    char *ptr;
    size_t len;
    size_t cap;
} kiln_buf;

typedef struct {
    kiln_str name; /* lower-case */
    kiln_str value;
} kiln_header;

/* An HTTP request (the HTTP trigger /fn/{service}/{function}/{path...}). Under the invoke
 * trigger an HTTP handler sees method POST, path "/", no query and no headers, and the event
 * as body; is_http tells them apart. */
typedef struct {
    kiln_str method;
    kiln_str path;  /* after /fn/{s}/{f}, starts with '/', still percent-encoded */
    kiln_str query; /* raw, without '?'; empty when none */
    kiln_str body;  /* NUL-terminated too */
    bool is_http;
} kiln_request;

/* The response. Status and headers go to the host at once (the calls return KILN_OK or
 * KILN_ERR_INVALID); append the body to `body`. */
typedef struct {
    kiln_buf body;
} kiln_response;

typedef int (*kiln_http_handler)(const kiln_request *req, kiln_response *res);
/* An event handler gets the event bytes (NUL-terminated too) and appends its result. */
typedef int (*kiln_event_handler)(kiln_str event, kiln_buf *out);

/* kiln_str from a C string / a literal. */
kiln_str kiln_cstr(const char *s);
#define KILN_STR(lit) ((kiln_str){(lit), sizeof(lit) - 1})
bool kiln_str_eq(kiln_str a, const char *b);

/* ---- Registering the handler (one per module) -------------------------------------------- */

/* Define this function to run once per instance before the first invocation; Kiln snapshots
 * memory after it, so whatever it prepares is free for every invocation. */
void kiln_on_init(void) __attribute__((weak));

#define KILN_HTTP_HANDLER(fn)                                                                  \
    KILN__EXPORT_ABI                                                                           \
    __attribute__((export_name("kiln_handle"))) int64_t kiln__handle(char *ptr, int32_t len) { \
        return kiln__run_http((fn), ptr, len);                                                 \
    }

#define KILN_EVENT_HANDLER(fn)                                                                 \
    KILN__EXPORT_ABI                                                                           \
    __attribute__((export_name("kiln_handle"))) int64_t kiln__handle(char *ptr, int32_t len) { \
        return kiln__run_event((fn), ptr, len);                                                \
    }

/* ---- Errors and logs ------------------------------------------------------------------------ */

/* Reports a guest error (the client gets 500 guest_error with this message); returns
 * KILN_FAILED for `return kiln_fail("...")`. */
int kiln_fail(const char *message);
int kiln_fail_str(kiln_str message);

enum { KILN_DEBUG = 0, KILN_INFO = 1, KILN_WARN = 2, KILN_ERROR = 3 };
/* One call is one line in the function's logs (1000 lines / 64 KiB kept per invocation). */
void kiln_log(int level, const char *message);
void kiln_log_str(int level, kiln_str message);
#define kiln_debug(msg) kiln_log(KILN_DEBUG, (msg))
#define kiln_info(msg) kiln_log(KILN_INFO, (msg))
#define kiln_warn(msg) kiln_log(KILN_WARN, (msg))
#define kiln_error(msg) kiln_log(KILN_ERROR, (msg))

/* ---- Request and response ------------------------------------------------------------------ */

/* First value of a request header (case-insensitive); ptr NULL when absent. */
kiln_str kiln_request_header(const kiln_request *req, const char *name);
/* The index-th value (0-based) of a repeated header. */
kiln_str kiln_request_header_at(const kiln_request *req, const char *name, int index);
/* All headers, grouped by name; *count receives how many. */
const kiln_header *kiln_request_headers(const kiln_request *req, size_t *count);
/* First value of a query parameter, percent-decoded ('+' is a space); ptr NULL when absent. */
kiln_str kiln_request_query_param(const kiln_request *req, const char *name);

/* Status 200-599 (default 200). */
int kiln_response_status(kiln_response *res, int status);
/* Replaces / appends a header. Reserved names (content-length, x-kiln-*, ...) and control
 * characters get KILN_ERR_INVALID. */
int kiln_response_header(kiln_response *res, const char *name, const char *value);
int kiln_response_add_header(kiln_response *res, const char *name, const char *value);

/* ---- Config, context, clocks, randomness -------------------------------------------------- */

/* The function's env setting `key` (kiln.json or PATCH {"env": {...}}); ptr NULL when unset. */
kiln_str kiln_config_get(const char *key);
kiln_str kiln_config_get_or(const char *key, const char *fallback);

kiln_str kiln_request_id(void); /* as in X-Kiln-Request-Id */
kiln_str kiln_service(void);
kiln_str kiln_function(void);
kiln_str kiln_version(void); /* sha-256 of the module, hex */
kiln_str kiln_trigger(void); /* "invoke" or "http" */
int64_t kiln_deadline_ms(void); /* Unix ms at which the host cuts the invocation */

int64_t kiln_unix_ns(void);
int64_t kiln_monotonic_ns(void);
void kiln_random_fill(void *buf, size_t len);

/* ---- Key-value store (ABI.md 4.12) -------------------------------------------------------- */

/* One store per service, shared by its functions and kept across invocations and restarts.
 * Keys are 1-256 bytes of text without control characters; values any bytes up to 1 MiB. Every
 * call returns KILN_OK or a KILN_ERR_* code: KILN_ERR_INVALID (bad key, negative TTL, increment
 * of a non-integer), KILN_ERR_LIMIT (key or value too long, store full), KILN_ERR_UNAVAILABLE
 * (outside an invocation), plus the ones named below. */

/* The value of `key` in *value (temp memory, NUL-terminated too); KILN_ERR_NOT_FOUND when the
 * key does not exist or has expired (then *value has ptr NULL). */
int kiln_kv_get(const char *key, kiln_str *value);
/* KILN_OK when the key exists, KILN_ERR_NOT_FOUND when not; reads no value. */
int kiln_kv_exists(const char *key);
/* Stores the value, replacing any; kiln_kv_set_ttl's key expires ttl_ms later (0: never). */
int kiln_kv_set(const char *key, kiln_str value);
int kiln_kv_set_ttl(const char *key, kiln_str value, int64_t ttl_ms);
/* KILN_ERR_NOT_FOUND when there was no such key. */
int kiln_kv_delete(const char *key);
/* Adds delta to the integer stored as decimal text (a missing key is 0), atomically; the sum
 * goes to *result (may be NULL). */
int kiln_kv_increment(const char *key, int64_t delta, int64_t *result);
/* Stores value only if the key's value is still *expected (expected NULL: only if the key does
 * not exist), atomically; KILN_ERR_CONFLICT when it was something else. No expiry. */
int kiln_kv_compare_and_swap(const char *key, const kiln_str *expected, kiln_str value);

/* Lists the keys starting with a prefix, ascending, reading pages (100 keys) as needed:
 *     kiln_kv_keys it;
 *     kiln_str key;
 *     kiln_kv_list(&it, "views:");
 *     while (kiln_kv_next(&it, &key)) { ... }
 *     if (it.error) return kiln_fail(kiln_kv_strerror(it.error));
 * Keys are in temp memory, NUL-terminated. */
typedef struct {
    const char *prefix;
    kiln_str page;  /* the current page, as the host encodes it */
    size_t at;      /* offset of the next key in page */
    kiln_str after; /* the last key returned */
    bool done;
    int error; /* 0, or the KILN_ERR_* that ended the listing */
} kiln_kv_keys;
void kiln_kv_list(kiln_kv_keys *it, const char *prefix);
bool kiln_kv_next(kiln_kv_keys *it, kiln_str *key); /* false at the end or on an error */

/* The error as text with its code, e.g. "key-value limit reached (-3)". */
const char *kiln_kv_strerror(int code);

/* ---- Outbound HTTP (ABI.md 4.13) ----------------------------------------------------------- */

/* Requests to other services, allowed by the function's allowedOutboundHosts setting (PATCH
 * .../functions/{f} {"allowedOutboundHosts": ["https://api.example.com"]}; nothing is allowed
 * without it). One call sends the request and reads the whole response; redirects come back as
 * they are. Calls return KILN_OK or a KILN_ERR_* code (kiln_http_strerror describes it). */
typedef struct {
    const char *method; /* GET, POST, ... */
    const char *url;    /* absolute http:// or https:// */
    const kiln_header *headers; /* may be NULL; reserved names (host, content-length, ...) fail */
    size_t header_count;
    kiln_str body;
} kiln_http_request;

typedef struct {
    int status;                 /* e.g. 200; a 3xx is returned, never followed */
    const kiln_header *headers; /* names lower-case, arrival order; temp memory */
    size_t header_count;
    kiln_str body; /* temp memory, NUL-terminated too */
} kiln_http_response;

int kiln_http_send(const kiln_http_request *req, kiln_http_response *res);
int kiln_http_get(const char *url, kiln_http_response *res);
/* POST with a body and its content-type. */
int kiln_http_post(const char *url, const char *content_type, kiln_str body,
                   kiln_http_response *res);
/* The first value of a response header (case-insensitive); ptr NULL when absent. */
kiln_str kiln_http_response_header(const kiln_http_response *res, const char *name);
/* The error as text with its code, e.g. "denied by allowedOutboundHosts (-6)". */
const char *kiln_http_strerror(int code);

/* ---- Memory ------------------------------------------------------------------------------- */

/* The module's heap: libc's malloc under wasi-libc, kiln.h's own free-list allocator when
 * freestanding. NULL only for size 0 failures; out of memory traps. */
void *kiln_malloc(size_t size);
void *kiln_realloc(void *p, size_t size);
void kiln_free(void *p);
/* Scratch memory freed when the handler returns. */
void *kiln_temp_alloc(size_t size);

/* ---- Buffers ------------------------------------------------------------------------------ */

void kiln_buf_append(kiln_buf *b, const void *data, size_t len);
void kiln_buf_putc(kiln_buf *b, char c);
void kiln_buf_puts(kiln_buf *b, const char *s);
void kiln_buf_put_str(kiln_buf *b, kiln_str s);
void kiln_buf_put_i64(kiln_buf *b, int64_t v);
void kiln_buf_put_hex(kiln_buf *b, const void *data, size_t len); /* lower-case */
/* s as a JSON string literal, quotes included, escaped. */
void kiln_buf_put_json_string(kiln_buf *b, kiln_str s);
kiln_str kiln_buf_str(const kiln_buf *b); /* a view; NUL-terminated */
void kiln_buf_free(kiln_buf *b);

/* ---- JSON reading ------------------------------------------------------------------------- */

/* Values are views into the document. kiln_json_valid checks a whole document (nesting up to
 * KILN_JSON_MAX_DEPTH); the other functions assume a valid document. */
#define KILN_JSON_MAX_DEPTH 128
typedef enum {
    KILN_JSON_INVALID,
    KILN_JSON_NULL,
    KILN_JSON_BOOL,
    KILN_JSON_NUMBER,
    KILN_JSON_STRING,
    KILN_JSON_ARRAY,
    KILN_JSON_OBJECT
} kiln_json_type;

bool kiln_json_valid(kiln_str doc);
kiln_json_type kiln_json_typeof(kiln_str value);
/* The member `key` of an object; ptr NULL when absent or not an object. */
kiln_str kiln_json_get(kiln_str object, const char *key);
/* Iterates an array: set *cursor = the array, then while (kiln_json_next(&cursor, &item)). */
bool kiln_json_next(kiln_str *cursor, kiln_str *item);
/* Decodes a string value (escapes resolved, temp memory); false when not a string. */
bool kiln_json_string(kiln_str value, kiln_str *out);
/* An integer value; false when not a number or not an integer in range. */
bool kiln_json_int(kiln_str value, int64_t *out);

/* ---- Internals used by the macros ---------------------------------------------------------- */

void *kiln__alloc_payload(int32_t len);
void kiln__init(void);
int64_t kiln__run_http(kiln_http_handler fn, char *ptr, int32_t len);
int64_t kiln__run_event(kiln_event_handler fn, char *ptr, int32_t len);

#define KILN__EXPORT_ABI                                                                       \
    __attribute__((export_name("kiln_alloc"))) void *kiln__export_alloc(int32_t len) {        \
        return kiln__alloc_payload(len);                                                       \
    }                                                                                          \
    __attribute__((export_name("kiln_init"))) void kiln__export_init(void) { kiln__init(); }   \
    __attribute__((export_name("kiln_abi_version"))) int32_t kiln__export_abi_version(void) { \
        return 1;                                                                              \
    }

#ifdef __cplusplus
}
#endif
#endif /* KILN_H */

/* ================================ implementation ================================ */

#if defined(KILN_IMPLEMENTATION) && !defined(KILN_IMPLEMENTATION_DONE)
#define KILN_IMPLEMENTATION_DONE

#if defined(__wasi__) || defined(KILN_USE_LIBC)
#include <stdlib.h>
#include <string.h>
#define KILN__LIBC 1
#else
#define KILN__LIBC 0
#endif

#define KILN__IMPORT(name) __attribute__((import_module("kiln"), import_name(name)))
KILN__IMPORT("context_get") int32_t kiln__context_get(int32_t field, void *buf, int32_t cap);
KILN__IMPORT("deadline_ms") int64_t kiln__deadline_ms(void);
KILN__IMPORT("request_get") int32_t kiln__request_get(int32_t field, void *buf, int32_t cap);
KILN__IMPORT("request_header")
int32_t kiln__request_header(const void *name, int32_t name_len, int32_t index, void *buf,
                             int32_t cap);
KILN__IMPORT("request_headers") int32_t kiln__request_headers(void *buf, int32_t cap);
KILN__IMPORT("response_set_status") int32_t kiln__response_set_status(int32_t status);
KILN__IMPORT("response_header_set")
int32_t kiln__response_header_set(const void *name, int32_t name_len, const void *value,
                                  int32_t value_len);
KILN__IMPORT("response_header_add")
int32_t kiln__response_header_add(const void *name, int32_t name_len, const void *value,
                                  int32_t value_len);
KILN__IMPORT("log") int32_t kiln__log(int32_t level, const void *msg, int32_t len);
KILN__IMPORT("config_get")
int32_t kiln__config_get(const void *key, int32_t key_len, void *buf, int32_t cap);
KILN__IMPORT("fail") int32_t kiln__fail(const void *msg, int32_t len);
KILN__IMPORT("clock_unix_ns") int64_t kiln__clock_unix_ns(void);
KILN__IMPORT("clock_monotonic_ns") int64_t kiln__clock_monotonic_ns(void);
KILN__IMPORT("random_fill") int32_t kiln__random_fill(void *buf, int32_t len);
/* Imported only by modules that call them (the linker drops unused imports), so a module
 * without key-value or outbound calls runs on hosts without those features. */
KILN__IMPORT("kv_get")
int32_t kiln__kv_get(const void *key, int32_t key_len, void *buf, int32_t cap);
KILN__IMPORT("kv_set")
int32_t kiln__kv_set(const void *key, int32_t key_len, const void *value, int32_t value_len,
                     int64_t ttl_ms);
KILN__IMPORT("kv_delete") int32_t kiln__kv_delete(const void *key, int32_t key_len);
KILN__IMPORT("kv_list")
int32_t kiln__kv_list(const void *prefix, int32_t prefix_len, const void *after,
                      int32_t after_len, void *buf, int32_t cap);
KILN__IMPORT("kv_increment")
int32_t kiln__kv_increment(const void *key, int32_t key_len, int64_t delta, void *result);
KILN__IMPORT("kv_compare_and_swap")
int32_t kiln__kv_compare_and_swap(const void *key, int32_t key_len, const void *expected,
                                  int32_t expected_len, const void *value, int32_t value_len);
KILN__IMPORT("http_send")
int32_t kiln__http_send(const void *method, int32_t method_len, const void *url, int32_t url_len,
                        const void *headers, int32_t headers_len, const void *body,
                        int32_t body_len);
KILN__IMPORT("http_response_status") int32_t kiln__http_response_status(int32_t handle);
KILN__IMPORT("http_response_headers")
int32_t kiln__http_response_headers(int32_t handle, void *buf, int32_t cap);
KILN__IMPORT("http_response_body")
int32_t kiln__http_response_body(int32_t handle, void *buf, int32_t cap);

static size_t kiln__strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

/* ---- Freestanding runtime: mem* functions and a free-list allocator ---- */
#if !KILN__LIBC
/* clang lowers struct copies and loops to these; without libc someone must define them.
 * Define KILN_NO_MEMFUNCS if you bring your own. */
#ifndef KILN_NO_MEMFUNCS
void *memcpy(void *d, const void *s, size_t n) {
    unsigned char *p = (unsigned char *)d;
    const unsigned char *q = (const unsigned char *)s;
    while (n--) *p++ = *q++;
    return d;
}
void *memmove(void *d, const void *s, size_t n) {
    unsigned char *p = (unsigned char *)d;
    const unsigned char *q = (const unsigned char *)s;
    if (p < q) {
        while (n--) *p++ = *q++;
    } else {
        while (n--) p[n] = q[n];
    }
    return d;
}
void *memset(void *d, int c, size_t n) {
    unsigned char *p = (unsigned char *)d;
    while (n--) *p++ = (unsigned char)c;
    return d;
}
int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    for (; n; n--, p++, q++)
        if (*p != *q) return *p - *q;
    return 0;
}
#endif

/* K&R-style first-fit allocator over an address-ordered circular free list, coalescing
 * neighbours on free. Blocks are multiples of 16 bytes with a 16-byte header, so every
 * pointer it returns is 16-byte aligned. Memory comes from memory.grow and is never returned
 * (Wasm memory cannot shrink). */
typedef union kiln__block {
    struct {
        union kiln__block *next;
        size_t units; /* size in 16-byte units, header included */
    } h;
    char align[16];
} kiln__block;

extern unsigned char __heap_base;
static kiln__block kiln__base;
static kiln__block *kiln__free_list;
static uintptr_t kiln__heap_end; /* end of the memory handed to the allocator so far */

static void kiln__free_block(kiln__block *bp) {
    kiln__block *p = kiln__free_list;
    for (; !(bp > p && bp < p->h.next); p = p->h.next)
        if (p >= p->h.next && (bp > p || bp < p->h.next)) break; /* at an end of the arena */
    if (bp + bp->h.units == p->h.next) { /* join the upper neighbour */
        bp->h.units += p->h.next->h.units;
        bp->h.next = p->h.next->h.next;
    } else {
        bp->h.next = p->h.next;
    }
    if (p + p->h.units == bp) { /* join the lower neighbour */
        p->h.units += bp->h.units;
        p->h.next = bp->h.next;
    } else {
        p->h.next = bp;
    }
    kiln__free_list = p;
}

/* Adds at least `units` units of fresh memory to the free list; false when memory is full. */
static bool kiln__more_core(size_t units) {
    if (kiln__heap_end == 0) kiln__heap_end = ((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15;
    if (units < 4096) units = 4096; /* grow in steps of at least 64 KiB */
    uintptr_t want = kiln__heap_end + units * sizeof(kiln__block);
    if (want < kiln__heap_end) return false;
    uintptr_t have = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
    if (want > have) {
        size_t pages = (want - have + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return false;
        have += pages * 65536u;
    }
    kiln__block *bp = (kiln__block *)kiln__heap_end;
    bp->h.units = (have - kiln__heap_end) / sizeof(kiln__block); /* take the whole tail */
    kiln__heap_end += bp->h.units * sizeof(kiln__block);
    kiln__free_block(bp);
    return true;
}

static void *kiln__raw_malloc(size_t size) {
    if (size > ((size_t)-1) / 2) return NULL;
    size_t units = (size + sizeof(kiln__block) - 1) / sizeof(kiln__block) + 1;
    if (kiln__free_list == NULL) {
        kiln__base.h.next = kiln__free_list = &kiln__base;
        kiln__base.h.units = 0;
    }
    kiln__block *prev = kiln__free_list;
    for (kiln__block *p = prev->h.next;; prev = p, p = p->h.next) {
        if (p->h.units >= units) {
            if (p->h.units == units) {
                prev->h.next = p->h.next;
            } else { /* hand out the tail end */
                p->h.units -= units;
                p += p->h.units;
                p->h.units = units;
            }
            kiln__free_list = prev;
            return (void *)(p + 1);
        }
        if (p == kiln__free_list && !kiln__more_core(units)) return NULL;
    }
}

static void kiln__raw_free(void *ptr) {
    if (ptr) kiln__free_block((kiln__block *)ptr - 1);
}

static size_t kiln__raw_size(void *ptr) {
    return (((kiln__block *)ptr - 1)->h.units - 1) * sizeof(kiln__block);
}
#endif /* !KILN__LIBC */

void *kiln_malloc(size_t size) {
#if KILN__LIBC
    void *p = malloc(size ? size : 1);
#else
    void *p = kiln__raw_malloc(size ? size : 1);
#endif
    if (!p) __builtin_trap(); /* out of memory: memory_limit at the cap */
    return p;
}

void kiln_free(void *p) {
#if KILN__LIBC
    free(p);
#else
    kiln__raw_free(p);
#endif
}

void *kiln_realloc(void *p, size_t size) {
#if KILN__LIBC
    void *q = realloc(p, size ? size : 1);
    if (!q) __builtin_trap();
    return q;
#else
    if (!p) return kiln_malloc(size);
    size_t have = kiln__raw_size(p);
    if (size <= have) return p;
    void *q = kiln_malloc(size);
    memcpy(q, p, have);
    kiln__raw_free(p);
    return q;
#endif
}

/* ---- Per-invocation state ---- */

/* Scratch allocations of this invocation, freed when the handler returns. */
typedef struct kiln__temp {
    struct kiln__temp *next;
    size_t pad; /* keeps the payload 8-byte aligned on wasm32 */
} kiln__temp;
static kiln__temp *kiln__temps;
static char *kiln__last_result;   /* freed by the next invocation: the host reads it after return */
static char *kiln__payload;       /* owned by the invocation that follows kiln_alloc */
static kiln_header *kiln__headers; /* request_headers, decoded on first use */
static size_t kiln__header_count;

void *kiln_temp_alloc(size_t size) {
    kiln__temp *t = (kiln__temp *)kiln_malloc(sizeof(kiln__temp) + size);
    t->next = kiln__temps;
    kiln__temps = t;
    return t + 1;
}

static void kiln__end_invocation(void) {
    while (kiln__temps) {
        kiln__temp *next = kiln__temps->next;
        kiln_free(kiln__temps);
        kiln__temps = next;
    }
    kiln__headers = NULL; /* lived in temp memory */
    kiln__header_count = 0;
    kiln_free(kiln__payload);
    kiln__payload = NULL;
}

void *kiln__alloc_payload(int32_t len) {
    /* One spare byte for the terminating NUL the handler sees. */
    kiln__payload = (char *)kiln_malloc((size_t)(uint32_t)len + 1);
    return kiln__payload;
}

void kiln__init(void) {
#if KILN__LIBC
    /* A wasi-libc reactor's constructors run in _initialize; Kiln calls kiln_init instead. */
    extern void _initialize(void) __attribute__((weak));
    if (_initialize) _initialize();
#endif
    /* Reserve heap now, before Kiln's snapshot: an instance whose memory grew during an
     * invocation cannot be reset and is dropped. */
    char *volatile warm = (char *)kiln_malloc(256 * 1024 - 64); /* volatile: kept by -O2 */
    kiln_free(warm);
    if (kiln_on_init) kiln_on_init();
}

/* Reads a host value with the buffer convention (ABI.md 3) into temp memory, NUL-terminated. */
typedef int32_t (*kiln__reader)(const void *ctx, void *buf, int32_t cap);

/* Like kiln__read, and returns the host's length or error code. */
static int32_t kiln__read_code(kiln__reader read, const void *ctx, kiln_str *value);

static kiln_str kiln__read(kiln__reader read, const void *ctx) {
    kiln_str v;
    kiln__read_code(read, ctx, &v);
    return v;
}

static int32_t kiln__read_code(kiln__reader read, const void *ctx, kiln_str *value) {
    char small[256];
    *value = (kiln_str){NULL, 0};
    int32_t n = read(ctx, small, (int32_t)sizeof small);
    if (n < 0) return n;
    char *out;
    if ((size_t)n <= sizeof small) {
        out = (char *)kiln_temp_alloc((size_t)n + 1);
        memcpy(out, small, (size_t)n);
    } else {
        for (;;) {
            out = (char *)kiln_temp_alloc((size_t)n + 1);
            int32_t m = read(ctx, out, n);
            if (m < 0) return m;
            if (m <= n) {
                n = m;
                break;
            }
            n = m; /* the value changed between calls: try again */
        }
    }
    out[n] = 0;
    *value = (kiln_str){out, (size_t)n};
    return n;
}

static int32_t kiln__read_context(const void *field, void *buf, int32_t cap) {
    return kiln__context_get(*(const int32_t *)field, buf, cap);
}
static int32_t kiln__read_request(const void *field, void *buf, int32_t cap) {
    return kiln__request_get(*(const int32_t *)field, buf, cap);
}
static int32_t kiln__read_headers(const void *unused, void *buf, int32_t cap) {
    (void)unused;
    return kiln__request_headers(buf, cap);
}
typedef struct {
    const char *name;
    int32_t index;
} kiln__header_query;
static int32_t kiln__read_header(const void *q, void *buf, int32_t cap) {
    const kiln__header_query *hq = (const kiln__header_query *)q;
    return kiln__request_header(hq->name, (int32_t)kiln__strlen(hq->name), hq->index, buf, cap);
}
static int32_t kiln__read_config(const void *key, void *buf, int32_t cap) {
    const char *k = (const char *)key;
    return kiln__config_get(k, (int32_t)kiln__strlen(k), buf, cap);
}

static int64_t kiln__finish(kiln_buf *result, int status) {
    int64_t packed = 0;
    if (status == KILN_OK) {
        kiln__last_result = result->ptr;
        packed = (int64_t)((uint64_t)(uintptr_t)result->ptr << 32 | (uint32_t)result->len);
    } else {
        kiln_buf_free(result);
    }
    kiln__end_invocation();
    return packed;
}

static void kiln__begin(char *ptr, int32_t len) {
    kiln_free(kiln__last_result);
    kiln__last_result = NULL;
    ptr[(uint32_t)len] = 0;
}

int64_t kiln__run_http(kiln_http_handler fn, char *ptr, int32_t len) {
    kiln__begin(ptr, len);
    kiln_request req;
    int32_t method = 0, path = 1, query = 2;
    req.body = (kiln_str){ptr, (size_t)(uint32_t)len};
    req.method = kiln__read(kiln__read_request, &method);
    req.is_http = req.method.ptr != NULL;
    if (req.is_http) {
        req.path = kiln__read(kiln__read_request, &path);
        req.query = kiln__read(kiln__read_request, &query);
    } else {
        req.method = KILN_STR("POST");
        req.path = KILN_STR("/");
        req.query = KILN_STR("");
    }
    kiln_response res = {{0}};
    int status = fn(&req, &res);
    return kiln__finish(&res.body, status);
}

int64_t kiln__run_event(kiln_event_handler fn, char *ptr, int32_t len) {
    kiln__begin(ptr, len);
    kiln_buf out = {0};
    int status = fn((kiln_str){ptr, (size_t)(uint32_t)len}, &out);
    return kiln__finish(&out, status);
}

/* ---- Public functions ---- */

kiln_str kiln_cstr(const char *s) { return (kiln_str){s, s ? kiln__strlen(s) : 0}; }

bool kiln_str_eq(kiln_str a, const char *b) {
    size_t n = kiln__strlen(b);
    return a.ptr && a.len == n && memcmp(a.ptr, b, n) == 0;
}

int kiln_fail_str(kiln_str message) {
    kiln__fail(message.ptr, (int32_t)message.len);
    return KILN_FAILED;
}
int kiln_fail(const char *message) { return kiln_fail_str(kiln_cstr(message)); }

void kiln_log_str(int level, kiln_str message) {
    kiln__log(level, message.ptr, (int32_t)message.len);
}
void kiln_log(int level, const char *message) { kiln_log_str(level, kiln_cstr(message)); }

kiln_str kiln_request_header_at(const kiln_request *req, const char *name, int index) {
    (void)req;
    kiln__header_query q = {name, index};
    return kiln__read(kiln__read_header, &q);
}
kiln_str kiln_request_header(const kiln_request *req, const char *name) {
    return kiln_request_header_at(req, name, 0);
}

/* Decodes the ABI's header block (name NUL value NUL ...) into temp memory; raw must be
 * NUL-terminated as kiln__read makes it. */
static kiln_header *kiln__parse_headers(kiln_str raw, size_t *count) {
    size_t fields = 0;
    for (size_t i = 0; i < raw.len; i++) fields += raw.ptr[i] == 0;
    kiln_header *headers = (kiln_header *)kiln_temp_alloc((fields / 2 + 1) * sizeof(kiln_header));
    *count = 0;
    const char *p = raw.ptr, *end = raw.ptr + raw.len;
    while (p && p < end) {
        kiln_str name = kiln_cstr(p); /* fields are NUL-separated */
        p += name.len + 1;
        if (p >= end) break;
        kiln_str value = kiln_cstr(p);
        p += value.len + 1;
        headers[(*count)++] = (kiln_header){name, value};
    }
    return headers;
}

const kiln_header *kiln_request_headers(const kiln_request *req, size_t *count) {
    (void)req;
    if (!kiln__headers) {
        kiln__headers = kiln__parse_headers(kiln__read(kiln__read_headers, NULL), &kiln__header_count);
    }
    *count = kiln__header_count;
    return kiln__headers;
}

static int kiln__hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static kiln_str kiln__form_decode(const char *s, size_t n) {
    char *out = (char *)kiln_temp_alloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && (hi = kiln__hex_digit(s[i + 1])) >= 0 &&
                   (lo = kiln__hex_digit(s[i + 2])) >= 0) {
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = 0;
    return (kiln_str){out, o};
}

kiln_str kiln_request_query_param(const kiln_request *req, const char *name) {
    const char *q = req->query.ptr, *end = q + req->query.len;
    size_t name_len = kiln__strlen(name);
    while (q && q < end) {
        const char *amp = q;
        while (amp < end && *amp != '&') amp++;
        const char *eq = q;
        while (eq < amp && *eq != '=') eq++;
        kiln_str key = kiln__form_decode(q, (size_t)(eq - q));
        if (key.len == name_len && memcmp(key.ptr, name, name_len) == 0) {
            return eq < amp ? kiln__form_decode(eq + 1, (size_t)(amp - eq - 1))
                            : kiln__form_decode(eq, 0);
        }
        q = amp + 1;
    }
    return (kiln_str){NULL, 0};
}

int kiln_response_status(kiln_response *res, int status) {
    (void)res;
    return kiln__response_set_status(status);
}
int kiln_response_header(kiln_response *res, const char *name, const char *value) {
    (void)res;
    return kiln__response_header_set(name, (int32_t)kiln__strlen(name), value,
                                     (int32_t)kiln__strlen(value));
}
int kiln_response_add_header(kiln_response *res, const char *name, const char *value) {
    (void)res;
    return kiln__response_header_add(name, (int32_t)kiln__strlen(name), value,
                                     (int32_t)kiln__strlen(value));
}

kiln_str kiln_config_get(const char *key) { return kiln__read(kiln__read_config, key); }
kiln_str kiln_config_get_or(const char *key, const char *fallback) {
    kiln_str v = kiln_config_get(key);
    return v.ptr ? v : kiln_cstr(fallback);
}

static kiln_str kiln__context(int32_t field) {
    kiln_str v = kiln__read(kiln__read_context, &field);
    return v.ptr ? v : KILN_STR("");
}
kiln_str kiln_request_id(void) { return kiln__context(0); }
kiln_str kiln_service(void) { return kiln__context(1); }
kiln_str kiln_function(void) { return kiln__context(2); }
kiln_str kiln_version(void) { return kiln__context(3); }
kiln_str kiln_trigger(void) { return kiln__context(4); }
int64_t kiln_deadline_ms(void) { return kiln__deadline_ms(); }
int64_t kiln_unix_ns(void) { return kiln__clock_unix_ns(); }
int64_t kiln_monotonic_ns(void) { return kiln__clock_monotonic_ns(); }

void kiln_random_fill(void *buf, size_t len) {
    char *p = (char *)buf;
    while (len) {
        size_t n = len < 65536 ? len : 65536;
        kiln__random_fill(p, (int32_t)n);
        p += n;
        len -= n;
    }
}

/* ---- Key-value store ---- */

typedef struct {
    const char *key;
    size_t len;
} kiln__kv_key;
static int32_t kiln__read_kv(const void *k, void *buf, int32_t cap) {
    const kiln__kv_key *key = (const kiln__kv_key *)k;
    return kiln__kv_get(key->key, (int32_t)key->len, buf, cap);
}

int kiln_kv_get(const char *key, kiln_str *value) {
    kiln__kv_key k = {key, kiln__strlen(key)};
    int32_t n = kiln__read_code(kiln__read_kv, &k, value);
    return n < 0 ? n : KILN_OK;
}

int kiln_kv_exists(const char *key) {
    int32_t n = kiln__kv_get(key, (int32_t)kiln__strlen(key), NULL, 0);
    return n < 0 ? n : KILN_OK;
}

int kiln_kv_set_ttl(const char *key, kiln_str value, int64_t ttl_ms) {
    return kiln__kv_set(key, (int32_t)kiln__strlen(key), value.ptr, (int32_t)value.len, ttl_ms);
}
int kiln_kv_set(const char *key, kiln_str value) { return kiln_kv_set_ttl(key, value, 0); }

int kiln_kv_delete(const char *key) { return kiln__kv_delete(key, (int32_t)kiln__strlen(key)); }

int kiln_kv_increment(const char *key, int64_t delta, int64_t *result) {
    int64_t sum = 0;
    int32_t r = kiln__kv_increment(key, (int32_t)kiln__strlen(key), delta, &sum);
    if (r == KILN_OK && result) *result = sum;
    return r;
}

int kiln_kv_compare_and_swap(const char *key, const kiln_str *expected, kiln_str value) {
    return kiln__kv_compare_and_swap(key, (int32_t)kiln__strlen(key),
                                     expected ? expected->ptr : NULL,
                                     expected ? (int32_t)expected->len : -1, value.ptr,
                                     (int32_t)value.len);
}

static int32_t kiln__read_kv_page(const void *state, void *buf, int32_t cap) {
    const kiln_kv_keys *it = (const kiln_kv_keys *)state;
    return kiln__kv_list(it->prefix, (int32_t)kiln__strlen(it->prefix), it->after.ptr,
                         (int32_t)it->after.len, buf, cap);
}

void kiln_kv_list(kiln_kv_keys *it, const char *prefix) {
    *it = (kiln_kv_keys){0};
    it->prefix = prefix;
    it->after = KILN_STR("");
}

bool kiln_kv_next(kiln_kv_keys *it, kiln_str *key) {
    if (it->error || it->done) return false;
    if (it->at + 2 > it->page.len) {
        int32_t n = kiln__read_code(kiln__read_kv_page, it, &it->page);
        it->at = 0;
        if (n < 0) it->error = n;
        if (n <= 0) { /* an error, or an empty page: the end */
            it->done = true;
            return false;
        }
    }
    const unsigned char *p = (const unsigned char *)it->page.ptr + it->at;
    size_t len = (size_t)p[0] | (size_t)p[1] << 8;
    if (it->at + 2 + len > it->page.len) len = it->page.len - it->at - 2;
    char *copy = (char *)kiln_temp_alloc(len + 1);
    memcpy(copy, p + 2, len);
    copy[len] = 0;
    it->at += 2 + len;
    it->after = (kiln_str){copy, len};
    *key = it->after;
    return true;
}

const char *kiln_kv_strerror(int code) {
    switch (code) {
    case KILN_OK: return "ok (0)";
    case KILN_ERR_NOT_FOUND: return "no such key (-1)";
    case KILN_ERR_INVALID: return "invalid key, value or TTL (-2)";
    case KILN_ERR_LIMIT: return "key-value limit reached (-3)";
    case KILN_ERR_CONFLICT: return "the value changed (-4)";
    case KILN_ERR_UNAVAILABLE: return "key-value store unavailable (-5)";
    default: return "key-value call failed";
    }
}

/* ---- Outbound HTTP ---- */

static int32_t kiln__read_http_headers(const void *handle, void *buf, int32_t cap) {
    return kiln__http_response_headers(*(const int32_t *)handle, buf, cap);
}
static int32_t kiln__read_http_body(const void *handle, void *buf, int32_t cap) {
    return kiln__http_response_body(*(const int32_t *)handle, buf, cap);
}

int kiln_http_send(const kiln_http_request *req, kiln_http_response *res) {
    *res = (kiln_http_response){0};
    kiln_buf block = {0}; /* the ABI's header block: name NUL value NUL ... */
    for (size_t i = 0; i < req->header_count; i++) {
        kiln_buf_put_str(&block, req->headers[i].name);
        kiln_buf_putc(&block, 0);
        kiln_buf_put_str(&block, req->headers[i].value);
        kiln_buf_putc(&block, 0);
    }
    const char *method = req->method ? req->method : "GET";
    int32_t handle = kiln__http_send(method, (int32_t)kiln__strlen(method), req->url,
                                     (int32_t)kiln__strlen(req->url), block.ptr,
                                     (int32_t)block.len, req->body.ptr, (int32_t)req->body.len);
    kiln_buf_free(&block);
    if (handle < 0) return handle;
    int32_t status = kiln__http_response_status(handle);
    if (status < 0) return status;
    kiln_str raw;
    kiln__read_code(kiln__read_http_headers, &handle, &raw);
    res->status = status;
    res->headers = kiln__parse_headers(raw, &res->header_count);
    kiln__read_code(kiln__read_http_body, &handle, &res->body);
    if (!res->body.ptr) res->body = KILN_STR("");
    return KILN_OK;
}

int kiln_http_get(const char *url, kiln_http_response *res) {
    kiln_http_request req = {"GET", url, NULL, 0, {NULL, 0}};
    return kiln_http_send(&req, res);
}

int kiln_http_post(const char *url, const char *content_type, kiln_str body,
                   kiln_http_response *res) {
    kiln_header type = {KILN_STR("content-type"), kiln_cstr(content_type)};
    kiln_http_request req = {"POST", url, &type, 1, body};
    return kiln_http_send(&req, res);
}

kiln_str kiln_http_response_header(const kiln_http_response *res, const char *name) {
    size_t n = kiln__strlen(name);
    for (size_t i = 0; i < res->header_count; i++) {
        kiln_str h = res->headers[i].name;
        if (h.len != n) continue;
        size_t j = 0;
        while (j < n && h.ptr[j] == ((name[j] >= 'A' && name[j] <= 'Z') ? name[j] + 32 : name[j])) j++;
        if (j == n) return res->headers[i].value;
    }
    return (kiln_str){NULL, 0};
}

const char *kiln_http_strerror(int code) {
    switch (code) {
    case KILN_OK: return "ok (0)";
    case KILN_ERR_INVALID: return "malformed method or header (-2)";
    case KILN_ERR_LIMIT: return "request over its cap (-3)";
    case KILN_ERR_UNAVAILABLE: return "outbound HTTP unavailable (-5)";
    case KILN_ERR_DENIED: return "denied by allowedOutboundHosts (-6)";
    case KILN_ERR_INVALID_URL: return "invalid URL (-7)";
    case KILN_ERR_TOO_MANY_REQUESTS: return "too many outbound requests (-8)";
    case KILN_ERR_RESPONSE_TOO_LARGE: return "response too large (-9)";
    case KILN_ERR_TIMEOUT: return "outbound request timed out (-10)";
    case KILN_ERR_CONNECT_FAILED: return "cannot connect (-11)";
    case KILN_ERR_IO: return "the exchange failed (-12)";
    default: return "outbound request failed";
    }
}

/* ---- Buffers ---- */

static void kiln__reserve(kiln_buf *b, size_t extra) {
    size_t need = b->len + extra + 1; /* +1 keeps room for the terminating NUL */
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap * 2 : 64;
    if (cap < need) cap = need; /* one big append allocates exactly what it needs */
    b->ptr = (char *)kiln_realloc(b->ptr, cap);
    b->cap = cap;
}

void kiln_buf_append(kiln_buf *b, const void *data, size_t len) {
    kiln__reserve(b, len);
    memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = 0;
}
void kiln_buf_putc(kiln_buf *b, char c) { kiln_buf_append(b, &c, 1); }
void kiln_buf_puts(kiln_buf *b, const char *s) { kiln_buf_append(b, s, kiln__strlen(s)); }
void kiln_buf_put_str(kiln_buf *b, kiln_str s) {
    if (s.ptr) kiln_buf_append(b, s.ptr, s.len);
}

void kiln_buf_put_i64(kiln_buf *b, int64_t v) {
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) kiln_buf_putc(b, '-');
    while (n) kiln_buf_putc(b, tmp[--n]);
}

void kiln_buf_put_hex(kiln_buf *b, const void *data, size_t len) {
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)data;
    kiln__reserve(b, len * 2);
    for (size_t i = 0; i < len; i++) {
        b->ptr[b->len++] = digits[p[i] >> 4];
        b->ptr[b->len++] = digits[p[i] & 15];
    }
    b->ptr[b->len] = 0;
}

void kiln_buf_put_json_string(kiln_buf *b, kiln_str s) {
    static const char digits[] = "0123456789abcdef";
    kiln_buf_putc(b, '"');
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '"' || c == '\\') {
            kiln_buf_putc(b, '\\');
            kiln_buf_putc(b, (char)c);
        } else if (c == '\n') {
            kiln_buf_puts(b, "\\n");
        } else if (c == '\r') {
            kiln_buf_puts(b, "\\r");
        } else if (c == '\t') {
            kiln_buf_puts(b, "\\t");
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', digits[c >> 4], digits[c & 15]};
            kiln_buf_append(b, esc, 6);
        } else {
            kiln_buf_putc(b, (char)c);
        }
    }
    kiln_buf_putc(b, '"');
}

kiln_str kiln_buf_str(const kiln_buf *b) {
    return b->ptr ? (kiln_str){b->ptr, b->len} : KILN_STR("");
}

void kiln_buf_free(kiln_buf *b) {
    kiln_free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

/* ---- JSON ---- */

typedef struct {
    const char *p, *end;
} kiln__json;

static void kiln__json_ws(kiln__json *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static bool kiln__json_lit(kiln__json *j, const char *lit) {
    size_t n = kiln__strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0) return false;
    j->p += n;
    return true;
}

static bool kiln__json_skip_string(kiln__json *j) {
    j->p++; /* opening quote */
    while (j->p < j->end) {
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"') return true;
        if (c < 0x20) return false;
        if (c == '\\') {
            if (j->p >= j->end) return false;
            char e = *j->p++;
            if (e == 'u') {
                for (int i = 0; i < 4; i++)
                    if (j->p >= j->end || kiln__hex_digit(*j->p++) < 0) return false;
            } else if (!(e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                         e == 'r' || e == 't')) {
                return false;
            }
        }
    }
    return false;
}

static bool kiln__json_skip_number(kiln__json *j) {
    const char *start = j->p;
    if (j->p < j->end && *j->p == '-') j->p++;
    const char *digits = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    if (j->p == digits) return false;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        const char *frac = j->p;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
        if (j->p == frac) return false;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
        const char *exp = j->p;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
        if (j->p == exp) return false;
    }
    return j->p > start;
}

/* Skips one value, checking it; false on malformed input or nesting deeper than the limit. */
static bool kiln__json_skip(kiln__json *j, int depth) {
    if (depth > KILN_JSON_MAX_DEPTH) return false;
    kiln__json_ws(j);
    if (j->p >= j->end) return false;
    switch (*j->p) {
        case 'n': return kiln__json_lit(j, "null");
        case 't': return kiln__json_lit(j, "true");
        case 'f': return kiln__json_lit(j, "false");
        case '"': return kiln__json_skip_string(j);
        case '[':
        case '{': {
            char close = *j->p == '[' ? ']' : '}';
            bool object = close == '}';
            j->p++;
            kiln__json_ws(j);
            if (j->p < j->end && *j->p == close) {
                j->p++;
                return true;
            }
            for (;;) {
                if (object) {
                    kiln__json_ws(j);
                    if (j->p >= j->end || *j->p != '"' || !kiln__json_skip_string(j)) return false;
                    kiln__json_ws(j);
                    if (j->p >= j->end || *j->p++ != ':') return false;
                }
                if (!kiln__json_skip(j, depth + 1)) return false;
                kiln__json_ws(j);
                if (j->p >= j->end) return false;
                char c = *j->p++;
                if (c == close) return true;
                if (c != ',') return false;
            }
        }
        default: return kiln__json_skip_number(j);
    }
}

bool kiln_json_valid(kiln_str doc) {
    if (!doc.ptr) return false;
    kiln__json j = {doc.ptr, doc.ptr + doc.len};
    if (!kiln__json_skip(&j, 0)) return false;
    kiln__json_ws(&j);
    return j.p == j.end;
}

kiln_json_type kiln_json_typeof(kiln_str v) {
    if (!v.ptr || v.len == 0) return KILN_JSON_INVALID;
    switch (v.ptr[0]) {
        case 'n': return KILN_JSON_NULL;
        case 't':
        case 'f': return KILN_JSON_BOOL;
        case '"': return KILN_JSON_STRING;
        case '[': return KILN_JSON_ARRAY;
        case '{': return KILN_JSON_OBJECT;
        default: return KILN_JSON_NUMBER;
    }
}

/* The value starting at j->p as a view (whitespace skipped first). */
static kiln_str kiln__json_value(kiln__json *j) {
    kiln__json_ws(j);
    const char *start = j->p;
    if (!kiln__json_skip(j, 0)) return (kiln_str){NULL, 0};
    return (kiln_str){start, (size_t)(j->p - start)};
}

kiln_str kiln_json_get(kiln_str object, const char *key) {
    if (kiln_json_typeof(object) != KILN_JSON_OBJECT) return (kiln_str){NULL, 0};
    kiln__json j = {object.ptr + 1, object.ptr + object.len};
    size_t key_len = kiln__strlen(key);
    for (;;) {
        kiln__json_ws(&j);
        if (j.p >= j.end || *j.p != '"') return (kiln_str){NULL, 0};
        kiln_str name = kiln__json_value(&j), decoded;
        kiln__json_ws(&j);
        if (j.p >= j.end || *j.p++ != ':') return (kiln_str){NULL, 0};
        kiln_str value = kiln__json_value(&j);
        if (!value.ptr) return value;
        /* Compare the raw name; decode (temp memory) only names with escapes in them. */
        bool escaped = false;
        for (size_t i = 1; i + 1 < name.len; i++) escaped |= name.ptr[i] == '\\';
        if (!escaped ? name.len - 2 == key_len && memcmp(name.ptr + 1, key, key_len) == 0
                     : kiln_json_string(name, &decoded) && decoded.len == key_len &&
                           memcmp(decoded.ptr, key, key_len) == 0)
            return value;
        kiln__json_ws(&j);
        if (j.p >= j.end || *j.p++ != ',') return (kiln_str){NULL, 0};
    }
}

bool kiln_json_next(kiln_str *cursor, kiln_str *item) {
    if (!cursor->ptr || cursor->len == 0) return false;
    kiln__json j = {cursor->ptr, cursor->ptr + cursor->len};
    if (*j.p == '[') { /* first call: step inside */
        j.p++;
        kiln__json_ws(&j);
        if (j.p < j.end && *j.p == ']') {
            cursor->len = 0;
            return false;
        }
    }
    kiln_str v = kiln__json_value(&j);
    if (!v.ptr) {
        cursor->len = 0;
        return false;
    }
    kiln__json_ws(&j);
    if (j.p < j.end && *j.p == ',') {
        j.p++;
        cursor->ptr = j.p;
        cursor->len = (size_t)(j.end - j.p);
    } else {
        cursor->len = 0; /* ']' or the end */
    }
    *item = v;
    return true;
}

static void kiln__put_utf8(char *out, size_t *o, uint32_t c) {
    if (c < 0x80) {
        out[(*o)++] = (char)c;
    } else if (c < 0x800) {
        out[(*o)++] = (char)(0xC0 | c >> 6);
        out[(*o)++] = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out[(*o)++] = (char)(0xE0 | c >> 12);
        out[(*o)++] = (char)(0x80 | (c >> 6 & 0x3F));
        out[(*o)++] = (char)(0x80 | (c & 0x3F));
    } else {
        out[(*o)++] = (char)(0xF0 | c >> 18);
        out[(*o)++] = (char)(0x80 | (c >> 12 & 0x3F));
        out[(*o)++] = (char)(0x80 | (c >> 6 & 0x3F));
        out[(*o)++] = (char)(0x80 | (c & 0x3F));
    }
}

static uint32_t kiln__hex4(const char *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v = v << 4 | (uint32_t)kiln__hex_digit(p[i]);
    return v;
}

bool kiln_json_string(kiln_str value, kiln_str *out) {
    if (kiln_json_typeof(value) != KILN_JSON_STRING || value.len < 2) return false;
    const char *p = value.ptr + 1, *end = value.ptr + value.len - 1;
    char *s = (char *)kiln_temp_alloc((size_t)(end - p) + 1); /* decoding never lengthens */
    size_t o = 0;
    while (p < end) {
        char c = *p++;
        if (c != '\\') {
            s[o++] = c;
            continue;
        }
        char e = *p++;
        switch (e) {
            case 'b': s[o++] = '\b'; break;
            case 'f': s[o++] = '\f'; break;
            case 'n': s[o++] = '\n'; break;
            case 'r': s[o++] = '\r'; break;
            case 't': s[o++] = '\t'; break;
            case 'u': {
                uint32_t c1 = kiln__hex4(p);
                p += 4;
                if (c1 >= 0xD800 && c1 < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                    uint32_t c2 = kiln__hex4(p + 2);
                    if (c2 >= 0xDC00 && c2 < 0xE000) {
                        c1 = 0x10000 + ((c1 - 0xD800) << 10) + (c2 - 0xDC00);
                        p += 6;
                    }
                }
                kiln__put_utf8(s, &o, c1);
                break;
            }
            default: s[o++] = e; break; /* \" \\ \/ */
        }
    }
    s[o] = 0;
    *out = (kiln_str){s, o};
    return true;
}

bool kiln_json_int(kiln_str value, int64_t *out) {
    if (kiln_json_typeof(value) != KILN_JSON_NUMBER) return false;
    const char *p = value.ptr, *end = value.ptr + value.len;
    bool neg = p < end && *p == '-';
    if (neg) p++;
    uint64_t v = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_C(1) << 62) / 10) return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (p != end) return false; /* a fraction or exponent */
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

#endif /* KILN_IMPLEMENTATION */
