/* Quicksort of n pseudo-random ints (median-of-three, insertion sort for small ranges):
 * branchy loops over memory with recursion. run(n) returns a position-weighted checksum. */
#include "workload.h"

static void insertion(int *a, int lo, int hi) {
    for (int i = lo + 1; i <= hi; i++) {
        int x = a[i], j = i;
        while (j > lo && a[j - 1] > x) { a[j] = a[j - 1]; j--; }
        a[j] = x;
    }
}

static void quicksort(int *a, int lo, int hi) {
    while (hi - lo > 16) {
        int mid = lo + (hi - lo) / 2;
        int x = a[lo], y = a[mid], z = a[hi];
        int pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) { int t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
        else { quicksort(a, i, hi); hi = j; }
    }
    insertion(a, lo, hi);
}

EXPORT("run") long long run(int n) {
    reset_heap();
    int *a = bump((size_t)n * sizeof(int));
    uint32_t seed = 12345;
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        a[i] = (int)(seed >> 1);
    }
    if (n > 1) quicksort(a, 0, n - 1);
    long long sum = 0;
    for (int i = 0; i < n; i += 1 + n / 1024) sum += (long long)a[i] * (i + 1);
    return sum;
}
