/* Minimal <stdlib.h> for the freestanding wasm32 build of wasm3 (see ../libc.c).
 * The strto* functions are declared only: their one caller is dead code. */
#ifndef WASM3_SHIM_STDLIB_H
#define WASM3_SHIM_STDLIB_H
#include <stddef.h>
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);
unsigned long strtoul(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
double strtod(const char *s, char **end);
#define abort() __builtin_trap()
#endif
