/* Helpers shared by the WASI test programs: errno names, and a check that prints one line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *ename(int e) {
    switch (e) {
    case 0: return "0";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EISDIR: return "EISDIR";
    case ELOOP: return "ELOOP";
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    case EPERM: return "EPERM";
    case EXDEV: return "EXDEV";
    case ESPIPE: return "ESPIPE";
    case ENOTSUP: return "ENOTSUP";
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "errno %d", e);
        return buf;
    }
    }
}

/* Prints "ok: WHAT" when COND holds, else "FAIL: WHAT (errno)". */
#define CHECK(cond, what)                                                      \
    do {                                                                       \
        errno = 0;                                                             \
        if (cond) printf("ok: %s\n", what);                                    \
        else printf("FAIL: %s (%s)\n", what, ename(errno));                    \
    } while (0)
