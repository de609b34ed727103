/*
 * percpu.h: per-CPU state, reached through the GS base.
 *
 * Every CPU has one struct per_cpu_info in a static array indexed by its
 * core id (0 = the boot CPU, then the APs in the order smp.c starts them).
 * this_cpu() costs one %gs-relative load: the block's first field, `self`,
 * holds the block's own address.
 *
 * Code that uses this_cpu() across a point where it might move to another
 * core (a blocking call, or any point with interrupts on once there is
 * preemption) must read it again afterwards: the pointer names a CPU, not
 * a thread.
 */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/arch/x86_64/percpu_arch.h"
#include "kernel/kmsg.h"

struct proc;
struct kthread;
struct user_context;
struct guest_pcore;

#define MAX_CPUS 8

struct per_cpu_info {
	/* Must stay first: this_cpu() reads %gs:0. */
	struct per_cpu_info *self;
	/* Read by the SYSCALL entry before it has a stack (fixed offsets,
	 * kernel/arch/x86_64/syscall_entry.S): the kernel stack to switch to
	 * (TSS.RSP0's twin) and a slot for the user's RSP meanwhile. */
	uintptr_t syscall_kstack;
	uintptr_t syscall_user_rsp;

	/* ---- platform (kernel/percpu.c, smp.c, lapic.c, spinlock.c) ---- */
	uint32_t core_id;           /* index into the per-CPU array */
	uint32_t apic_id;           /* LAPIC ID, the target of an IPI */
	volatile bool online;       /* set by the CPU itself once it takes IPIs */
	volatile bool stopped;      /* set by the CPU as it halts for a panic */
	uint32_t locks_held;        /* spinlocks held by this CPU right now */
	volatile uint64_t timer_ticks; /* LAPIC timer interrupts taken here */
	uintptr_t boot_stack_top;   /* the stack this CPU came up on */

	/* ---- process model (kernel/proc.c, kmsg.c, kthread.c) ----
	 * Change cur_proc only through __set_proc_current (proc_current.h),
	 * owning_proc only in proc_core.c, cur_kthread only in kthread.c:
	 * each change is traced and moves a counted ref. */
	struct proc *cur_proc;      /* whose address space is loaded (ref) */
	struct proc *owning_proc;   /* who should run on this core (ref) */
	uint32_t owning_vcoreid;
	struct user_context *cur_ctx; /* owning_proc's context to resume */
	struct kthread *cur_kthread;  /* whose stack this core runs on */
	struct kmsg_queues kmsgs;     /* kernel/kmsg.h */

	/* ---- VMX (vmx/gpc.c) ----
	 * The GPC whose VMCS was left current here by vmx_unload_guest_pcore
	 * (Akaros's lazy unload): a weak pointer, never counted. Cleared by
	 * vmx_clear_vmcs() when the core leaves the process. */
	struct guest_pcore *gpc_to_clear_to;
} __attribute__((aligned(64)));

/* The blocks themselves; use per_cpu(i) rather than indexing. */
extern struct per_cpu_info per_cpu_infos[MAX_CPUS];

static inline struct per_cpu_info *this_cpu(void)
{
	return (struct per_cpu_info *)gs_read_self();
}

static inline uint32_t core_id(void)
{
	return this_cpu()->core_id;
}

static inline struct per_cpu_info *per_cpu(uint32_t core)
{
	return &per_cpu_infos[core];
}

/* CPUs that are running the kernel: the boot CPU plus every AP that came
 * online. Grows during smp_boot_aps() and never shrinks. */
uint32_t num_cores(void);

/* Boot CPU, first thing after the console: core 0, GS base set. */
void percpu_init_bsp(void);
/* An AP's first C code: claim block `core` and point GS at it. */
void percpu_init_ap(uint32_t core);
/* Called by smp.c as each AP comes online, in core-id order. */
void percpu_set_online_count(uint32_t n);

#endif
