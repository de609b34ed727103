/*
 * ktest.c: find the tests the command line names and run them.
 *
 * Tests run one after another on the boot CPU, with interrupts on and every
 * CPU online, so a test may send IPIs and wait for other cores.
 */
#include "kernel/ktest.h"
#include "kernel/cmdline.h"
#include "kernel/exit.h"
#include "kernel/printk.h"
#include "kernel/string.h"

CMDLINE_OPTION("ktest", "run in-kernel self-tests after boot: ktest=all or ktest=name1,name2");

extern const struct ktest *const __ktest_start[], *const __ktest_end[];

#define KTEST_ARG_MAX 512
#define KTEST_MAX 512

void ktest_fail(struct ktest_ctx *kt, const char *file, int line, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (kt->failed)
		return;
	kt->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(kt->why, sizeof kt->why, "%s:%d: %s", file, line, msg);
}

/* Is `name` one of the comma-separated words of list? */
static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		if (!comma)
			break;
		p = comma + 1;
	}
	return false;
}

/* The tests in source order. The section's order is the link order of
 * the files, but within a file the compiler may emit them in any order
 * (gcc reverses them), so they are sorted by file name and line. */
static const struct ktest *sorted[KTEST_MAX];
static size_t ntests;

static bool before(const struct ktest *a, const struct ktest *b)
{
	int c = strcmp(a->file, b->file);
	return c < 0 || (c == 0 && a->line < b->line);
}

static void sort_tests(void)
{
	ntests = 0;
	for (const struct ktest *const *t = __ktest_start; t < __ktest_end; t++) {
		if (ntests == KTEST_MAX)
			panic("ktest: more than %d tests; raise KTEST_MAX", KTEST_MAX);
		/* Insertion sort: a few hundred tests at most, once per boot. */
		size_t i = ntests++;
		while (i > 0 && before(*t, sorted[i - 1])) {
			sorted[i] = sorted[i - 1];
			i--;
		}
		sorted[i] = *t;
	}
}

static const struct ktest *find(const char *name, size_t len)
{
	for (size_t i = 0; i < ntests; i++)
		if (strlen(sorted[i]->name) == len && strncmp(sorted[i]->name, name, len) == 0)
			return sorted[i];
	return NULL;
}

void ktest_run_if_requested(void)
{
	char arg[KTEST_ARG_MAX];
	unsigned passed = 0, failed = 0;

	if (!cmdline_get("ktest", arg, sizeof arg))
		return;
	bool all = strcmp(arg, "all") == 0 || arg[0] == '\0';
	sort_tests();

	/* A misspelt name must not pass silently: it counts as a failure. */
	if (!all) {
		for (const char *p = arg; *p;) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			if (len && !find(p, len)) {
				char name[64];
				strlcpy(name, p, len + 1 < sizeof name ? len + 1 : sizeof name);
				printk("KTEST FAIL %s: no such test\n", name);
				failed++;
			}
			if (!comma)
				break;
			p = comma + 1;
		}
	}

	for (size_t i = 0; i < ntests; i++) {
		const struct ktest *t = sorted[i];
		if (!all && !in_list(arg, t->name))
			continue;
		struct ktest_ctx kt = { .failed = false, .skipped = NULL };
		t->fn(&kt);
		if (kt.failed) {
			printk("KTEST FAIL %s: %s\n", t->name, kt.why);
			failed++;
		} else if (kt.skipped) {
			printk("KTEST SKIP %s: %s\n", t->name, kt.skipped);
		} else {
			printk("KTEST PASS %s\n", t->name);
			passed++;
		}
	}
	printk("KTEST DONE %u passed, %u failed\n", passed, failed);
	machine_exit(failed ? EXIT_FAIL : EXIT_SUCCESS);
}
