/* SPDX-License-Identifier: MIT */
/* Helpers shared by the Check suites. */
#ifndef TDX_TESTS_HELPERS_H
#define TDX_TESTS_HELPERS_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tdxhost/tdxhost.h"

/* Source tree root (TDX_SOURCE_ROOT from meson, else "."). */
const char *src_root(void);

/* "<source root>/<rel>" in a static rotating buffer. */
const char *src_path(const char *rel);

/* The project's real test data (quotes, collateral, event logs, PE files,
 * ACPI tables), kept in tests/data/testdata with its SOURCES.md. */
#define TESTDATA_DIR "tests/data/testdata/"
#define TESTDATA(rel) src_path(TESTDATA_DIR rel)
/* The same for a path computed at run time (rotating buffer as src_path). */
const char *testdata_path(const char *rel);

/* A fresh temporary directory (removed by tmpdir_remove). Aborts on failure. */
char *tmpdir_new(void);
void tmpdir_remove(char *dir);

/* Writes a file below dir (creating parents). */
void write_text(const char *dir, const char *rel, const char *text);

/* Reads a whole file; NULL if it does not exist. */
char *read_text(const char *path, size_t *len);

/* Loads a recipe from a JSON string; relative paths resolve against base_dir
 * (NULL: the tests/data directory). Returns the image or NULL with err set. */
tdx_image *load_json(const char *json, const char *base_dir, tdx_error *err);

/* Loads json and expects failure whose message contains every given
 * fragment (NULL-terminated). */
void expect_load_error(const char *json, ...);

/* Runs /bin/sh -c script and returns its stdout (heap). */
char *sh_output(const char *script);

/* Compares two directory trees byte for byte (contents, modes, symlink
 * targets, mtimes). Returns NULL when identical, else a heap description. */
char *tree_diff(const char *a, const char *b);

/* True when a program is found in PATH. */
bool have_program(const char *name);

/* Starts tests/scripts/httpd.py serving root on 127.0.0.1 (log: one line
 * per request, may be NULL); returns its pid and sets *port. */
pid_t http_server_start(const char *root, const char *log, int *port);
void http_server_stop(pid_t pid);

#define ck_assert_contains(haystack, needle)                                              \
    ck_assert_msg(strstr((haystack), (needle)) != NULL, "expected \"%s\" to contain \"%s\"", \
                  (haystack), (needle))

/* Runs the suites and returns the process exit status. */
int run_suite(Suite *s);

#endif
