/* A JSON-like parser: builds a document of n records (objects with strings, numbers, arrays,
 * escapes), then tokenises and parses it, summing every number and counting every string.
 * Byte-at-a-time branching, the shape of real request-parsing code. */
#include "workload.h"

static char *out;
static size_t pos;

static void put(const char *s) { while (*s) out[pos++] = *s++; }
static void put_int(long long v) {
    char tmp[24];
    int k = 0;
    if (v < 0) { out[pos++] = '-'; v = -v; }
    do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (k) out[pos++] = tmp[--k];
}

static size_t build(int n) {
    out = bump((size_t)n * 160 + 16);
    pos = 0;
    uint32_t seed = 7;
    put("[");
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        if (i) put(",");
        put("{\"id\":"); put_int(i);
        put(",\"name\":\"item \\\"q\\\" #"); put_int(seed % 1000);
        put("\",\"price\":"); put_int((long long)(seed % 100000) - 5000);
        put(",\"tags\":[\"a\",\"bc\",\"def\"],\"ok\":true,\"next\":null}");
    }
    put("]");
    return pos;
}

typedef struct { const char *s; size_t i, n; long long sum, strings; int bad; } parser;

static void ws(parser *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\n' || p->s[p->i] == '\t')) p->i++;
}
static void value(parser *p);
static void string(parser *p) {
    p->i++; /* opening quote */
    while (p->i < p->n && p->s[p->i] != '"') p->i += p->s[p->i] == '\\' ? 2 : 1;
    p->i++;
    p->strings++;
}
static void number(parser *p) {
    int neg = 0;
    long long v = 0;
    if (p->s[p->i] == '-') { neg = 1; p->i++; }
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') v = v * 10 + (p->s[p->i++] - '0');
    p->sum += neg ? -v : v;
}
static void value(parser *p) {
    ws(p);
    if (p->i >= p->n) { p->bad = 1; return; }
    char c = p->s[p->i];
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        p->i++;
        ws(p);
        if (p->s[p->i] == close) { p->i++; return; }
        for (;;) {
            if (c == '{') { ws(p); string(p); ws(p); p->i++; /* colon */ }
            value(p);
            ws(p);
            if (p->i >= p->n) { p->bad = 1; return; }
            if (p->s[p->i] == ',') { p->i++; continue; }
            if (p->s[p->i] == close) { p->i++; return; }
            p->bad = 1;
            return;
        }
    } else if (c == '"') {
        string(p);
    } else if (c == 't') {
        p->i += 4;
    } else if (c == 'f') {
        p->i += 5;
    } else if (c == 'n') {
        p->i += 4;
    } else {
        number(p);
    }
}

EXPORT("run") long long run(int n) {
    reset_heap();
    size_t len = build(n);
    parser p = {out, 0, len, 0, 0, 0};
    value(&p);
    return p.bad ? -1 : p.sum * 31 + p.strings;
}
