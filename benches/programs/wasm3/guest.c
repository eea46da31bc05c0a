/*
 * guest.c: the Wasm module that wasm3 runs (wasm3.c embeds its bytes).
 *
 * Built by build.sh with clang-22 --target=wasm32 -mcpu=mvp -O2 -nostdlib
 * -fno-builtin (MVP only, so wasm3 0.5.0 takes it as is; -fno-builtin so the
 * loops stay loops instead of calls to a memset the guest does not have).
 * Exports:
 *   fib(n: i32) -> i64          recursive Fibonacci
 *   sieve(rounds: i32) -> i64   `rounds` sieves of Eratosthenes over 60000
 *                               bytes of the guest's memory, hashing every prime
 */
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

static __attribute__((noinline)) int64_t fib_rec(int32_t n) {
    return n < 2 ? n : fib_rec(n - 1) + fib_rec(n - 2);
}

EXPORT("fib") int64_t fib(int32_t n) { return fib_rec(n); }

#define SIEVE_N 60000
static uint8_t flags[SIEVE_N];

/* Like tailvm's sieve program: set the flags, cross out multiples
 * of every p with p*p < N, then walk the flags doing count += 1 and
 * hash = ((hash ^ p) * 0x100000001b3) ^ (hash >> 29) for every prime p.
 * count and hash carry over between rounds. Returns hash + count. */
EXPORT("sieve") int64_t sieve(int32_t rounds) {
    uint64_t hash = 0xcbf29ce484222325u, count = 0;
    for (int32_t r = 0; r < rounds; r++) {
        for (uint32_t i = 0; i < SIEVE_N; i++) flags[i] = 1;
        for (uint32_t p = 2; p * p < SIEVE_N; p++)
            if (flags[p])
                for (uint32_t m = p * p; m < SIEVE_N; m += p) flags[m] = 0;
        for (uint32_t p = 2; p < SIEVE_N; p++)
            if (flags[p]) {
                count += 1;
                hash = ((hash ^ p) * 0x100000001b3u) ^ (hash >> 29);
            }
    }
    return (int64_t)(hash + count);
}
