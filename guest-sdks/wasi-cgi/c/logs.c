// logs: each stderr line is one line in the function's logs; stdout is the response.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const char *method = getenv("REQUEST_METHOD");
    const char *path = getenv("PATH_INFO");
    fprintf(stderr, "handling %s %s\n", method ? method : "?", path ? path : "?");
    fprintf(stderr, "request id %s\n", getenv("KILN_REQUEST_ID") ? getenv("KILN_REQUEST_ID") : "?");
    printf("Status: 202 Accepted\nContent-Type: text/plain\n\nlogged 2 lines\n");
    return 0;
}
