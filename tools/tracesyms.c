/*
 * tracesyms.c: kernel addresses to "symbol+0xoff" for KSYM fields, and the
 * kernel's build id, both read from build/kernel.elf with libelf.
 *
 * The build id is the one trace_init computes in the guest: FNV-1a over
 * the bytes of the kernel text [__text_start, __text_end). Comparing the
 * two tells whether the ELF given to tracecat is the kernel that ran, so
 * the symbols it prints can be trusted.
 */
#include "tools/tracelib.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tl_sym {
	uint64_t addr, size;
	char *name;
};

struct tl_syms {
	struct tl_sym *sym;
	size_t n;
	char build_id[TRACE_BUILD_ID_BYTES];
};

static int sym_order(const void *a, const void *b)
{
	const struct tl_sym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* At one address prefer the sized symbol, then the name, for stable output. */
	if ((x->size != 0) != (y->size != 0))
		return x->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* FNV-1a of the file bytes backing [start, end) through the PT_LOAD headers. */
static int text_build_id(Elf *elf, int fd, uint64_t start, uint64_t end, char *out, size_t n)
{
	size_t nph;
	uint64_t h = TRACE_FNV_INIT;

	if (end <= start || elf_getphdrnum(elf, &nph))
		return -1;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (start < ph.p_vaddr || end > ph.p_vaddr + ph.p_filesz)
			continue;
		size_t len = (size_t)(end - start);
		uint8_t *buf = malloc(len);
		if (!buf)
			return -1;
		ssize_t got = pread(fd, buf, len, (off_t)(ph.p_offset + (start - ph.p_vaddr)));
		if (got == (ssize_t)len)
			h = trace_fnv1a(h, buf, len);
		free(buf);
		if (got != (ssize_t)len)
			return -1;
		snprintf(out, n, "%016" PRIx64, h);
		return 0;
	}
	return -1;
}

struct tl_syms *tl_syms_open(const char *elf_path, char *err, size_t errlen)
{
	struct tl_syms *s = calloc(1, sizeof(*s));
	size_t cap = 0;
	uint64_t text_start = 0, text_end = 0;
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	int fd = -1;

	if (!s)
		goto fail_msg;
	if (elf_version(EV_CURRENT) == EV_NONE)
		goto fail_msg;
	fd = open(elf_path, O_RDONLY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", elf_path, strerror(errno));
		goto fail;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		snprintf(err, errlen, "%s: not an ELF file", elf_path);
		goto fail;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t count = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; data && i < count; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym))
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !*name || sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS)
				continue;
			if (!strcmp(name, "__text_start"))
				text_start = sym.st_value;
			if (!strcmp(name, "__text_end"))
				text_end = sym.st_value;
			int type = GELF_ST_TYPE(sym.st_info);
			if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE)
				continue;
			if (s->n == cap) {
				cap = cap ? cap * 2 : 1024;
				struct tl_sym *ns = realloc(s->sym, cap * sizeof(*ns));
				if (!ns)
					goto fail_msg;
				s->sym = ns;
			}
			s->sym[s->n].addr = sym.st_value;
			s->sym[s->n].size = sym.st_size;
			s->sym[s->n].name = strdup(name);
			if (!s->sym[s->n].name)
				goto fail_msg;
			s->n++;
		}
	}
	if (!s->n) {
		snprintf(err, errlen, "%s: no symbol table", elf_path);
		goto fail;
	}
	qsort(s->sym, s->n, sizeof(*s->sym), sym_order);
	if (text_build_id(elf, fd, text_start, text_end, s->build_id, sizeof(s->build_id)))
		s->build_id[0] = '\0';
	elf_end(elf);
	close(fd);
	return s;

fail_msg:
	snprintf(err, errlen, "%s: out of memory or libelf failure", elf_path);
fail:
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	tl_syms_close(s);
	return NULL;
}

void tl_syms_close(struct tl_syms *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->sym[i].name);
	free(s->sym);
	free(s);
}

int tl_syms_lookup(const struct tl_syms *s, uint64_t addr, char *buf, size_t n)
{
	size_t lo = 0, hi = s ? s->n : 0;

	/* The last symbol starting at or below addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->sym[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	/* Among equal addresses the sized symbol sorts first: step back to it. */
	size_t i = lo - 1;
	while (i > 0 && s->sym[i - 1].addr == s->sym[i].addr)
		i--;
	const struct tl_sym *sym = &s->sym[i];
	uint64_t off = addr - sym->addr;
	/* A sized symbol covers only its size; an unsized one up to the next symbol. */
	if (sym->size && off >= sym->size)
		return 0;
	if (!sym->size && lo == s->n)
		return 0;
	if (off)
		snprintf(buf, n, "%s+0x%" PRIx64, sym->name, off);
	else
		snprintf(buf, n, "%s", sym->name);
	return 1;
}

const char *tl_syms_build_id(const struct tl_syms *s)
{
	return s ? s->build_id : "";
}
