/*
 * native_main.c: native driver for the benchmark programs.
 *
 *   native/NAME [ENTRY]
 *
 * Calls ENTRY (default "run") once, timed with clock_gettime(CLOCK_MONOTONIC),
 * and prints two lines: the checksum as a signed 64-bit decimal, then
 * "ns=<elapsed nanoseconds>". Unknown or absent entries exit with status 2.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Entry points a program may define; the ones it lacks stay null. */
extern int64_t run(void) __attribute__((weak));
extern int64_t run_fib(void) __attribute__((weak));
extern int64_t run_sieve(void) __attribute__((weak));
extern int64_t run_ops(void) __attribute__((weak));

static const struct {
    const char *name;
    int64_t (*fn)(void);
} entries[] = {
    {"run", run},
    {"run_fib", run_fib},
    {"run_sieve", run_sieve},
    {"run_ops", run_ops},
};

int main(int argc, char **argv) {
    const char *want = argc > 1 ? argv[1] : "run";
    int64_t (*fn)(void) = 0;
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
        if (strcmp(entries[i].name, want) == 0) fn = entries[i].fn;
    if (!fn) {
        fprintf(stderr, "%s: no entry point named %s\n", argv[0], want);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int64_t result = fn();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t ns = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 +
                 (int64_t)(t1.tv_nsec - t0.tv_nsec);
    printf("%" PRId64 "\nns=%" PRId64 "\n", result, ns);
    return 0;
}
