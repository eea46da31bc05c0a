/* Files and directories in the preopened directory /sandbox: create, write, read, seek,
 * append, truncate, positional I/O, readdir, rename, unlink, mkdir/rmdir, symlinks, hard
 * links, timestamps, and the errors the host gives for the usual mistakes. The test checks the
 * host directory afterwards for what the program says it left there. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common.h"

static int cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Prints the sorted names in DIR, `.` and `..` included. */
static void list(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) { printf("FAIL: opendir %s (%s)\n", dir, ename(errno)); return; }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("%s:", dir);
    for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
}

/* Expects CALL to fail with errno E. */
#define FAILS(call, e, what)                                                   \
    do {                                                                       \
        errno = 0;                                                             \
        int r_ = (call);                                                       \
        if (r_ < 0 && errno == (e)) printf("ok: %s fails with %s\n", what, #e); \
        else printf("FAIL: %s: returned %d, %s\n", what, r_, ename(errno));   \
    } while (0)

int main(void) {
    /* Create and write with stdio, read it back. */
    FILE *f = fopen("/sandbox/a.txt", "w");
    CHECK(f && fputs("hello, world\n", f) >= 0 && fclose(f) == 0, "create a.txt");
    char line[64] = {0};
    f = fopen("/sandbox/a.txt", "r");
    CHECK(f && fgets(line, sizeof line, f) && fclose(f) == 0, "read a.txt");
    printf("read: %s", line);

    /* Seek and read. */
    int fd = open("/sandbox/a.txt", O_RDWR);
    char buf[64] = {0};
    CHECK(lseek(fd, 7, SEEK_SET) == 7 && read(fd, buf, 5) == 5, "seek to 7 and read 5");
    printf("at 7: %s\n", buf);
    printf("tell: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("end-6: %lld\n", (long long)lseek(fd, -6, SEEK_END));
    FAILS((int)lseek(fd, -100, SEEK_CUR), EINVAL, "seek before the start");
    close(fd);

    /* Append. */
    fd = open("/sandbox/a.txt", O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && write(fd, "appended\n", 9) == 9 && close(fd) == 0, "append to a.txt");
    struct stat st;
    CHECK(stat("/sandbox/a.txt", &st) == 0 && S_ISREG(st.st_mode), "stat a.txt");
    printf("a.txt size: %lld\n", (long long)st.st_size);
    fd = open("/sandbox/a.txt", O_WRONLY | O_APPEND);
    CHECK((fcntl(fd, F_GETFL) & O_APPEND) && close(fd) == 0, "O_APPEND shows in F_GETFL");

    /* Truncate, extend, positional writes and reads. */
    fd = open("/sandbox/b.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(write(fd, "0123456789", 10) == 10, "write b.bin");
    CHECK(ftruncate(fd, 4) == 0, "ftruncate to 4");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 4, "size is 4");
    CHECK(ftruncate(fd, 8) == 0, "ftruncate to 8");
    CHECK(pwrite(fd, "XY", 2, 5) == 2, "pwrite XY at 5");
    CHECK(lseek(fd, 0, SEEK_CUR) == 10, "pwrite leaves the position alone");
    memset(buf, 0, sizeof buf);
    CHECK(pread(fd, buf, 16, 0) == 8, "pread the 8 bytes");
    printf("b.bin:");
    for (int i = 0; i < 8; i++) printf(" %02x", (unsigned char)buf[i]);
    printf("\n");
    CHECK(fsync(fd) == 0 && fdatasync(fd) == 0, "fsync and fdatasync");
    close(fd);
    CHECK(truncate("/sandbox/b.bin", 7) == 0, "truncate by path to 7");

    /* Directories. */
    CHECK(mkdir("/sandbox/dir", 0755) == 0, "mkdir dir");
    CHECK(mkdir("/sandbox/dir/sub", 0755) == 0, "mkdir dir/sub");
    close(open("/sandbox/dir/one.txt", O_WRONLY | O_CREAT, 0644));
    close(open("/sandbox/dir/two.txt", O_WRONLY | O_CREAT, 0644));
    list("/sandbox/dir");
    DIR *d = opendir("/sandbox/dir");
    struct dirent *e;
    int subdir = 0, regular = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, "sub")) subdir = e->d_type == DT_DIR;
        if (!strcmp(e->d_name, "one.txt")) regular = e->d_type == DT_REG;
    }
    closedir(d);
    CHECK(subdir && regular, "readdir reports entry types");
    CHECK(rename("/sandbox/dir/one.txt", "/sandbox/dir/uno.txt") == 0, "rename one.txt to uno.txt");
    FAILS(stat("/sandbox/dir/one.txt", &st), ENOENT, "stat the old name");
    CHECK(unlink("/sandbox/dir/two.txt") == 0, "unlink two.txt");
    FAILS(unlink("/sandbox/dir/two.txt"), ENOENT, "unlink it again");
    FAILS(rmdir("/sandbox/dir"), ENOTEMPTY, "rmdir a non-empty directory");
    CHECK(rmdir("/sandbox/dir/sub") == 0, "rmdir dir/sub");
    list("/sandbox/dir");

    /* Relative paths, through wasi-libc's current directory. */
    CHECK(chdir("/sandbox/dir") == 0, "chdir to /sandbox/dir");
    f = fopen("rel.txt", "w");
    CHECK(f && fputs("relative\n", f) >= 0 && fclose(f) == 0, "create rel.txt by a relative path");
    CHECK(stat("../a.txt", &st) == 0, "stat ../a.txt from dir");
    CHECK(chdir("/sandbox") == 0, "chdir back");

    /* Symbolic links. */
    CHECK(symlink("a.txt", "/sandbox/link") == 0, "symlink link -> a.txt");
    memset(buf, 0, sizeof buf);
    CHECK(readlink("/sandbox/link", buf, sizeof buf) == 5, "readlink link");
    printf("link -> %s\n", buf);
    CHECK(lstat("/sandbox/link", &st) == 0 && S_ISLNK(st.st_mode), "lstat sees a symlink");
    CHECK(stat("/sandbox/link", &st) == 0 && S_ISREG(st.st_mode), "stat follows it");
    f = fopen("/sandbox/link", "r");
    memset(line, 0, sizeof line);
    CHECK(f && fgets(line, sizeof line, f) && fclose(f) == 0, "read through the symlink");
    printf("via link: %s", line);
    FAILS(open("/sandbox/link", O_RDONLY | O_NOFOLLOW), ELOOP, "O_NOFOLLOW on a symlink");
    CHECK(symlink("dir", "/sandbox/dirlink") == 0, "symlink dirlink -> dir");
    list("/sandbox/dirlink");
    CHECK(unlink("/sandbox/dirlink") == 0, "unlink dirlink");
    CHECK(symlink("nowhere", "/sandbox/dangling") == 0, "symlink dangling -> nowhere");
    FAILS(stat("/sandbox/dangling", &st), ENOENT, "stat a dangling symlink");
    CHECK(unlink("/sandbox/dangling") == 0, "unlink dangling");

    /* Hard links. */
    CHECK(link("/sandbox/a.txt", "/sandbox/hard.txt") == 0, "link hard.txt to a.txt");
    CHECK(stat("/sandbox/a.txt", &st) == 0 && st.st_nlink == 2, "a.txt has two links");

    /* Timestamps. */
    struct timeval tv[2] = {{1000000000, 0}, {1234567890, 500000}};
    CHECK(utimes("/sandbox/b.bin", tv) == 0, "utimes b.bin");
    CHECK(stat("/sandbox/b.bin", &st) == 0 && st.st_mtim.tv_sec == 1234567890 &&
              st.st_mtim.tv_nsec == 500000000 && st.st_atim.tv_sec == 1000000000,
          "stat shows the new times");
    /* (Debian's wasi-libc headers define UTIME_NOW and UTIME_OMIT twice, differently: the
     * in-process tests cover those through fd_filestat_set_times directly.) */
    struct timespec times[2] = {{1000000000, 0}, {1300000000, 250}};
    fd = open("/sandbox/b.bin", O_RDONLY);
    CHECK(futimens(fd, times) == 0, "futimens on a read-only descriptor");
    CHECK(fstat(fd, &st) == 0 && st.st_atim.tv_sec == 1000000000 && st.st_mtim.tv_sec == 1300000000 &&
              st.st_mtim.tv_nsec == 250,
          "fstat shows them");
    close(fd);

    /* Mistakes. */
    FAILS(open("/sandbox/missing.txt", O_RDONLY), ENOENT, "open a missing file");
    FAILS(mkdir("/sandbox/dir", 0755), EEXIST, "mkdir an existing directory");
    FAILS(open("/sandbox/a.txt", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST, "O_EXCL on an existing file");
    FAILS(open("/sandbox/dir", O_WRONLY), EISDIR, "open a directory for writing");
    FAILS(rmdir("/sandbox/a.txt"), ENOTDIR, "rmdir a file");
    FAILS(open("/sandbox/a.txt/x", O_RDONLY), ENOTDIR, "a file used as a directory");
    fd = open("/sandbox/dir", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0 && close(fd) == 0, "open a directory read-only");
    fd = open("/sandbox/a.txt", O_RDONLY);
    FAILS((int)write(fd, "x", 1), EBADF, "write to a read-only descriptor");
    close(fd);
    FAILS(close(fd), EBADF, "close it twice");

    /* What the test finds on the host afterwards. */
    printf("left: a.txt hard.txt b.bin dir/uno.txt dir/rel.txt link\n");
    return 0;
}
