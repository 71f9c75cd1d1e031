// hello: the smallest CGI response — a header block, a blank line, then the body.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const char *name = getenv("QUERY_STRING");
    printf("Content-Type: text/plain; charset=utf-8\n");
    printf("X-Hello: c\n");
    printf("\n");
    printf("Hello from C, %s!\n", name && *name ? name : "world");
    return 0;
}
