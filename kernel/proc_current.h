/*
 * proc_current.h: __set_proc_current(), the one place a core's cur_proc
 * changes (Akaros's name for it).
 *
 * cur_proc is whose address space the core has loaded, and it holds a
 * counted ref (PROC_REF_CUR_PROC). Three paths switch it, each getting
 * the new ref its own way:
 *   proc_set_cur_proc()  takes a new ref          (proc_core.c)
 *   restart_kthread()    hands over the kthread's  (kthread.c)
 *   __abandon_core()     loads no process: NULL    (proc_core.c)
 * and the switch itself is the same for all three, in this order: load
 * the new page tables, trace the change, set cur_proc, and only then drop
 * the old process's ref, which may free it and must not free the page
 * tables the core still runs on.
 *
 * It is inlined on purpose: the kref_put it makes records its caller as
 * the call site (the trace names restart_kthread or __abandon_core as the
 * function that dropped the ref, which is what the labs ask about).
 */
#ifndef KERNEL_PROC_CURRENT_H
#define KERNEL_PROC_CURRENT_H

#include "kernel/percpu.h"
#include "kernel/proc.h"
#include "kernel/arch/x86_64/proc_arch.h"
#include "trace/trace.h"

/* p carries a PROC_REF_CUR_PROC ref for the core already (or is NULL). */
static inline __attribute__((always_inline)) void __set_proc_current(struct proc *p)
{
	struct per_cpu_info *pcpui = this_cpu();
	struct proc *old = pcpui->cur_proc;

	if (p)
		proc_arch_load_cr3(p->cr3, p->pid);
	else
		proc_arch_load_cr3(proc_arch_boot_cr3(), 0);
	trace_cur_proc(old ? old->pid : 0, p ? p->pid : 0);
	pcpui->cur_proc = p;
	if (old)
		proc_decref(old, PROC_REF_CUR_PROC);
}

#endif
