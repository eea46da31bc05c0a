/* Writes a file and a line of stdout, then traps: what it wrote must survive. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    int fd = open("/sandbox/before-trap.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); return 1; }
    const char *text = "written before the trap\n";
    write(fd, text, strlen(text));
    /* A stdio file, flushed but not closed. */
    FILE *f = fopen("/sandbox/stdio-before-trap.txt", "w");
    fputs("flushed before the trap\n", f);
    fflush(f);
    printf("about to trap\n");
    fflush(stdout);
    __builtin_trap();
}
