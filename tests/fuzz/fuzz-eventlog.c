/* SPDX-License-Identifier: MIT */
/* libFuzzer target: TCG2 crypto-agile event logs as CC and TPM logs, replay,
 * JSON rendering and comparison; the first bytes also as a CCEL table. */
#include <stdint.h>

#include "measure/eventlog.h"
#include "tdxhost/tdxhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int kinds[] = { TDX_UNSET, TDX_EVENTLOG_TPM };
    uint64_t laml;

    ccel_table_parse(data, size, "fuzz.table", &laml, NULL);
    for (size_t k = 0; k < 2; k++) {
        tdx_eventlog *log = NULL;
        tdx_measurements *m = NULL;
        char *text = NULL, *report = NULL;

        if (tdx_eventlog_parse(&log, "fuzz.log", data, size, kinds[k], NULL) < 0)
            continue;
        for (size_t i = 0; i < tdx_eventlog_count(log); i++) {
            tdx_eventlog_event e;
            tdx_eventlog_event_get(log, i, &e);
        }
        if (tdx_eventlog_replay(log, &m, NULL) == 0) {
            if (tdx_measurements_serialize(m, TDX_FORMAT_JSON, NULL, &text, NULL, NULL) == 0)
                tdx_free(text);
            if (tdx_measurements_compare(m, m, &report, NULL) >= 0)
                tdx_free(report);
        }
        tdx_measurements_free(m);
        tdx_eventlog_free(log);
    }
    return 0;
}
