/*
 * Kiln's Python runtime: CPython 3.11 on the Kiln ABI (wasm-abi/ABI.md, docs/adr/0050).
 *
 * kiln_init starts the interpreter (the standard library and the function's code come from the
 * in-memory zips of kiln_wasi.c), imports kiln.py and through it the function's module, so
 * Kiln's post-init snapshot holds an initialised interpreter with the handler imported. Every
 * kiln_handle calls kiln._invoke(event) and returns the bytes it answers; kiln.py maps the
 * handler's result, logs and errors. The natives kiln.py needs are the builtin module _kiln.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PY_SSIZE_T_CLEAN
#include <Python.h>

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

/* Heap kept free in the snapshot, so an invocation's allocations rarely grow memory (an instance
 * whose memory grew is dropped rather than reset). */
#define WARM_HEAP (4 * 1024 * 1024)

static PyObject *invoke_fn; /* kiln._invoke */
static char *payload;
static char *result_copy;

/* ---------- reading host values with the buffer convention ---------- */

typedef int32_t (*reader)(int32_t arg, const void *key, int32_t key_len, void *buf, int32_t cap);

/* The value as bytes (as_text 0) or str, None for ERR_NOT_FOUND, an int for another error. */
static PyObject *read_value(reader read, int32_t arg, const void *key, int32_t kl, int as_text) {
    char small[512];
    int32_t n = read(arg, key, kl, small, sizeof small);
    if (n == -1) Py_RETURN_NONE;
    if (n < 0) return PyLong_FromLong(n);
    char *buf = small;
    if ((uint32_t)n > sizeof small) {
        buf = malloc((size_t)n);
        if (!buf) return PyErr_NoMemory();
        int32_t again = read(arg, key, kl, buf, n);
        if (again < 0 || again > n) {
            free(buf);
            if (again == -1) Py_RETURN_NONE;
            return PyLong_FromLong(again < 0 ? again : -5); /* changed between the calls */
        }
        n = again;
    }
    PyObject *out = as_text ? PyUnicode_DecodeUTF8(buf, n, "surrogateescape")
                            : PyBytes_FromStringAndSize(buf, n);
    if (buf != small) free(buf);
    return out;
}

static int32_t r_context(int32_t f, const void *k, int32_t kl, void *b, int32_t c) {
    (void)k, (void)kl;
    return kiln_context_get(f, b, c);
}
static int32_t r_request(int32_t f, const void *k, int32_t kl, void *b, int32_t c) {
    (void)k, (void)kl;
    return kiln_request_get(f, b, c);
}
static int32_t r_headers(int32_t f, const void *k, int32_t kl, void *b, int32_t c) {
    (void)f, (void)k, (void)kl;
    return kiln_request_headers(b, c);
}
static int32_t r_config(int32_t f, const void *k, int32_t kl, void *b, int32_t c) {
    (void)f;
    return kiln_config_get(k, kl, b, c);
}
static int32_t r_kv(int32_t f, const void *k, int32_t kl, void *b, int32_t c) {
    (void)f;
    return kiln_kv_get(k, kl, b, c);
}
static int32_t r_http_headers(int32_t h, const void *k, int32_t kl, void *b, int32_t c) {
    (void)k, (void)kl;
    return kiln_http_response_headers(h, b, c);
}
static int32_t r_http_body(int32_t h, const void *k, int32_t kl, void *b, int32_t c) {
    (void)k, (void)kl;
    return kiln_http_response_body(h, b, c);
}

/* ---------- the _kiln module ---------- */

static PyObject *k_log(PyObject *self, PyObject *args) {
    (void)self;
    int level;
    const char *s;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "is#", &level, &s, &n)) return NULL;
    kiln_log(level, s, (int32_t)n);
    Py_RETURN_NONE;
}

static PyObject *k_fail(PyObject *self, PyObject *args) {
    (void)self;
    const char *s;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "s#", &s, &n)) return NULL;
    kiln_fail(s, (int32_t)n);
    Py_RETURN_NONE;
}

static PyObject *k_context(PyObject *self, PyObject *args) {
    (void)self;
    int field;
    if (!PyArg_ParseTuple(args, "i", &field)) return NULL;
    return read_value(r_context, field, NULL, 0, 1);
}

