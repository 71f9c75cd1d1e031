// env: answers with every environment variable (the CGI variables plus the function's config),
// one NAME=value per line, sorted, and its program name (argv[0]) first.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    size_t n = 0;
    while (environ[n]) {
        n++;
    }
    char **sorted = malloc((n + 1) * sizeof *sorted);
    if (!sorted) {
        return 1;
    }
    memcpy(sorted, environ, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, by_name);
    printf("Content-Type: text/plain\n\n");
    printf("argv[0]=%s argc=%d\n", argc > 0 ? argv[0] : "", argc);
    for (size_t i = 0; i < n; i++) {
        printf("%s\n", sorted[i]);
    }
    free(sorted);
    return 0;
}
