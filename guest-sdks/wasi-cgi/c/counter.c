// counter: a page-view counter in the service's key-value store, from a plain WASI program.
// A wasi-cgi module may import kiln's key-value functions next to WASI (ABI section 9.2);
// the count lives in the store, so it survives this program's exit (every request runs it anew).
//   GET /{page}     {"page":"/{page}","views":N}, adding one to the key "views:/{page}"
//   DELETE /{page}  {"page":"/{page}","deleted":true}, false when there was no such key
// A refused store call is reported on stderr with exit code 1 (guest_error).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ABI section 4.12, same signatures as for kiln-ABI modules.
__attribute__((import_module("kiln"), import_name("kv_increment")))
int32_t kv_increment(const char *key, int32_t key_len, int64_t delta, int64_t *result);
__attribute__((import_module("kiln"), import_name("kv_delete")))
int32_t kv_delete(const char *key, int32_t key_len);

int main(void) {
    const char *method = getenv("REQUEST_METHOD");
    const char *page = getenv("PATH_INFO");
    if (!method) method = "GET";
    if (!page || !*page) page = "/";
    char key[512];
    int key_len = snprintf(key, sizeof key, "views:%s", page);
    if (key_len < 0 || (size_t)key_len >= sizeof key) key_len = sizeof key - 1;

    printf("Content-Type: application/json\n\n{\"page\":\"");
    for (const char *p = page; *p; p++) {  // PATH_INFO is still percent-encoded
        if (*p == '"' || *p == '\\') putchar('\\');
        putchar(*p);
    }
    if (strcmp(method, "DELETE") == 0) {
        int32_t r = kv_delete(key, key_len);
        if (r != 0 && r != -1) {
            fprintf(stderr, "counter: kv_delete failed with %d\n", r);
            return 1;
        }
        printf("\",\"deleted\":%s}", r == 0 ? "true" : "false");
        return 0;
    }
    int64_t views = 0;
    int32_t r = kv_increment(key, key_len, 1, &views);
    if (r != 0) {
        // -3: the key is over 256 bytes (ABI section 4.12's error table).
        fprintf(stderr, "counter: kv_increment failed with %d\n", r);
        return 1;
    }
    printf("\",\"views\":%lld}", (long long)views);
    return 0;
}
