// echo: copies the request body (stdin) to the response body (stdout), keeping its content type.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const char *type = getenv("CONTENT_TYPE");
    printf("Content-Type: %s\n\n", type && *type ? type : "application/octet-stream");
    char buf[16 * 1024];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        if (fwrite(buf, 1, n, stdout) != n) {
            return 1;
        }
    }
    return ferror(stdin) ? 1 : 0;
}
