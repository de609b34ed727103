/*
 * bugs.c: the bug-injection flags of kernel/bugs.def, parsed from `bugs=`.
 */
#include "kernel/bugs.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"

CMDLINE_OPTION("bugs", "bug-injection flags to put back, comma-separated (kernel/bugs.def)");

uint64_t bug_flags_set;

static const char *const bug_names[NR_BUG_FLAGS] = {
#define BUG(NAME, name, desc) [BUG_##NAME] = #name,
#include "kernel/bugs.def"
#undef BUG
};

static const char *const bug_descs[NR_BUG_FLAGS] = {
#define BUG(NAME, name, desc) [BUG_##NAME] = desc,
#include "kernel/bugs.def"
#undef BUG
};

const char *bug_name(enum bug_flag f)
{
	return f < NR_BUG_FLAGS ? bug_names[f] : "?";
}

const char *bug_description(enum bug_flag f)
{
	return f < NR_BUG_FLAGS ? bug_descs[f] : "?";
}

static void set_flag_by_name(const char *name, size_t len)
{
	for (int i = 0; i < NR_BUG_FLAGS; i++) {
		if (strlen(bug_names[i]) == len && !strncmp(bug_names[i], name, len)) {
			bug_flags_set |= 1ull << i;
			return;
		}
	}
	char buf[64];
	size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
	memcpy(buf, name, n);
	buf[n] = 0;
	panic("bugs=: unknown bug flag '%s' (see kernel/bugs.def)", buf);
}

void bugs_init(void)
{
	char val[256];

	if (!cmdline_get("bugs", val, sizeof(val)))
		return;
	const char *p = val;
	while (*p) {
		const char *start = p;
		while (*p && *p != ',')
			p++;
		if (p > start)
			set_flag_by_name(start, (size_t)(p - start));
		if (*p == ',')
			p++;
	}
}

void bugs_print_banner(void)
{
	if (!bug_flags_set) {
		printk("bugs: none\n");
		return;
	}
	printk("bugs:");
	for (int i = 0; i < NR_BUG_FLAGS; i++)
		if (bug_on((enum bug_flag)i))
			printk(" %s", bug_names[i]);
	printk("\n");
}
