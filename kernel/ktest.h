/*
 * ktest.h: in-kernel self-tests, in the manner of Linux's KUnit.
 *
 *     KTEST(page_alloc_zeroes) {
 *             char *p = page_alloc();
 *             KT_ASSERT(p != NULL);
 *             KT_EQ(p[0], 0);
 *             page_free(p);
 *     }
 *
 * Each KTEST lands in the linker section .ktests (kernel.ld), so a test is
 * registered by being written. `ktest=all` or `ktest=name1,name2` on the
 * command line runs them after boot, in source order (by file name, then
 * line), printing
 *     KTEST PASS <name>
 *     KTEST FAIL <name>: <file>:<line>: <why>
 *     KTEST SKIP <name>: needs <condition>
 * then `KTEST DONE <n> passed, <m> failed` (a skipped test is neither),
 * and exits the machine with success only if none failed.
 * tests/test_ktest.py turns each line into a pytest case.
 *
 * A failed KT_ASSERT or KT_EQ returns from the test at once, so it may be
 * used only in the test's own body (or in a helper that takes `kt` and
 * returns void, called as `helper(kt); if (kt->failed) return;`).
 */
#ifndef KERNEL_KTEST_H
#define KERNEL_KTEST_H

#include <stdbool.h>
#include <stdint.h>

struct ktest_ctx {
	bool failed;
	const char *skipped; /* why, when KT_SKIP_UNLESS stopped the test */
	char why[200];
};

struct ktest {
	const char *name;
	void (*fn)(struct ktest_ctx *kt);
	const char *file;
	int line;
};

/* Record a failure in kt (the first one wins) with a printf-style reason. */
void ktest_fail(struct ktest_ctx *kt, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The section holds pointers, not the descriptors themselves: pointers are
 * 8 bytes with 8-byte alignment, so the linker packs them into a plain
 * array, whatever alignment the compiler picks for a struct. */
#define KTEST(tname)                                                          \
	static void ktest_fn_##tname(struct ktest_ctx *kt);                   \
	static const struct ktest ktest_desc_##tname =                        \
		{ #tname, ktest_fn_##tname, __FILE__, __LINE__ };             \
	static const struct ktest *const ktest_ptr_##tname                    \
		__attribute__((used, section(".ktests"))) = &ktest_desc_##tname;  \
	static void ktest_fn_##tname(struct ktest_ctx *kt)

#define KT_ASSERT(cond)                                                       \
	do {                                                                  \
		if (!(cond)) {                                                \
			ktest_fail(kt, __FILE__, __LINE__, "%s", #cond);      \
			return;                                               \
		}                                                             \
	} while (0)

/* A test that cannot run on this machine (one core, say) says so and
 * counts as neither passed nor failed: `ktest=all` must pass on 1 CPU
 * without a multi-core test passing for nothing. */
#define KT_SKIP_UNLESS(cond)                                                  \
	do {                                                                  \
		if (!(cond)) {                                                \
			kt->skipped = "needs " #cond;                         \
			return;                                               \
		}                                                             \
	} while (0)

/* Compares as 64-bit integers (pointers included) and prints both values. */
#define KT_EQ(a, b)                                                           \
	do {                                                                  \
		uint64_t kt_a_ = (uint64_t)(a), kt_b_ = (uint64_t)(b);        \
		if (kt_a_ != kt_b_) {                                         \
			ktest_fail(kt, __FILE__, __LINE__,                    \
				   "%s == %s: 0x%llx != 0x%llx", #a, #b,      \
				   (unsigned long long)kt_a_,                 \
				   (unsigned long long)kt_b_);                \
			return;                                               \
		}                                                             \
	} while (0)

/* Run the tests the command line asks for, if any, then exit the machine;
 * returns only when no `ktest=` option was given. */
void ktest_run_if_requested(void);

#endif
