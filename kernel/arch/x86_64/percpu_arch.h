/*
 * percpu_arch.h: the two instructions behind kernel/percpu.h.
 *
 * Each CPU's struct per_cpu_info is found through the GS segment base
 * (MSR_GS_BASE). Its first field points at itself, so one %gs-relative load
 * turns "this CPU's block" into an ordinary pointer that C can use.
 */
#ifndef KERNEL_ARCH_X86_64_PERCPU_ARCH_H
#define KERNEL_ARCH_X86_64_PERCPU_ARCH_H

#include <stdint.h>
#include "kernel/arch/x86_64/arch.h"

/* The quadword at %gs:0: the `self` field of this CPU's per_cpu_info. */
static inline void *gs_read_self(void)
{
	void *p;
	asm volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/* Point GS at this CPU's block. The user-mode GS base (swapgs) lives in
 * MSR_KERNEL_GS_BASE and is the syscall/trap layer's business. */
static inline void gs_set_base(void *base)
{
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)base);
}

#endif