static PyObject *k_request(PyObject *self, PyObject *args) {
    (void)self;
    int field;
    if (!PyArg_ParseTuple(args, "i", &field)) return NULL;
    return read_value(r_request, field, NULL, 0, 1);
}

static PyObject *k_request_headers(PyObject *self, PyObject *args) {
    (void)self, (void)args;
    return read_value(r_headers, 0, NULL, 0, 1);
}

static PyObject *k_deadline_ms(PyObject *self, PyObject *args) {
    (void)self, (void)args;
    return PyLong_FromLongLong(kiln_deadline_ms());
}

static PyObject *k_set_status(PyObject *self, PyObject *args) {
    (void)self;
    int status;
    if (!PyArg_ParseTuple(args, "i", &status)) return NULL;
    return PyLong_FromLong(kiln_response_set_status(status));
}

static PyObject *k_header(PyObject *self, PyObject *args) {
    (void)self;
    int add;
    const char *n, *v;
    Py_ssize_t nl, vl;
    if (!PyArg_ParseTuple(args, "ps#s#", &add, &n, &nl, &v, &vl)) return NULL;
    int32_t r = add ? kiln_response_header_add(n, (int32_t)nl, v, (int32_t)vl)
                    : kiln_response_header_set(n, (int32_t)nl, v, (int32_t)vl);
    return PyLong_FromLong(r);
}

static PyObject *k_config(PyObject *self, PyObject *args) {
    (void)self;
    const char *k;
    Py_ssize_t kl;
    if (!PyArg_ParseTuple(args, "s#", &k, &kl)) return NULL;
    return read_value(r_config, 0, k, (int32_t)kl, 1);
}

static PyObject *k_kv_get(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer k;
    if (!PyArg_ParseTuple(args, "y*", &k)) return NULL;
    PyObject *r = read_value(r_kv, 0, k.buf, (int32_t)k.len, 0);
    PyBuffer_Release(&k);
    return r;
}

static PyObject *k_kv_set(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer k, v;
    long long ttl;
    if (!PyArg_ParseTuple(args, "y*y*L", &k, &v, &ttl)) return NULL;
    int32_t r = kiln_kv_set(k.buf, (int32_t)k.len, v.buf, (int32_t)v.len, ttl);
    PyBuffer_Release(&k);
    PyBuffer_Release(&v);
    return PyLong_FromLong(r);
}

static PyObject *k_kv_delete(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer k;
    if (!PyArg_ParseTuple(args, "y*", &k)) return NULL;
    int32_t r = kiln_kv_delete(k.buf, (int32_t)k.len);
    PyBuffer_Release(&k);
    return PyLong_FromLong(r);
}

/* (code, new value) */
static PyObject *k_kv_increment(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer k;
    long long delta;
    int64_t result = 0;
    if (!PyArg_ParseTuple(args, "y*L", &k, &delta)) return NULL;
    int32_t r = kiln_kv_increment(k.buf, (int32_t)k.len, delta, &result);
    PyBuffer_Release(&k);
    return Py_BuildValue("(iL)", r, (long long)result);
}

static PyObject *k_kv_cas(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer k, e = {0}, v;
    PyObject *expected;
    if (!PyArg_ParseTuple(args, "y*Oy*", &k, &expected, &v)) return NULL;
    int absent = expected == Py_None;
    if (!absent && PyObject_GetBuffer(expected, &e, PyBUF_SIMPLE)) {
        PyBuffer_Release(&k);
        PyBuffer_Release(&v);
        return NULL;
    }
    int32_t r = kiln_kv_compare_and_swap(k.buf, (int32_t)k.len, absent ? "" : e.buf,
                                         absent ? -1 : (int32_t)e.len, v.buf, (int32_t)v.len);
    PyBuffer_Release(&k);
    if (!absent) PyBuffer_Release(&e);
    PyBuffer_Release(&v);
    return PyLong_FromLong(r);
}

