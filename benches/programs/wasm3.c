/*
 * wasm3.c: wasm3, a WebAssembly interpreter written in C whose ops tail-call
 * each other, running a small guest module.
 *
 * wasm3's source (MIT) is fetched by wasm3/fetch.sh into wasm3/src/ and
 * compiled through wasm3/wasm3_unity.c, which makes every op's dispatch
 * musttail. The guest is wasm3/guest.c, built to Wasm by build.sh and embedded
 * here from the generated wasm3/gen/guest_wasm.h. In the Wasm build wasm3's
 * malloc, string functions and so on come from wasm3/libc/ (no imports).
 *
 * Every entry builds a fresh wasm3 environment and runtime, parses, loads and
 * (lazily) compiles the guest, calls one guest export, and frees everything, so
 * calling it again does the same work and returns the same value.
 *
 * Exports: run_fib (guest fib(35)), run_sieve (guest sieve, 256 rounds) and
 * run = run_fib ^ run_sieve * 31 (uint64).
 */
#include <stdint.h>

#include "wasm3.h"
#include "guest_wasm.h"

#define FIB_ARG 35
#define SIEVE_ROUNDS 256

/* Returned when wasm3 reports an error. */
#define WASM3_FAILED ((int64_t)0x7ff0deadbeef0000)

/* The arguments go through volatiles so nothing about the guest call is constant. */
static volatile int32_t fib_arg = FIB_ARG;
static volatile int32_t sieve_rounds = SIEVE_ROUNDS;

static int64_t call_guest(const char *name, int32_t arg) {
    int64_t result = WASM3_FAILED;
    IM3Environment env = m3_NewEnvironment();
    if (!env) return WASM3_FAILED;
    IM3Runtime runtime = m3_NewRuntime(env, 64 * 1024, 0);
    if (runtime) {
        IM3Module module;
        IM3Function fn;
        int64_t value;
        if (m3_ParseModule(env, &module, guest_wasm, sizeof guest_wasm) == m3Err_none) {
            if (m3_LoadModule(runtime, module) != m3Err_none) {
                m3_FreeModule(module); /* the runtime owns it only once it is loaded */
            } else if (m3_FindFunction(&fn, runtime, name) == m3Err_none &&
                       m3_CallV(fn, arg) == m3Err_none &&
                       m3_GetResultsV(fn, &value) == m3Err_none) {
                result = value;
            }
        }
        m3_FreeRuntime(runtime);
    }
    m3_FreeEnvironment(env);
    return result;
}

int64_t run_fib(void) { return call_guest("fib", fib_arg); }

int64_t run_sieve(void) { return call_guest("sieve", sieve_rounds); }

int64_t run(void) {
    return (int64_t)((uint64_t)run_fib() ^ (uint64_t)run_sieve() * 31);
}
