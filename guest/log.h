/* SPDX-License-Identifier: MIT */
/*
 * The agent's log: one line per message on stderr. Under systemd (stderr
 * connected to the journal, $JOURNAL_STREAM) each line carries its
 * priority as a "<N>" prefix; elsewhere "tdx-agent: LEVEL: ". Secrets and
 * request contents never go here.
 */
#ifndef TDX_AGENT_LOG_H
#define TDX_AGENT_LOG_H

#include "macro.h"

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARNING = 4, LOG_LVL_NOTICE = 5, LOG_LVL_INFO = 6,
                 LOG_LVL_DEBUG = 7 };

/* Messages above this level are dropped (default LOG_LVL_INFO). */
void log_set_max_level(enum log_level level);
/* Re-reads $JOURNAL_STREAM (tests change it). */
void log_setup(void);

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/*
 * For what clients cause (malformed frames, timeouts): a hostile host must
 * not be able to flood the journal, so at most a burst of these per
 * interval are written and the rest counted and reported later.
 */
void log_client(const char *fmt, ...) _printf_(1, 2);

#endif