/* One page, (u16 LE length + key)*, as bytes; or an int code. */
static PyObject *k_kv_list(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer p, a;
    if (!PyArg_ParseTuple(args, "y*y*", &p, &a)) return NULL;
    int32_t cap = 4096;
    PyObject *out = NULL;
    for (int tries = 0; tries < 3 && !out; tries++) {
        char *buf = malloc((size_t)cap);
        int32_t n = buf ? kiln_kv_list(p.buf, (int32_t)p.len, a.buf, (int32_t)a.len, buf, cap)
                        : -3;
        if (n < 0) out = PyLong_FromLong(n);
        else if (n <= cap) out = PyBytes_FromStringAndSize(buf, n);
        else cap = n;
        free(buf);
    }
    PyBuffer_Release(&p);
    PyBuffer_Release(&a);
    return out ? out : PyLong_FromLong(-5);
}

static PyObject *k_http_send(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer m, u, h, b;
    if (!PyArg_ParseTuple(args, "y*y*y*y*", &m, &u, &h, &b)) return NULL;
    int32_t r = kiln_http_send(m.buf, (int32_t)m.len, u.buf, (int32_t)u.len, h.buf,
                               (int32_t)h.len, b.buf, (int32_t)b.len);
    PyBuffer_Release(&m);
    PyBuffer_Release(&u);
    PyBuffer_Release(&h);
    PyBuffer_Release(&b);
    return PyLong_FromLong(r);
}

static PyObject *k_http_status(PyObject *self, PyObject *args) {
    (void)self;
    int h;
    if (!PyArg_ParseTuple(args, "i", &h)) return NULL;
    return PyLong_FromLong(kiln_http_response_status(h));
}

static PyObject *k_http_headers(PyObject *self, PyObject *args) {
    (void)self;
    int h;
    if (!PyArg_ParseTuple(args, "i", &h)) return NULL;
    return read_value(r_http_headers, h, NULL, 0, 1);
}

static PyObject *k_http_body(PyObject *self, PyObject *args) {
    (void)self;
    int h;
    if (!PyArg_ParseTuple(args, "i", &h)) return NULL;
    return read_value(r_http_body, h, NULL, 0, 0);
}

