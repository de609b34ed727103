/*
 * chrome_json: the content of a pf_writer as Chrome JSON trace events
 * (for `make bench` and old viewers). See chrome_json.c.
 */
#ifndef TOOLS_PERFETTO_CHROME_JSON_H
#define TOOLS_PERFETTO_CHROME_JSON_H

#include <stdio.h>
#include <stdlib.h>
#include "tools/perfetto/pf_writer.h"

/* Sorts w's events and writes them to f. 0, or -1 on a write error. */
int chrome_json_write(struct pf_writer *w, FILE *f);

#endif
