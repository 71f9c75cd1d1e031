/* Shared glue for the compute workloads: a bump allocator and the kiln ABI entry points.
 * Each workload defines `long long run(int n)`; Kiln calls it through kiln_handle with n as
 * decimal text in the payload and gets the result back as decimal text. JMH and node call
 * `run` directly, so every host times the same code. Freestanding: no imports at all. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

/* clang may lower loops and initialisers to these; freestanding code must supply them. */
void *memset(void *d, int c, size_t n) {
    unsigned char *p = d;
    while (n--) *p++ = (unsigned char)c;
    return d;
}
void *memcpy(void *d, const void *s, size_t n) {
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--) *p++ = *q++;
    return d;
}

extern unsigned char __heap_base;
static uintptr_t heap_top;

static void *bump(size_t len) {
    if (heap_top == 0) heap_top = (uintptr_t)&__heap_base;
    uintptr_t p = (heap_top + 15) & ~(uintptr_t)15;
    uintptr_t end = p + len;
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        size_t pages = (end - have + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) __builtin_trap();
    }
    heap_top = end;
    return (void *)p;
}

/* Every run starts from an empty heap: the workloads allocate per run. */
static void reset_heap(void) { heap_top = 0; }

long long run(int n);

EXPORT("kiln_alloc") void *kiln_alloc(int len) { return bump((size_t)len); }

EXPORT("kiln_handle") long long kiln_handle(const char *in, int len) {
    int n = 0;
    for (int i = 0; i < len && in[i] >= '0' && in[i] <= '9'; i++) n = n * 10 + (in[i] - '0');
    long long r = run(n);
    char *out = bump(24);
    char tmp[24];
    int k = 0;
    unsigned long long u = r < 0 ? (unsigned long long)(-r) : (unsigned long long)r;
    do { tmp[k++] = (char)('0' + u % 10); u /= 10; } while (u);
    int m = 0;
    if (r < 0) out[m++] = '-';
    while (k) out[m++] = tmp[--k];
    return ((long long)(uintptr_t)out << 32) | (unsigned)m;
}
