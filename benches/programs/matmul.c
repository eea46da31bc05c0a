/*
 * matmul.c: dense double-precision matrix multiply.
 *
 * Each round generates A and B (N x N, entries in [-1, 1) from an LCG),
 * computes C = A * B with the i-k-j loop order, and folds every element of C
 * into the checksum by its exact bit pattern, plus the trace of C scaled to
 * an integer. No FMA contraction (build natively with -ffp-contract=off), no
 * libm: the result is bit-identical on x86-64 and Wasm.
 */
#include <stdint.h>

#define N 256
#define ROUNDS 80

static double A[N][N], B[N][N], C[N][N];
static uint64_t lcg_state;

static inline double next_unit(void) {
    /* 53-bit LCG output mapped exactly onto [-1, 1). */
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(int64_t)(lcg_state >> 11) * (1.0 / 4503599627370496.0) - 1.0;
}

static inline uint64_t bits(double d) {
    uint64_t u;
    __builtin_memcpy(&u, &d, sizeof u);
    return u;
}

static __attribute__((noinline)) void matmul(void) {
    for (int i = 0; i < N; i++) {
        double a0 = A[i][0];
        for (int j = 0; j < N; j++) C[i][j] = a0 * B[0][j];
        for (int k = 1; k < N; k++) {
            double a = A[i][k];
            for (int j = 0; j < N; j++) C[i][j] = C[i][j] + a * B[k][j];
        }
    }
}

int64_t run(void) {
    uint64_t sum = 0;
    lcg_state = 0x853c49e6748fea9bULL;
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) A[i][j] = next_unit();
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) B[i][j] = next_unit();
        matmul();
        double trace = 0.0;
        for (int i = 0; i < N; i++) {
            trace = trace + C[i][i];
            for (int j = 0; j < N; j++) {
                sum = (sum ^ bits(C[i][j])) * 0x100000001b3ULL;
            }
        }
        /* |trace| <= N * N, so trace * 2^32 fits an int64 with room to spare */
        sum += (uint64_t)(int64_t)(trace * 4294967296.0);
    }
    return (int64_t)sum;
}
