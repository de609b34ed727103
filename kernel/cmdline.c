/*
 * cmdline.c: find the command line in the boot loader's information and
 * answer questions about it.
 *
 * The line is copied into a static buffer at boot, because the multiboot
 * information lives in memory the page allocator will later hand out.
 */
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"

#define MB1_BOOT_MAGIC 0x2badb002u
#define MB2_BOOT_MAGIC 0x36d76289u

/* Multiboot1 info: flags bit 2 = cmdline valid, bit 9 = loader name valid. */
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_LOADER_NAME (1u << 9)
#define MB1_OFF_FLAGS 0
#define MB1_OFF_CMDLINE 16
#define MB1_OFF_LOADER_NAME 64

/* Multiboot2 info: u32 total_size, u32 reserved, then 8-byte-aligned tags
 * of (u32 type, u32 size). */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER_NAME 2

/* The boot page tables map all of the first 4 GiB here (boot.S). */
#define BOOT_PHYS_MAP_BASE 0xffff800000000000ull

#define CMDLINE_MAX 1024
#define LOADER_MAX 64

static char cmdline[CMDLINE_MAX];
static char loader[LOADER_MAX];

static const void *boot_p2v(uint64_t pa)
{
	return (const void *)(BOOT_PHYS_MAP_BASE + pa);
}

static uint32_t rd32(uint64_t pa)
{
	return *(const volatile uint32_t *)boot_p2v(pa);
}

static void parse_mb1(uint64_t mbi)
{
	uint32_t flags = rd32(mbi + MB1_OFF_FLAGS);
	if (flags & MB1_INFO_CMDLINE)
		strlcpy(cmdline, boot_p2v(rd32(mbi + MB1_OFF_CMDLINE)), sizeof cmdline);
	if (flags & MB1_INFO_LOADER_NAME)
		strlcpy(loader, boot_p2v(rd32(mbi + MB1_OFF_LOADER_NAME)), sizeof loader);

	/* QEMU's -kernel puts the kernel's file name first ("path args"),
	 * unlike GRUB: drop that word so the line holds only options. */
	if (strncmp(loader, "qemu", 4) == 0) {
		const char *sp = strchr(cmdline, ' ');
		if (sp)
			memmove(cmdline, sp + 1, strlen(sp + 1) + 1);
		else
			cmdline[0] = '\0';
	}
}

static void parse_mb2(uint64_t mbi)
{
	uint32_t total = rd32(mbi);
	uint64_t p = mbi + 8, end = mbi + total;
	while (p + 8 <= end) {
		uint32_t type = rd32(p), size = rd32(p + 4);
		if (type == MB2_TAG_END || size < 8)
			break;
		/* Both tags hold a NUL-terminated string after the header. */
		if (type == MB2_TAG_CMDLINE)
			strlcpy(cmdline, boot_p2v(p + 8), sizeof cmdline);
		else if (type == MB2_TAG_LOADER_NAME)
			strlcpy(loader, boot_p2v(p + 8), sizeof loader);
		p += (size + 7) & ~7u;
	}
}

void cmdline_init(uint32_t magic, uint64_t mbi_phys)
{
	if (magic == MB1_BOOT_MAGIC)
		parse_mb1(mbi_phys);
	else if (magic == MB2_BOOT_MAGIC)
		parse_mb2(mbi_phys);
	else
		printk("cmdline: unknown boot magic %x; no command line\n", magic);
}

const char *cmdline_raw(void)
{
	return cmdline;
}

const char *cmdline_loader(void)
{
	return loader;
}

/* Walk the words: for each, call fn with the word's name (length nlen)
 * and its value (NULL for a bare word, else vlen bytes after '='). Stops
 * when fn returns true, and returns that. */
typedef bool (*word_fn)(const char *name, size_t nlen, const char *val,
			size_t vlen, void *arg);

static bool for_each_word(word_fn fn, void *arg)
{
	const char *p = cmdline;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return false;
		const char *w = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		const char *eq = w;
		while (eq < p && *eq != '=')
			eq++;
		const char *val = eq < p ? eq + 1 : NULL;
		size_t vlen = val ? (size_t)(p - val) : 0;
		if (fn(w, (size_t)(eq - w), val, vlen, arg))
			return true;
	}
}

struct lookup {
	const char *key;
	const char *val;
	size_t vlen;
	bool bare;
};

static bool match_key(const char *name, size_t nlen, const char *val,
		      size_t vlen, void *arg)
{
	struct lookup *l = arg;
	if (strlen(l->key) != nlen || strncmp(name, l->key, nlen) != 0)
		return false;
	l->val = val;
	l->vlen = vlen;
	l->bare = (val == NULL);
	return true;
}

static bool find(const char *key, struct lookup *l)
{
	l->key = key;
	l->val = NULL;
	l->vlen = 0;
	return for_each_word(match_key, l);
}

bool cmdline_get(const char *key, char *buf, size_t n)
{
	struct lookup l;
	if (!find(key, &l))
		return false;
	if (n) {
		size_t c = l.vlen < n - 1 ? l.vlen : n - 1;
		if (c)
			memcpy(buf, l.val, c);
		buf[c] = '\0';
	}
	return true;
}

bool cmdline_has(const char *key)
{
	struct lookup l;
	return find(key, &l);
}

uint64_t cmdline_u64(const char *key, uint64_t dflt)
{
	struct lookup l;
	if (!find(key, &l) || l.bare || l.vlen == 0)
		return dflt;

	const char *s = l.val, *end = l.val + l.vlen;
	unsigned base = 10;
	if (l.vlen > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	uint64_t v = 0;
	for (; s < end; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return dflt; /* "12abc" is a typo, not 12 */
		v = v * base + d;
	}
	return v;
}

static bool declared(const char *name, size_t nlen)
{
	for (const struct cmdline_option *o = __cmdline_opts_start;
	     o < __cmdline_opts_end; o++)
		if (strlen(o->name) == nlen && strncmp(o->name, name, nlen) == 0)
			return true;
	return false;
}

static bool report_if_unknown(const char *name, size_t nlen, const char *val,
			      size_t vlen, void *arg)
{
	(void)val;
	(void)vlen;
	if (!declared(name, nlen)) {
		char buf[64];
		size_t c = nlen < sizeof buf - 1 ? nlen : sizeof buf - 1;
		memcpy(buf, name, c);
		buf[c] = '\0';
		printk("cmdline: unknown option '%s'\n", buf);
		(*(int *)arg)++;
	}
	return false;
}

int cmdline_report_unknown(void)
{
	int n = 0;
	for_each_word(report_if_unknown, &n);
	return n;
}
