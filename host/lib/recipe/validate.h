/* SPDX-License-Identifier: MIT */
/*
 * Value checks shared by the C API and the JSON loader (those the agent also
 * applies are in shared/checks.h, included here). Each returns NULL
 * when the value is acceptable, else a static phrase saying what was
 * expected (callers prefix the location and append the value).
 */
#ifndef TDXHOST_RECIPE_VALIDATE_H
#define TDXHOST_RECIPE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "checks.h"

const char *check_profile_name(const char *s);
const char *check_image_name(const char *s);
const char *check_service_name(const char *s);   /* without the .service suffix */
const char *check_unit_name(const char *s);      /* with a unit type suffix */
const char *check_build_name(const char *s);
const char *check_repo_name(const char *s);
const char *check_package(const char *s);        /* name[/suite|=version] */
const char *check_release(const char *s);
const char *check_url(const char *s);
const char *check_sha256(const char *s);
const char *check_uuid(const char *s);
const char *check_firewall_rule(const char *s);
const char *check_size(const char *s);
const char *check_template_var(const char *s);
const char *check_image_version(const char *s);
const char *check_env_assignment(const char *s); /* KEY=VALUE, KEY a shell name */
const char *check_toolchain_version(const char *s);
/* A value written on one line of an INI-style file: no newline, no control
 * characters, no trailing backslash. */
const char *check_line_value(const char *s);
/* A value for mkosi.conf, which treats '#' as a comment anywhere in a line. */
const char *check_mkosi_value(const char *s);
/* A unit section key. */
const char *check_unit_key(const char *s);

/* Returns the matching index in a NULL-terminated list, or -1. */
int string_index(const char *s, const char *const *list);

#endif
