/* setjmp.h for wasm32 with setjmp/longjmp lowered to Wasm exception handling
 * (clang -mllvm -wasm-enable-sjlj). Debian's wasi-libc (2022) has no setjmp.h.
 *
 * clang's pass recognises calls to the functions named setjmp and longjmp and
 * rewrites them to __wasm_setjmp / __wasm_longjmp (sjlj_rt.c); nothing defines
 * setjmp or longjmp themselves. jmp_buf only has to hold sjlj_rt.c's
 * struct jmp_buf_impl (16 bytes on wasm32). */
#ifndef KITE_LUA_EH_SETJMP_H
#define KITE_LUA_EH_SETJMP_H

typedef struct { unsigned long long __words[4]; } jmp_buf[1];

#ifdef __cplusplus
extern "C" {
#endif
__attribute__((returns_twice)) int setjmp(jmp_buf env);
__attribute__((__noreturn__)) void longjmp(jmp_buf env, int val);
#ifdef __cplusplus
}
#endif

#endif
