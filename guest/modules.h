/* SPDX-License-Identifier: MIT */
/* Kernel modules for init mode: loaded from files with finit_module(2),
 * in the order given (the image builder resolved the dependencies). */
#ifndef TDX_AGENT_MODULES_H
#define TDX_AGENT_MODULES_H

/* Loads every module of the strv paths; one the kernel already has
 * (EEXIST) is fine. Returns 0, or the negative errno of the first that
 * fails after logging its file and the reason. */
int modules_load(char *const *paths);

#endif
