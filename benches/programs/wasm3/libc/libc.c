/*
 * libc.c: the few libc functions wasm3 needs, for the freestanding wasm32 build
 * only (natively wasm3 links against the real libc). Headers in include/.
 *
 * - malloc/calloc/realloc/free: a stack-like allocator over a static 1 MiB array
 *   (wasm3 needs about 147 KiB at its peak here). Every block has a 16-byte
 *   header (its size, the offset of the block below it, a freed flag). free()
 *   marks the block; freed blocks at the top are popped, so memory comes back
 *   when wasm3 frees in reverse order, and all of it comes back once everything
 *   is freed (the driver frees the whole wasm3 environment at the end of every
 *   entry). realloc() grows the top block in place, else it moves.
 *   Deterministic: the same calls give the same addresses.
 * - memcpy/memmove/memset: memory.copy / memory.fill (bulk memory, on by default
 *   in clang-22's wasm32 target); memcmp, strlen, strcmp, strncmp: byte loops
 *   (no_builtin, so clang does not turn a loop back into a call to itself).
 * Declared in include/ but not defined: the <stdio.h> functions (wasm3 prints
 * only with DEBUG, its logging options or verbose error messages, all off) and
 * strtoul/strtoull/strtod (their one caller, m3_CallArgv, is never called and
 * wasm-ld drops it). A call that became live would fail the link.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef __wasm_bulk_memory__
#error "libc.c implements memcpy/memset with memory.copy/memory.fill: build with bulk memory"
#endif

#define HEAP_SIZE (1u << 20)
#define ALIGN 16u

typedef struct {
    uint32_t size;  /* payload bytes, a multiple of ALIGN */
    uint32_t below; /* offset of the block below this one, or UINT32_MAX */
    uint32_t freed;
    uint32_t pad;
} Header;

static _Alignas(ALIGN) unsigned char heap[HEAP_SIZE];
static uint32_t heap_top;            /* first free byte */
static uint32_t heap_last = UINT32_MAX; /* offset of the top block's header */

static Header *hdr(uint32_t off) { return (Header *)(heap + off); }

void *malloc(size_t n) {
    if (n > HEAP_SIZE) return NULL;
    uint32_t size = ((uint32_t)n + ALIGN - 1) & ~(ALIGN - 1);
    if (HEAP_SIZE - heap_top < sizeof(Header) + size) return NULL;
    uint32_t off = heap_top;
    *hdr(off) = (Header){size, heap_last, 0, 0};
    heap_last = off;
    heap_top = off + sizeof(Header) + size;
    return heap + off + sizeof(Header);
}

void free(void *p) {
    if (!p) return;
    hdr((uint32_t)((unsigned char *)p - heap) - sizeof(Header))->freed = 1;
    while (heap_last != UINT32_MAX && hdr(heap_last)->freed) {
        heap_top = heap_last;
        heap_last = hdr(heap_last)->below;
    }
}

void *calloc(size_t count, size_t size) {
    if (size && count > HEAP_SIZE / size) return NULL;
    void *p = malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *realloc(void *p, size_t n) {
    if (!p) return malloc(n);
    uint32_t off = (uint32_t)((unsigned char *)p - heap) - sizeof(Header);
    uint32_t old = hdr(off)->size;
    if (n <= old) return p;
    if (off == heap_last) {
        uint32_t size = ((uint32_t)n + ALIGN - 1) & ~(ALIGN - 1);
        if (n > HEAP_SIZE || HEAP_SIZE - off - sizeof(Header) < size) return NULL;
        hdr(off)->size = size;
        heap_top = off + sizeof(Header) + size;
        return p;
    }
    void *q = malloc(n);
    if (!q) return NULL;
    memcpy(q, p, old);
    free(p);
    return q;
}

void *memcpy(void *restrict d, const void *restrict s, size_t n) {
    __builtin_memcpy(d, s, n);
    return d;
}

void *memmove(void *d, const void *s, size_t n) {
    __builtin_memmove(d, s, n);
    return d;
}

void *memset(void *d, int c, size_t n) {
    __builtin_memset(d, c, n);
    return d;
}

__attribute__((no_builtin)) int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] - y[i];
    return 0;
}

__attribute__((no_builtin)) size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

__attribute__((no_builtin)) int strncmp(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x != y || !x) return x - y;
    }
    return 0;
}

int strcmp(const char *a, const char *b) { return strncmp(a, b, SIZE_MAX); }
