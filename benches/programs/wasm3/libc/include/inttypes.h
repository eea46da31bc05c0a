/* Minimal <inttypes.h> for the freestanding wasm32 build of wasm3 (clang's own
 * <inttypes.h> needs a libc one underneath). wasm32: long is 32 bits. */
#ifndef WASM3_SHIM_INTTYPES_H
#define WASM3_SHIM_INTTYPES_H
#include <stdint.h>
#define PRId32 "d"
#define PRIi32 "i"
#define PRIu32 "u"
#define PRIx32 "x"
#define PRId64 "lld"
#define PRIi64 "lli"
#define PRIu64 "llu"
#define PRIx64 "llx"
#endif
