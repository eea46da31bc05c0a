/* Clocks, sleeping and randomness. Prints the wall clock's seconds (the test compares them
 * with the host's) and one line per check. */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static int64_t ns(clockid_t c) {
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0) return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    printf("realtime=%lld\n", (long long)ts.tv_sec);
    CHECK(time(NULL) >= ts.tv_sec, "time() agrees with CLOCK_REALTIME");

    int64_t a = ns(CLOCK_MONOTONIC), b = ns(CLOCK_MONOTONIC);
    CHECK(a > 0 && b >= a, "monotonic clock does not go back");

    struct timespec res;
    CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0 &&
              res.tv_nsec <= 1000000,
          "monotonic resolution is within (0, 1ms]");
    CHECK(clock_getres(CLOCK_REALTIME, &res) == 0 && (res.tv_sec > 0 || res.tv_nsec > 0),
          "realtime resolution is positive");
    CHECK(ns(CLOCK_PROCESS_CPUTIME_ID) >= 0, "process cputime clock reads");
    CHECK(ns(CLOCK_THREAD_CPUTIME_ID) >= 0, "thread cputime clock reads");

    int64_t t0 = ns(CLOCK_MONOTONIC);
    struct timespec nap = {0, 20 * 1000000};
    nanosleep(&nap, NULL);
    int64_t slept = ns(CLOCK_MONOTONIC) - t0;
    CHECK(slept >= 20000000 && slept < 5000000000LL, "nanosleep(20ms) sleeps at least 20ms");

    t0 = ns(CLOCK_MONOTONIC);
    int r = poll(NULL, 0, 15);
    slept = ns(CLOCK_MONOTONIC) - t0;
    CHECK(r == 0 && slept >= 15000000, "poll with no descriptors times out after 15ms");

    /* An absolute deadline on the realtime clock: clock_nanosleep(TIMER_ABSTIME). */
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    t0 = ns(CLOCK_MONOTONIC);
    r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
    slept = ns(CLOCK_MONOTONIC) - t0;
    CHECK(r == 0 && slept >= 5000000, "clock_nanosleep to an absolute realtime deadline");

    unsigned char x[32], y[32], zero[32] = {0};
    CHECK(getentropy(x, sizeof x) == 0 && getentropy(y, sizeof y) == 0, "getentropy succeeds");
    CHECK(memcmp(x, y, sizeof x) != 0 && memcmp(x, zero, sizeof x) != 0,
          "two random draws differ and are not zero");
    unsigned char big[4096];
    int counts[256] = {0};
    getentropy(big, 256);
    getentropy(big + 256, 256);
    for (int i = 0; i < 512; i++) counts[big[i]]++;
    int max = 0;
    for (int i = 0; i < 256; i++) if (counts[i] > max) max = counts[i];
    CHECK(max < 16, "512 random bytes look uniform");
    return 0;
}
