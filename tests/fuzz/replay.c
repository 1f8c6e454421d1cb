/* SPDX-License-Identifier: MIT */
/* Runs a fuzz target over files and directories of inputs, so a corpus is
 * an ordinary test when the project is built without libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    char *data = NULL;
    size_t size = 0;
    int r = read_file_bounded(path, 64 * 1024 * 1024, &data, &size);
    if (r < 0) {
        fprintf(stderr, "%s: cannot read: %s\n", path, strerror(-r));
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, size);
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    int failed = 0, count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) < 0) {
            perror(argv[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            struct dirent **ents;
            int n = scandir(argv[i], &ents, NULL, alphasort);
            for (int j = 0; j < n; j++) {
                char path[4096];
                if (ents[j]->d_name[0] != '.') {
                    snprintf(path, sizeof(path), "%s/%s", argv[i], ents[j]->d_name);
                    failed |= run_file(path);
                    count++;
                }
                free(ents[j]);
            }
            free(ents);
        } else {
            failed |= run_file(argv[i]);
            count++;
        }
    }
    printf("%d inputs replayed\n", count);
    return failed;
}
