/*
 * sort.c: quicksort of pseudo-random integers.
 *
 * Each round fills an array of N 32-bit keys from an LCG, sorts it with a
 * median-of-three quicksort (insertion sort below 16 elements, recursion on
 * the smaller side only), checks that it is sorted, and folds the sorted
 * order into the checksum: sum over i of key[i] * (i + 1), mixed per round.
 * An unsorted result returns -1.
 */
#include <stdint.h>

#define N (1 << 20)
#define ROUNDS 5

static uint32_t keys[N];

static inline void swap_u32(uint32_t *a, uint32_t *b) {
    uint32_t t = *a; *a = *b; *b = t;
}

static void insertion_sort(uint32_t *a, int32_t n) {
    for (int32_t i = 1; i < n; i++) {
        uint32_t v = a[i];
        int32_t j = i - 1;
        while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
    }
}

static __attribute__((noinline)) void quicksort(uint32_t *a, int32_t n) {
    while (n > 16) {
        int32_t mid = n / 2;
        if (a[mid] < a[0]) swap_u32(&a[mid], &a[0]);
        if (a[n - 1] < a[0]) swap_u32(&a[n - 1], &a[0]);
        if (a[n - 1] < a[mid]) swap_u32(&a[n - 1], &a[mid]);
        uint32_t pivot = a[mid];
        int32_t i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i >= j) break;
            swap_u32(&a[i], &a[j]);
            i++; j--;
        }
        /* [0, j] <= pivot <= [j+1, n) */
        int32_t left = j + 1, right = n - left;
        if (left < right) {
            quicksort(a, left);
            a += left; n = right;
        } else {
            quicksort(a + left, right);
            n = left;
        }
    }
    insertion_sort(a, n);
}

int64_t run(void) {
    uint64_t state = 0x2545F4914F6CDD1DULL;
    uint64_t sum = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (int32_t i = 0; i < N; i++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            keys[i] = (uint32_t)(state >> 32);
        }
        quicksort(keys, N);
        uint64_t s = 0;
        for (int32_t i = 0; i < N; i++) {
            if (i > 0 && keys[i - 1] > keys[i]) return -1;
            s += (uint64_t)keys[i] * (uint64_t)(i + 1);
        }
        sum = (sum ^ s) * 0x100000001b3ULL + (uint64_t)keys[N / 3];
    }
    return (int64_t)sum;
}
