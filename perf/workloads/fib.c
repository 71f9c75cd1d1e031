/* Recursive Fibonacci: call-heavy code with tiny function bodies (the worst case for per-call
 * fuel checks). run(n) = fib(n). */
#include "workload.h"

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

EXPORT("run") long long run(int n) {
    reset_heap();
    return fib(n);
}
