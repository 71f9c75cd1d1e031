// fail: explains the problem on stderr and exits with code 3; Kiln answers guest_error.
#include <stdio.h>

int main(void) {
    fprintf(stderr, "fail: the order service is unreachable\n");
    return 3;
}
