/* Minimal <stdio.h> for the freestanding wasm32 build of wasm3: declarations only.
 * wasm3 prints only with DEBUG or its logging/tracing options, all off here; a
 * call that survives fails the link (the module may have no imports). */
#ifndef WASM3_SHIM_STDIO_H
#define WASM3_SHIM_STDIO_H
#include <stdarg.h>
#include <stddef.h>
typedef struct FILE FILE;
int printf(const char *fmt, ...);
int fprintf(FILE *f, const char *fmt, ...);
int snprintf(char *buf, size_t n, const char *fmt, ...);
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int sprintf(char *buf, const char *fmt, ...);
#endif