static PyMethodDef kiln_methods[] = {
    {"log", k_log, METH_VARARGS, NULL},
    {"fail", k_fail, METH_VARARGS, NULL},
    {"context", k_context, METH_VARARGS, NULL},
    {"request", k_request, METH_VARARGS, NULL},
    {"request_headers", k_request_headers, METH_NOARGS, NULL},
    {"deadline_ms", k_deadline_ms, METH_NOARGS, NULL},
    {"set_status", k_set_status, METH_VARARGS, NULL},
    {"header", k_header, METH_VARARGS, NULL},
    {"config", k_config, METH_VARARGS, NULL},
    {"kv_get", k_kv_get, METH_VARARGS, NULL},
    {"kv_set", k_kv_set, METH_VARARGS, NULL},
    {"kv_delete", k_kv_delete, METH_VARARGS, NULL},
    {"kv_increment", k_kv_increment, METH_VARARGS, NULL},
    {"kv_cas", k_kv_cas, METH_VARARGS, NULL},
    {"kv_list", k_kv_list, METH_VARARGS, NULL},
    {"http_send", k_http_send, METH_VARARGS, NULL},
    {"http_status", k_http_status, METH_VARARGS, NULL},
    {"http_headers", k_http_headers, METH_VARARGS, NULL},
    {"http_body", k_http_body, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef kiln_module = {PyModuleDef_HEAD_INIT, "_kiln", NULL, -1, kiln_methods,
                                         NULL, NULL, NULL, NULL};

static PyObject *init_kiln_module(void) { return PyModule_Create(&kiln_module); }

/* ---------- the ABI exports ---------- */

KILN_EXPORT("kiln_abi_version") int32_t kiln_abi_version(void) { return 1; }

KILN_EXPORT("kiln_alloc") void *kiln_alloc(int32_t len) {
    free(payload);
    payload = malloc((size_t)(uint32_t)len + 1);
    return payload;
}

static void log_text(int level, const char *s) { kiln_log(level, s, (int32_t)strlen(s)); }

/* Logs the pending Python exception with its traceback (kiln_init: there is no invocation to
 * fail, so the caller traps and the upload is refused invalid_module). */
static void log_exception(const char *where) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    PyObject *text = NULL;
    PyObject *traceback = PyImport_ImportModule("traceback");
    if (traceback && value) {
        if (tb) PyException_SetTraceback(value, tb);
        PyObject *lines = PyObject_CallMethod(traceback, "format_exception", "O", value);
        PyObject *empty = PyUnicode_FromString("");
        if (lines && empty) text = PyUnicode_Join(empty, lines);
        Py_XDECREF(lines);
        Py_XDECREF(empty);
    }
    if (!text && value) text = PyObject_Str(value);
    PyErr_Clear();
    const char *s = text ? PyUnicode_AsUTF8(text) : NULL;
    size_t wl = strlen(where), sl = s ? strlen(s) : 0;
    while (sl > 0 && s[sl - 1] == '\n') sl--;
    char *line = malloc(wl + sl + 1);
    if (line) {
        memcpy(line, where, wl);
        if (s) memcpy(line + wl, s, sl);
        kiln_log(3, line, (int32_t)(wl + sl));
        free(line);
    }
    PyErr_Clear();
    Py_XDECREF(text);
    Py_XDECREF(traceback);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
}

static int start_interpreter(void) {
    if (PyImport_AppendInittab("_kiln", init_kiln_module) < 0) return -1;
    PyPreConfig pre;
    PyPreConfig_InitIsolatedConfig(&pre);
    pre.utf8_mode = 1;
    PyStatus status = Py_PreInitialize(&pre);
    if (PyStatus_Exception(status)) goto failed;

    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.site_import = 0;
    config.write_bytecode = 0;
    config.install_signal_handlers = 0;
    config.pathconfig_warnings = 0;
    config.user_site_directory = 0;
    config.buffered_stdio = 0;
    config.module_search_paths_set = 1;
    status = PyConfig_SetString(&config, &config.home, L"/");
    if (!PyStatus_Exception(status))
        status = PyConfig_SetString(&config, &config.program_name, L"python3");
    if (!PyStatus_Exception(status))
        status = PyWideStringList_Append(&config.module_search_paths, L"/function.zip");
    if (!PyStatus_Exception(status))
        status = PyWideStringList_Append(&config.module_search_paths, L"/lib/python311.zip");
    if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (!PyStatus_Exception(status)) return 0;
failed:
    log_text(3, "kiln: starting Python failed:");
    if (status.func) log_text(3, status.func);
    if (status.err_msg) log_text(3, status.err_msg);
    return -1;
}

KILN_EXPORT("kiln_init") void kiln_init(void) {
    /* A wasi-libc reactor's constructors run in _initialize; Kiln calls kiln_init instead. */
    extern void _initialize(void) __attribute__((weak));
    if (_initialize) _initialize();
    char *volatile warm = malloc(WARM_HEAP);
    free(warm);

    if (start_interpreter()) __builtin_trap();
    PyObject *kiln = PyImport_ImportModule("kiln");
    PyObject *loaded = kiln ? PyObject_CallMethod(kiln, "_load", NULL) : NULL;
    if (loaded) invoke_fn = PyObject_GetAttrString(kiln, "_invoke");
    if (!loaded || !invoke_fn) {
        /* kiln_init may not call fail; log the error and trap, so the upload is refused
         * (invalid_module) and the reason is in the host's answer and logs. */
        log_exception("kiln: importing the function failed: ");
        __builtin_trap();
    }
    Py_DECREF(loaded);
    Py_DECREF(kiln);
}

KILN_EXPORT("kiln_handle") int64_t kiln_handle(char *ptr, int32_t len) {
    PyObject *event = PyBytes_FromStringAndSize(ptr, (Py_ssize_t)(uint32_t)len);
    PyObject *r = event ? PyObject_CallOneArg(invoke_fn, event) : NULL;
    Py_XDECREF(event);
    char *bytes = NULL;
    Py_ssize_t n = 0;
    if (!r || PyBytes_AsStringAndSize(r, &bytes, &n) < 0) {
        /* kiln._invoke handles the function's errors itself; this is one in the runtime (such
         * as MemoryError while reporting). */
        log_exception("kiln: ");
        static const char msg[] = "the Python runtime failed (see the function's logs)";
        kiln_fail(msg, sizeof msg - 1);
        Py_XDECREF(r);
        return 0;
    }
    free(result_copy);
    result_copy = malloc(n ? (size_t)n : 1);
    if (result_copy) memcpy(result_copy, bytes, (size_t)n);
    else n = 0;
    Py_DECREF(r);
    return ((int64_t)(uintptr_t)result_copy << 32) | (uint32_t)n;
}
