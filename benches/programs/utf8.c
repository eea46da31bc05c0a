/*
 * utf8.c: UTF-8 validation, a byte-lane kernel.
 *
 * run() generates 4 MiB of text in records of 64 B to 8 KiB (1,021 of them),
 * each in one "script" (ASCII prose, Latin with accents, Greek/Cyrillic,
 * CJK/Hangul, emoji, code points at the edges of each sequence length; 1- to
 * 4-byte sequences), and breaks about a quarter of them with one typical error
 * (stray continuation byte, truncated sequence, C0/C1 or F5-FF byte, overlong,
 * surrogate, above U+10FFFF, cut at the record's end). Each of ROUNDS rounds
 * overwrites one byte chosen from the running digest, validates every record,
 * folds each record's result into the digest and restores the byte, so every
 * round depends on the one before. A record's result is its code point count if it is valid
 * UTF-8, else the offset of its first error: the first byte at which it stops
 * being a prefix of valid UTF-8, or its length if it ends inside a sequence.
 *
 * Two validators give the same results (the offset is defined by the input,
 * not by how it is found):
 *   - scalar: a byte-at-a-time decoder, in the `utf8` builds;
 *   - vector: 16 bytes at a time with a carry rule (below), in the builds that
 *     define SIMD_BUILD (build.sh does for `utf8_simd`, Wasm and native). It is
 *     written with clang's portable vector extensions, so the Wasm build
 *     (-msimd128) gets v128 code and the native build the same algorithm in
 *     SSE2, from one text; wasm_simd128.h is used for two reductions only
 *     (v128.any_true, i8x16.bitmask), with a portable form natively.
 * No libc, no imports: the text lives in this module's static memory.
 */
#include <stdint.h>

#define BYTES (4 << 20)
#define MAX_RECORDS 2048 /* 1,021 are made */
/* 64 rounds: about 0.4 s for the scalar validator natively, 0.1 s for the
   vector one (the text is generated once per run, about 20 ms) */
#define ROUNDS 64

#if defined(SIMD_BUILD) && defined(__wasm__) && !defined(__wasm_simd128__)
#error "SIMD_BUILD for Wasm needs -msimd128"
#endif

/* 16 bytes of slack: the vector validator loads whole blocks and masks the
   lanes past a record's end. */
static uint8_t text[BYTES + 16];
static uint32_t rec_start[MAX_RECORDS], rec_len[MAX_RECORDS];
static int records;
static uint64_t rng;

static inline uint32_t next_u32(void) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng >> 33);
}

static inline uint32_t below(uint32_t n) { return (uint32_t)(((uint64_t)next_u32() * n) >> 31); }

