/* Copies stdin to stdout in upper case, then reports on stderr how much it read. */
#include <ctype.h>
#include <stdio.h>

int main(void) {
    size_t bytes = 0, lines = 0;
    int c;
    while ((c = getchar()) != EOF) {
        bytes++;
        if (c == '\n') lines++;
        putchar(toupper(c));
    }
    fprintf(stderr, "read %zu bytes, %zu lines\n", bytes, lines);
    return 0;
}
