/* fib.c: recursive Fibonacci. run() returns fib(38) = 39088169. */
#include <stdint.h>

#define FIB_ARG 38

static __attribute__((noinline)) int64_t fib(int32_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/* The argument goes through a volatile so the call cannot be folded away. */
static volatile int32_t fib_arg = FIB_ARG;

int64_t run(void) { return fib(fib_arg); }
