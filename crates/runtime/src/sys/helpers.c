// Helpers in C because Rust has no sound setjmp: a function that returns twice.
// Only Wasm frames (and the entry trampoline) lie between kite_catch and kite_unwind, and they
// own no Rust values, so jumping over them skips no destructors.
#include <setjmp.h>
#include <stddef.h>

typedef void (*kite_entry_fn)(void *vmctx, void *code, void *values);

// Calls `entry(vmctx, code, values)` and returns 0, or returns 1 if kite_unwind jumped back here.
// `*slot` holds the innermost jump buffer of this thread while the call runs.
int kite_catch(kite_entry_fn entry, void *vmctx, void *code, void *values, void **slot) {
    jmp_buf buf;
    void *const prev = *slot;
    if (setjmp(buf) == 0) {
        *slot = &buf;
        entry(vmctx, code, values);
        *slot = prev;
        return 0;
    }
    *slot = prev;
    return 1;
}

void kite_unwind(void *buf) {
    longjmp(*(jmp_buf *)buf, 1);
}

void kite_flush_icache(void *start, size_t len) {
    __builtin___clear_cache((char *)start, (char *)start + len);
}
