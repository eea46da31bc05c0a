/*
 * hash.c: integer hashing over a generated buffer.
 *
 * A 64 KiB buffer of 64-bit words is filled by splitmix64. Each round then
 * hashes the whole buffer three ways and folds the results together:
 *   - an xxHash64-style pass: four independent lanes of
 *     acc = rotl(acc + w * P2, 31) * P1, merged and avalanched,
 *   - FNV-1a over every byte (one long dependency chain of multiplies),
 *   - a murmur3 fmix64 of each word, summed.
 * After each round one word of the buffer is rewritten from the round's hash,
 * so the rounds depend on each other. run() returns the final digest.
 */
#include <stdint.h>

#define WORDS 8192 /* 64 KiB */
#define ROUNDS 4000

static uint64_t buf[WORDS];

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static inline uint64_t xx_round(uint64_t acc, uint64_t w) {
    acc += w * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

static inline uint64_t xx_merge(uint64_t h, uint64_t v) {
    h ^= xx_round(0, v);
    return h * P1 + P4;
}

static __attribute__((noinline)) uint64_t xxh64_words(const uint64_t *p, int n, uint64_t seed) {
    uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    for (int i = 0; i < n; i += 4) {
        v1 = xx_round(v1, p[i]);
        v2 = xx_round(v2, p[i + 1]);
        v3 = xx_round(v3, p[i + 2]);
        v4 = xx_round(v4, p[i + 3]);
    }
    uint64_t h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = xx_merge(h, v1);
    h = xx_merge(h, v2);
    h = xx_merge(h, v3);
    h = xx_merge(h, v4);
    h += (uint64_t)n * 8;
    h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
    return h;
}

static __attribute__((noinline)) uint64_t fnv1a_bytes(const uint64_t *p, int n, uint64_t h) {
    for (int i = 0; i < n; i++) {
        uint64_t w = p[i];
        for (int b = 0; b < 8; b++) {
            h ^= (w >> (8 * b)) & 0xff;
            h *= 0x100000001b3ULL;
        }
    }
    return h;
}

static __attribute__((noinline)) uint64_t fmix_sum(const uint64_t *p, int n, uint64_t seed) {
    uint64_t s = 0;
    for (int i = 0; i < n; i++) s += fmix64(p[i] ^ seed);
    return s;
}

int64_t run(void) {
    uint64_t x = 0x0123456789ABCDEFULL;
    for (int i = 0; i < WORDS; i++) {
        uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        buf[i] = z ^ (z >> 31);
    }
    uint64_t digest = 0xcbf29ce484222325ULL;
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t a = xxh64_words(buf, WORDS, digest);
        uint64_t b = fnv1a_bytes(buf, WORDS, digest ^ P5);
        uint64_t c = fmix_sum(buf, WORDS, (uint64_t)r * P3);
        digest = fmix64(digest ^ a) + rotl(b, 17) + (c ^ (c >> 7));
        buf[(digest >> 7) & (WORDS - 1)] ^= digest;
    }
    return (int64_t)digest;
}