/* Writes code point cp (valid, not a surrogate) at p; returns its length. */
static int encode(uint8_t *p, uint32_t cp) {
    if (cp < 0x80) { p[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) { p[0] = 0xC0 | (cp >> 6); p[1] = 0x80 | (cp & 0x3F); return 2; }
    if (cp < 0x10000) {
        p[0] = 0xE0 | (cp >> 12); p[1] = 0x80 | ((cp >> 6) & 0x3F); p[2] = 0x80 | (cp & 0x3F);
        return 3;
    }
    p[0] = 0xF0 | (cp >> 18); p[1] = 0x80 | ((cp >> 12) & 0x3F);
    p[2] = 0x80 | ((cp >> 6) & 0x3F); p[3] = 0x80 | (cp & 0x3F);
    return 4;
}

static const char prose[] = "the quick brown fox jumps over a lazy dog, 0123456789 times!\n";

/* Code points at the edges of each sequence length and of the surrogates. */
static const uint32_t edges[] = {0x00, 0x7F, 0x80, 0x7FF, 0x800, 0xFFF, 0x1000, 0xD7FF,
                                 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x3FFFF, 0x40000, 0xFFFFF,
                                 0x100000, 0x10FFFF};

static uint32_t pick(int script) {
    uint32_t r = below(100);
    uint32_t ascii = (uint8_t)prose[below(sizeof prose - 1)];
    switch (script) {
    case 0: return ascii;                                        /* ASCII prose */
    case 1: return r < 85 ? ascii : 0xA0 + below(0x160);         /* Latin-1 + Latin Extended-A */
    case 2: return r < 20 ? ascii : r < 60 ? 0x391 + below(0x39) : 0x410 + below(0x40); /* Greek, Cyrillic */
    case 3: return r < 10 ? ascii : r < 95 ? 0x4E00 + below(0x5200) : 0xAC00 + below(0x2BA4); /* CJK, Hangul */
    case 4: return r < 30 ? ascii : r < 80 ? 0x1F300 + below(0x800) : 0x20000 + below(0xA6E0); /* emoji, CJK Ext B */
    default: return r < 50 ? edges[below(sizeof edges / sizeof edges[0])] : 0x80 + below(0x10FF80); /* edges, anything */
    }
}

/* Breaks the valid record at p[0..n) in one of eight ways, somewhere in it. */
static void corrupt(uint8_t *p, uint32_t n) {
    uint32_t at = below(n);
    /* a sequence starts at `at`: skip continuation bytes */
    while (at < n && (p[at] & 0xC0) == 0x80) at++;
    if (at + 4 > n) at = n - 4;
    while (at > 0 && (p[at] & 0xC0) == 0x80) at--;
    switch (below(8)) {
    case 0: p[at] = 0x80 + below(0x40); break;                  /* stray continuation byte */
    case 1: p[at] = 0xE1; p[at + 1] = 0x80; p[at + 2] = 'x'; break; /* truncated 3-byte sequence */
    case 2: p[at] = 0xC0 + below(2); p[at + 1] = 0x80 + below(0x40); break; /* C0/C1: overlong 2-byte */
    case 3: p[at] = 0xF5 + below(11); break;                     /* F5-FF never appear */
    case 4: p[at] = 0xE0; p[at + 1] = 0x80 + below(0x20); p[at + 2] = 0x80; break; /* overlong 3-byte */
    case 5: p[at] = 0xED; p[at + 1] = 0xA0 + below(0x20); p[at + 2] = 0x80; break; /* surrogate */
    case 6: p[at] = 0xF4; p[at + 1] = 0x90 + below(0x30); p[at + 2] = 0x80; p[at + 3] = 0x80; break; /* > U+10FFFF */
    default: p[n - 1] = 0xF0 + below(5); break;                  /* cut inside a 4-byte sequence */
    }
}

static void generate(void) {
    rng = 0x9E3779B97F4A7C15ULL;
    uint32_t pos = 0;
    records = 0;
    while (pos < BYTES) {
        /* 64 B .. 8 KiB, the last record takes what is left */
        uint32_t len = 64 + below(8192 - 64);
        if (len > BYTES - pos) len = BYTES - pos;
        int script = (int)below(6);
        uint8_t *p = text + pos;
        uint32_t i = 0;
        while (i < len) {
            uint32_t cp = pick(script);
            if (cp >= 0xD800 && cp < 0xE000) cp -= 0x800; /* no surrogates in valid text */
            uint8_t tmp[4];
            int k = encode(tmp, cp);
            if (i + (uint32_t)k > len) { p[i++] = ' '; continue; } /* pad the end with spaces */
            for (int j = 0; j < k; j++) p[i + j] = tmp[j];
            i += (uint32_t)k;
        }
        if (len >= 8 && below(4) == 0) corrupt(p, len);
        rec_start[records] = pos;
        rec_len[records] = len;
        records++;
        pos += len;
    }
    for (int i = 0; i < 16; i++) text[BYTES + i] = 0;
}

/* validate(s, n): the code points of s[0..n) if it is valid UTF-8, else
   ~(offset of the first error). */

#ifndef SIMD_BUILD

static __attribute__((noinline)) int64_t validate(const uint8_t *s, uint32_t n) {
    int64_t cps = 0;
    uint32_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) { i++; cps++; continue; }
        uint32_t need;
        uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
        else return ~(int64_t)i; /* continuation byte, C0, C1, F5-FF */
        for (uint32_t k = 1; k <= need; k++) {
            if (i + k >= n) return ~(int64_t)n;
            uint8_t b = s[i + k];
            if (b < lo || b > hi) return ~(int64_t)(i + k);
            lo = 0x80; hi = 0xBF;
        }
        i += need + 1;
        cps++;
    }
    return cps;
}

#else

