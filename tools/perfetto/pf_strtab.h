/*
 * pf_strtab: the interning tables of pf_writer, one per iid space of
 * Perfetto's InternedData (event names, categories, annotation names and
 * string values): a string's iid is stable and non-zero, and `emitted`
 * says whether a packet has already carried it. Also the allocation
 * helpers the writer shares (out of memory is exit 2, with a message).
 */
#ifndef TOOLS_PERFETTO_PF_STRTAB_H
#define TOOLS_PERFETTO_PF_STRTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One open-addressing hash table per iid space. Zero-initialised is empty. */
struct strtab {
	char **str;             /* str[iid - 1] */
	uint32_t count, cap;
	uint32_t *slot;         /* hash slots hold iids; 0 = empty */
	uint32_t nslots;        /* power of two */
	bool *emitted;          /* emitted[iid - 1]: already in an InternedData */
};

/* The iid of s (non-zero), added (copied, not yet emitted) if new. */
uint32_t strtab_intern(struct strtab *t, const char *s);
void strtab_free(struct strtab *t);

void *pf_xrealloc(void *p, size_t n);
char *pf_xstrdup(const char *s);

#endif
