/* Tries to reach outside its preopened directory /sandbox in every way it can think of; each
 * attempt must fail. The host side (set up by the test) is:
 *
 *   ROOT/outside.txt           "secret\n", must stay as it is
 *   ROOT/inner/                preopened as /sandbox
 *   ROOT/inner/sub/f.txt
 *   ROOT/inner/up -> ..        a symlink out, relative
 *   ROOT/inner/abs -> ROOT/outside.txt   a symlink out, absolute
 *
 * Prints "refused: WHAT (ERRNO)" per attempt, or "ESCAPED: WHAT", and a count at the end. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "common.h"

static int attempts, escaped;

static void attempt(int result, const char *what) {
    attempts++;
    if (result < 0) {
        printf("refused: %s (%s)\n", what, ename(errno));
    } else {
        escaped++;
        printf("ESCAPED: %s\n", what);
    }
}

/* path_open straight on the preopen's descriptor, bypassing wasi-libc's path handling. */
static int raw_open(const char *path, __wasi_lookupflags_t lookup, __wasi_oflags_t oflags) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(3, lookup, path, oflags,
                                        __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &fd);
    if (e != 0) { errno = e; return -1; }
    return fd;
}

int main(void) {
    struct stat st;
    char buf[64];
    __wasi_prestat_t pre;
    char name[16] = {0};
    if (__wasi_fd_prestat_get(3, &pre) != 0 || __wasi_fd_prestat_dir_name(3, (uint8_t *)name, 15) != 0 ||
        strcmp(name, "/sandbox") != 0) {
        printf("descriptor 3 is not /sandbox\n");
        return 1;
    }

    attempt(open("/sandbox/../outside.txt", O_RDONLY), "open /sandbox/../outside.txt");
    attempt(open("/sandbox/sub/../../outside.txt", O_RDONLY), "open /sandbox/sub/../../outside.txt");
    attempt(open("/sandbox/sub/../sub/../../inner/../outside.txt", O_RDONLY), "open a winding path out");
    attempt(raw_open("..", 0, __WASI_OFLAGS_DIRECTORY), "path_open .. on the preopen");
    attempt(raw_open("../outside.txt", 0, 0), "path_open ../outside.txt");
    attempt(raw_open("/etc/passwd", 0, 0), "path_open of an absolute path");
    attempt(raw_open("//etc/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0), "path_open of //etc/passwd");
    attempt(raw_open("sub/../../outside.txt", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0),
            "path_open sub/../../outside.txt");
    attempt(open("/etc/passwd", O_RDONLY), "open /etc/passwd");
    attempt(open("/sandbox/up/outside.txt", O_RDONLY), "open through the symlink up -> ..");
    attempt(open("/sandbox/abs", O_RDONLY), "open the absolute symlink");
    attempt(raw_open("up/outside.txt", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0), "path_open up/outside.txt");
    attempt(opendir("/sandbox/up") ? 0 : -1, "opendir the symlink up -> ..");
    attempt(stat("/sandbox/up/outside.txt", &st), "stat through up -> ..");
    attempt(stat("/sandbox/abs", &st), "stat through the absolute symlink");
    attempt(open("/sandbox/up/created.txt", O_WRONLY | O_CREAT, 0644), "create a file through up -> ..");
    attempt(open("/sandbox/../created.txt", O_WRONLY | O_CREAT, 0644), "create /sandbox/../created.txt");
    attempt(truncate("/sandbox/up/outside.txt", 0), "truncate outside.txt through up");
    attempt(open("/sandbox/abs", O_WRONLY | O_TRUNC), "truncate outside.txt through abs");
    attempt(mkdir("/sandbox/../newdir", 0755), "mkdir /sandbox/../newdir");
    attempt(mkdir("/sandbox/up/newdir", 0755), "mkdir through up");
    attempt(rename("/sandbox/sub/f.txt", "/sandbox/../moved.txt"), "rename a file out");
    attempt(rename("/sandbox/../outside.txt", "/sandbox/stolen.txt"), "rename a file in");
    attempt(rename("/sandbox/up/outside.txt", "/sandbox/stolen.txt"), "rename a file in through up");
    attempt(unlink("/sandbox/../outside.txt"), "unlink /sandbox/../outside.txt");
    attempt(unlink("/sandbox/up/outside.txt"), "unlink through up");
    attempt(rmdir("/sandbox/../inner"), "rmdir the sandbox from outside");
    attempt(link("/sandbox/../outside.txt", "/sandbox/hard.txt"), "hard link to outside.txt");
    attempt(link("/sandbox/up/outside.txt", "/sandbox/hard.txt"), "hard link through up");
    attempt(link("/sandbox/sub/f.txt", "/sandbox/../hard.txt"), "hard link out");
    attempt(symlink("/etc/passwd", "/sandbox/passwd"), "symlink to an absolute path");
    attempt(symlink("a", "/sandbox/../link"), "symlink created outside");
    struct timeval tv[2] = {{1, 0}, {1, 0}};
    attempt(utimes("/sandbox/up/outside.txt", tv), "utimes through up");
    attempt(utimes("/sandbox/../outside.txt", tv), "utimes /sandbox/../outside.txt");
    attempt((int)readlink("/sandbox/../inner/up", buf, sizeof buf), "readlink from outside");

    /* A relative symlink that leads out may be made, but never followed. */
    if (symlink("../outside.txt", "/sandbox/sneaky") == 0) {
        attempt(open("/sandbox/sneaky", O_RDONLY), "open a new symlink that leads out");
        attempt(open("/sandbox/sneaky", O_WRONLY | O_TRUNC), "truncate through the new symlink");
        attempt(stat("/sandbox/sneaky", &st), "stat through the new symlink");
    } else {
        printf("symlink sneaky -> ../outside.txt was refused (%s)\n", ename(errno));
    }
    /* The same through a chain of two symlinks inside the sandbox. */
    symlink("up", "/sandbox/up2");
    attempt(open("/sandbox/up2/outside.txt", O_RDONLY), "open through up2 -> up -> ..");
    symlink("../up", "/sandbox/sub/chain");
    attempt(open("/sandbox/sub/chain/outside.txt", O_RDONLY), "open through sub/chain -> ../up -> ..");

    /* wasi-libc's current directory cannot leave either. */
    attempt(chdir("/sandbox/.."), "chdir /sandbox/..");
    attempt(chdir("/sandbox/up"), "chdir through up");

    printf("attempts=%d escaped=%d\n", attempts, escaped);
    return escaped != 0;
}
