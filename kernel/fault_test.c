/*
 * fault_test.c: provoke a chosen CPU exception in kernel mode.
 *
 * The tests boot with fault=ud2 (or gp, pf) and expect the panic report to
 * name the exception and to symbolise RIP to the function below that
 * faulted: each fault sits in its own non-inlined function, called through
 * one more frame, so the backtrace has something to show as well.
 */
#include "kernel/fault_test.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include <stdint.h>

CMDLINE_OPTION("fault", "provoke a kernel fault after boot: ud2 (Invalid Opcode), "
			"gp (General Protection), pf (Page Fault), null (Page Fault at 0), "
			"df (Double Fault: a push onto an unmapped stack)");

/* Unmapped but canonical: PML4 slot 288 is never populated by the boot
 * page tables, so a load here is a not-present page fault with CR2 = it. */
#define FAULT_TEST_UNMAPPED 0xffff900000000000ull
/* The kmalloc poison pattern read back as a pointer: non-canonical, so a
 * load through it is a #GP, as a use-after-free would be. */
#define FAULT_TEST_NONCANONICAL 0x6b6b6b6b6b6b6b6bull

__attribute__((noipa)) static void fault_test_ud2(void)
{
	asm volatile("ud2");
}

__attribute__((noipa)) static uint64_t fault_test_gp(void)
{
	return *(volatile uint64_t *)FAULT_TEST_NONCANONICAL;
}

__attribute__((noipa)) static uint64_t fault_test_pf(void)
{
	return *(volatile uint64_t *)FAULT_TEST_UNMAPPED;
}

__attribute__((noipa)) static uint64_t fault_test_null(void)
{
	/* Page 0 is unmapped on purpose (boot.S): NULL must fault. */
	return *(volatile uint64_t *)0;
}

__attribute__((noipa, noreturn)) static void fault_test_df(void)
{
	/* What a kernel stack overflow into an unmapped guard page does: the
	 * push faults (#PF), delivering the #PF needs the same stack, so the
	 * CPU raises #DF, which runs on its own IST stack and can report. */
	asm volatile("movq %0, %%rsp\n\t"
		     "pushq $0"
		     :
		     : "r"(FAULT_TEST_UNMAPPED + 0x1000)
		     : "memory");
	__builtin_unreachable();
}

__attribute__((noipa)) static void fault_test_provoke(const char *which)
{
	printk("fault_test: provoking '%s'\n", which);
	if (strcmp(which, "ud2") == 0)
		fault_test_ud2();
	else if (strcmp(which, "gp") == 0)
		fault_test_gp();
	else if (strcmp(which, "pf") == 0)
		fault_test_pf();
	else if (strcmp(which, "null") == 0)
		fault_test_null();
	else if (strcmp(which, "df") == 0)
		fault_test_df();
	else
		panic("fault_test: unknown fault '%s' (want ud2, gp, pf, null or df)", which);
	/* Only reached if the CPU did not fault: that is a failure too. */
	panic("fault_test: '%s' did not fault", which);
}

void fault_test_run(void)
{
	char which[16];
	if (cmdline_get("fault", which, sizeof which))
		fault_test_provoke(which);
}
