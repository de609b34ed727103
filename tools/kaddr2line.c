/*
 * kaddr2line: see kaddr2line.h. A small cache keeps the tools fast: a trace
 * has millions of records but only a few hundred distinct call sites.
 */
#define _POSIX_C_SOURCE 200809L
#include "tools/kaddr2line.h"

#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	uint64_t addr;
	char *text;     /* full form */
	char *func;     /* function name, or NULL */
	int used;
};

struct kaddr2line {
	Dwfl *dwfl;
	struct entry *tab;      /* open addressing, power-of-two size */
	size_t size, count;
	char hexbuf[32];
};

static char *debuginfo_path;

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

struct kaddr2line *kaddr2line_open(const char *elf_path)
{
	struct kaddr2line *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->dwfl = dwfl_begin(&offline_callbacks);
	if (!k->dwfl) {
		fprintf(stderr, "kaddr2line: %s\n", dwfl_errmsg(-1));
		free(k);
		return NULL;
	}
	/* An ET_EXEC kernel is reported at its link addresses, so trace
	 * addresses can be looked up as they are. */
	if (!dwfl_report_offline(k->dwfl, "kernel", elf_path, -1)) {
		fprintf(stderr, "kaddr2line: cannot read %s: %s\n", elf_path,
			dwfl_errmsg(-1));
		dwfl_end(k->dwfl);
		free(k);
		return NULL;
	}
	dwfl_report_end(k->dwfl, NULL, NULL);
	k->size = 1024;
	k->tab = calloc(k->size, sizeof(*k->tab));
	if (!k->tab) {
		dwfl_end(k->dwfl);
		free(k);
		return NULL;
	}
	return k;
}

void kaddr2line_close(struct kaddr2line *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->size; i++) {
		free(k->tab[i].text);
		free(k->tab[i].func);
	}
	free(k->tab);
	dwfl_end(k->dwfl);
	free(k);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Strips the directories a build put in front of a source path, keeping
 * the repository-relative part when it can be recognised. */
static const char *short_path(const char *file)
{
	static const char *const roots[] = { "kernel/", "vmx/", "trace/", "tools/", NULL };
	const char *best = NULL;
	for (int i = 0; roots[i]; i++) {
		const char *p = strstr(file, roots[i]);
		if (p && (!best || p < best))
			best = p;
	}
	if (best)
		return best;
	const char *slash = strrchr(file, '/');
	return slash ? slash + 1 : file;
}

static void resolve(struct kaddr2line *k, struct entry *e)
{
	Dwfl_Module *mod = dwfl_addrmodule(k->dwfl, e->addr);
	const char *name = NULL;
	GElf_Off off = 0;
	GElf_Sym sym;
	char buf[512];

	if (mod)
		name = dwfl_module_addrinfo(mod, e->addr, &off, &sym, NULL, NULL, NULL);
	if (!name) {
		snprintf(buf, sizeof(buf), "0x%" PRIx64, e->addr);
		e->text = strdup(buf);
		return;
	}
	e->func = dup_or_null(name);
	int n = snprintf(buf, sizeof(buf), "%s+0x%" PRIx64, name, (uint64_t)off);

	/* Line of the call: the return address minus one, still inside the
	 * call instruction (unless the site is the function's first byte). */
	Dwarf_Addr look = off > 0 ? e->addr - 1 : e->addr;
	Dwfl_Line *line = dwfl_module_getsrc(mod, look);
	int lineno = 0;
	const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
	if (file && n > 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, " (%s:%d)", short_path(file), lineno);
	e->text = strdup(buf);
}

static struct entry *find(struct kaddr2line *k, uint64_t addr)
{
	if ((k->count + 1) * 2 > k->size) {
		size_t nsize = k->size * 2;
		struct entry *nt = calloc(nsize, sizeof(*nt));
		if (!nt)
			return NULL;
		for (size_t i = 0; i < k->size; i++) {
			if (!k->tab[i].used)
				continue;
			size_t j = (k->tab[i].addr * 0x9E3779B97F4A7C15ull) >> 20;
			while (nt[j & (nsize - 1)].used)
				j++;
			nt[j & (nsize - 1)] = k->tab[i];
		}
		free(k->tab);
		k->tab = nt;
		k->size = nsize;
	}
	size_t j = (addr * 0x9E3779B97F4A7C15ull) >> 20;
	for (;; j++) {
		struct entry *e = &k->tab[j & (k->size - 1)];
		if (e->used && e->addr == addr)
			return e;
		if (!e->used) {
			e->used = 1;
			e->addr = addr;
			k->count++;
			resolve(k, e);
			return e;
		}
	}
}

const char *kaddr2line_lookup(struct kaddr2line *k, uint64_t addr)
{
	struct entry *e = k ? find(k, addr) : NULL;
	if (e && e->text)
		return e->text;
	if (!k) {
		static char hex[32];
		snprintf(hex, sizeof(hex), "0x%" PRIx64, addr);
		return hex;
	}
	snprintf(k->hexbuf, sizeof(k->hexbuf), "0x%" PRIx64, addr);
	return k->hexbuf;
}

const char *kaddr2line_func(struct kaddr2line *k, uint64_t addr)
{
	struct entry *e = k ? find(k, addr) : NULL;
	return e ? e->func : NULL;
}