typedef uint8_t u8x16 __attribute__((vector_size(16)));
typedef int8_t i8x16 __attribute__((vector_size(16)));
typedef uint64_t u64x2 __attribute__((vector_size(16)));

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
static inline int any_set(i8x16 m) { return wasm_v128_any_true((v128_t)m); }
static inline uint32_t lane_bits(i8x16 m) { return wasm_i8x16_bitmask((v128_t)m); }
#else
static inline int any_set(i8x16 m) { u64x2 t = (u64x2)m; return (t[0] | t[1]) != 0; }
static inline uint32_t lane_bits(i8x16 m) {
    uint32_t b = 0;
    for (int k = 0; k < 16; k++) b |= (uint32_t)(m[k] < 0) << k;
    return b;
}
#endif

static inline u8x16 load16(const uint8_t *p) {
    u8x16 v;
    __builtin_memcpy(&v, p, 16);
    return v;
}

/*
 * A byte at position i must be a continuation byte (80-BF) exactly when the
 * byte at i-1 is a lead of 2+ bytes (>= C0), or i-2 one of 3+ (>= E0), or i-3
 * one of 4 (>= F0): cont[i] == carry[i]. With that, an error is a byte where
 * they differ, a C0, C1 or F5-FF, or a second byte outside its lead's range
 * (E0: A0-BF, ED: 80-9F, F0: 90-BF, F4: 80-8F). The first flagged position is
 * the first error the scalar decoder finds. Lanes past the end are zero, so a
 * sequence cut by the end flags position n (carry into a zero byte).
 * p1, p2, p3 are the bytes at i-1, i-2, i-3: the block shifted by 1-3 lanes
 * with the end of the previous block shifted in (i8x16.shuffle in Wasm,
 * pslldq/psrldq/por in SSE2). There is no all-ASCII shortcut: every block
 * takes the whole check, so the time goes to SIMD whatever the text.
 */
static __attribute__((noinline)) int64_t validate(const uint8_t *s, uint32_t n) {
    const u8x16 iota = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    u8x16 prev = {0};
    u8x16 conts = {0}; /* continuation bytes per lane, flushed before it wraps */
    uint32_t total_conts = 0, blocks = 0;
    /* the last block (possibly all padding) checks what is carried past the end */
    for (uint32_t i = 0; i <= n; i += 16) {
        u8x16 cur = load16(s + i);
        if (n - i < 16) cur &= (u8x16)(iota < (uint8_t)(n - i)); /* zero the lanes past the end */
        u8x16 p1 = __builtin_shufflevector(prev, cur, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
        u8x16 p2 = __builtin_shufflevector(prev, cur, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29);
        u8x16 p3 = __builtin_shufflevector(prev, cur, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28);
        i8x16 cont = (i8x16)cur < (int8_t)0xC0; /* 80-BF are the int8 values below -64 */
        i8x16 carry = (p1 >= 0xC0) | (p2 >= 0xE0) | (p3 >= 0xF0);
        i8x16 bad = (cont ^ carry) | (cur >= 0xF5) | ((cur & 0xFE) == 0xC0);
        bad |= (p1 == 0xE0) & (cur < 0xA0);
        bad |= (p1 == 0xED) & (cur > 0x9F);
        bad |= (p1 == 0xF0) & (cur < 0x90);
        bad |= (p1 == 0xF4) & (cur > 0x8F);
        if (any_set(bad)) return ~(int64_t)(i + (uint32_t)__builtin_ctz(lane_bits(bad)));
        conts -= (u8x16)cont;
        if (++blocks == 255) {
            for (int k = 0; k < 16; k++) total_conts += conts[k];
            conts = (u8x16){0};
            blocks = 0;
        }
        prev = cur;
    }
    for (int k = 0; k < 16; k++) total_conts += conts[k];
    return (int64_t)(n - total_conts);
}

#endif

int64_t run(void) {
    generate();
    uint64_t digest = 0xcbf29ce484222325ULL;
    for (int round = 0; round < ROUNDS; round++) {
        /* one byte replaced from the digest, restored after the round */
        static const uint8_t swaps[8] = {0x80, 0xBF, 0xC1, 0xE0, 0xED, 0xF4, 0xFF, 'a'};
        uint32_t at = (uint32_t)(digest >> 11) % BYTES;
        uint8_t saved = text[at];
        text[at] = swaps[(digest >> 3) & 7];
        for (int r = 0; r < records; r++) {
            int64_t v = validate(text + rec_start[r], rec_len[r]);
            digest = (digest ^ (uint64_t)v) * 0x100000001b3ULL;
        }
        digest ^= digest >> 29;
        text[at] = saved;
    }
    return (int64_t)digest;
}
