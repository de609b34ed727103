/*
 * pf_strtab: see pf_strtab.h. Open addressing with linear probing, FNV-1a,
 * at most half full; iids are positions in insertion order, from 1.
 */
#include "tools/perfetto/pf_strtab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *pf_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fprintf(stderr, "trace2perfetto: out of memory (%zu bytes)\n", n);
		exit(2);
	}
	return q;
}

char *pf_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = pf_xrealloc(NULL, n);
	memcpy(d, s, n);
	return d;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;    /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void strtab_grow(struct strtab *t)
{
	uint32_t n = t->nslots ? t->nslots * 2 : 256;
	uint32_t *slot = calloc(n, sizeof(*slot));
	if (!slot) {
		fprintf(stderr, "trace2perfetto: out of memory\n");
		exit(2);
	}
	for (uint32_t i = 0; i < t->count; i++) {
		uint64_t h = hash_str(t->str[i]);
		while (slot[h & (n - 1)])
			h++;
		slot[h & (n - 1)] = i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->nslots = n;
}

uint32_t strtab_intern(struct strtab *t, const char *s)
{
	if ((t->count + 1) * 2 > t->nslots)
		strtab_grow(t);
	uint64_t h = hash_str(s);
	for (;; h++) {
		uint32_t iid = t->slot[h & (t->nslots - 1)];
		if (!iid)
			break;
		if (strcmp(t->str[iid - 1], s) == 0)
			return iid;
	}
	if (t->count == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->str = pf_xrealloc(t->str, t->cap * sizeof(*t->str));
		t->emitted = pf_xrealloc(t->emitted, t->cap * sizeof(*t->emitted));
	}
	t->str[t->count] = pf_xstrdup(s);
	t->emitted[t->count] = false;
	t->count++;
	t->slot[h & (t->nslots - 1)] = t->count;
	return t->count;
}

void strtab_free(struct strtab *t)
{
	for (uint32_t i = 0; i < t->count; i++)
		free(t->str[i]);
	free(t->str);
	free(t->slot);
	free(t->emitted);
}
