/* The run-time half of clang's setjmp/longjmp lowering to Wasm exception
 * handling (-mllvm -wasm-enable-sjlj), which newer wasi-libc has in
 * libc-top-half/musl/src/setjmp/wasm32/rt.c; Debian's wasi-libc (2022) does not.
 *
 * The contract, from LLVM's WebAssemblyLowerEmscriptenEHSjLj.cpp:
 * - A function that calls setjmp gets `functionInvocationId`, the address of an
 *   alloca of its own, distinct for every live invocation. Each setjmp call site
 *   gets a label 1, 2, ... and becomes __wasm_setjmp(env, label, id).
 * - longjmp(env, val) becomes __wasm_longjmp(env, val), which throws the Wasm
 *   tag __c_longjmp (tag index 1 of __builtin_wasm_throw) with one i32: the
 *   address of a struct { void *env; int val; }.
 * - Every call that may longjmp, in a function that calls setjmp, is covered by
 *   a catch of __c_longjmp, which loads env and val from that address and calls
 *   __wasm_setjmp_test(env, id): the label when env was set by this invocation
 *   (setjmp then "returns" val at that label's call site), else 0, and then the
 *   catch throws again with __wasm_longjmp(env, val) for a caller.
 *
 * The struct thrown lives in the jmp_buf itself, as in wasi-libc: the jmp_buf
 * belongs to a frame that is still live while the exception travels to it. */
#include <stdint.h>

struct jmp_buf_impl {
    void *func_invocation_id; /* the invocation that called setjmp(env) */
    uint32_t label;           /* which setjmp call site in it (never 0) */
    struct {
        void *env;
        int val;
    } arg;                    /* what __wasm_longjmp throws */
};

_Static_assert(sizeof(struct jmp_buf_impl) <= 32, "jmp_buf in include/setjmp.h is too small");

void __wasm_setjmp(void *env, uint32_t label, void *func_invocation_id) {
    struct jmp_buf_impl *jb = env;
    if (label == 0 || func_invocation_id == 0)
        __builtin_trap();
    jb->func_invocation_id = func_invocation_id;
    jb->label = label;
}

uint32_t __wasm_setjmp_test(void *env, void *func_invocation_id) {
    struct jmp_buf_impl *jb = env;
    return jb->func_invocation_id == func_invocation_id ? jb->label : 0;
}

_Noreturn void __wasm_longjmp(void *env, int val) {
    struct jmp_buf_impl *jb = env;
    jb->arg.env = env;
    jb->arg.val = val == 0 ? 1 : val; /* longjmp(env, 0) makes setjmp return 1 */
    __builtin_wasm_throw(1, &jb->arg); /* 1: the C longjmp tag, __c_longjmp */
}
