/* Checks that the peer list is present and non-empty; exit status says so. */
#include <stdio.h>

int main(int argc, char **argv)
{
    FILE *f;
    int c, lines = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s PEERS-FILE\n", argv[0]);
        return 2;
    }
    f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    while ((c = fgetc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    printf("healthcheck: %d peers configured\n", lines);
    return lines > 0 ? 0 : 1;
}
