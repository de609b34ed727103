/*
 * proc_core.c: a core's process state, Akaros style: who owns the core
 * (owning_proc), whose address space is loaded (cur_proc), and the paths
 * that change them: running a process (proc_run_s, __proc_startcore),
 * every return to user space (proc_restartcore), yielding and blocking
 * (proc_yield_core), leaving (clear_owning_proc, abandon_core) and idling
 * (smp_idle). Process lifetime (krefs, create, destroy, free) is proc.c.
 *
 * The rules (Akaros's process-internals.txt):
 *   owning_proc  a counted ref (OWNING). Cleared only by clear_owning_proc,
 *                which calls the arch hook __clear_owning_proc *before* the
 *                ref goes: the fixed kernel VMCLEARs the lingering VMCS there.
 *   cur_proc     a counted ref (CUR_PROC), changed lazily: it survives the
 *                owner's departure until another process is loaded or the
 *                core abandons it (abandon_core, also from an idle core).
 */
#include "kernel/proc.h"
#include "kernel/proc_current.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/kmsg.h"
#include "kernel/kthread.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/proc_arch.h"
#include "kernel/arch/x86_64/vectors.h"
#include "trace/trace.h"

/* Per core, the copy of the trapped user context (Akaros: actual_ctx): the
 * trap frame on the kernel stack may be abandoned, this may not. */
static struct user_context actual_ctx[MAX_CPUS];

struct user_context *core_actual_ctx(void)
{
	return &actual_ctx[core_id()];
}

/* ---- Cores ---------------------------------------------------------------- */

__attribute__((noinline)) void proc_set_cur_proc(struct proc *p)
{
	struct per_cpu_info *pcpui = this_cpu();
	struct proc *old = pcpui->cur_proc;

	if (old == p)
		return;
	proc_incref(p, PROC_REF_CUR_PROC);
	__set_proc_current(p);
}

static void set_owning_proc(struct proc *p, uint32_t vcoreid)
{
	struct per_cpu_info *pcpui = this_cpu();
	struct proc *old = pcpui->owning_proc;

	trace_owning_proc(old ? old->pid : 0, p ? p->pid : 0, vcoreid);
	pcpui->owning_proc = p;
	pcpui->owning_vcoreid = vcoreid;
}

/* The core stops owning its process. The arch hook runs first, while the
 * owning_proc ref still keeps the process (and its GPC) alive. */
__attribute__((noinline)) void clear_owning_proc(uint32_t coreid)
{
	struct per_cpu_info *pcpui = per_cpu(coreid);
	struct proc *p = pcpui->owning_proc;

	if (coreid != core_id())
		panic("clear_owning_proc: core %u from core %u", coreid, core_id());
	__clear_owning_proc(coreid);
	set_owning_proc(NULL, 0);
	pcpui->cur_ctx = NULL;
	if (p)
		proc_decref(p, PROC_REF_OWNING);
}

__attribute__((noinline)) void __abandon_core(void)
{
	struct per_cpu_info *pcpui = this_cpu();
	struct proc *old = pcpui->cur_proc;

	trace_abandon_core(old->pid);
	__abandon_core_arch();
	__set_proc_current(NULL);
}

/* Leave whatever address space is loaded: nobody owns this core now. */
__attribute__((noinline)) void abandon_core(void)
{
	if (this_cpu()->cur_proc)
		__abandon_core();
}

/*
 * The owning process leaves this core: its context goes back into the
 * proc. runnable_again: it was preempted or gave way (RUNNABLE_S, back on
 * the run queue); otherwise its syscall blocked (WAITING).
 */
__attribute__((noinline)) void proc_yield_core(bool runnable_again)
{
	struct per_cpu_info *pcpui = this_cpu();
	struct proc *p = pcpui->owning_proc;
	uint64_t flags;
	bool requeue = false;

	if (!p)
		return;
	flags = spin_lock_irqsave(&p->proc_lock);
	if (pcpui->cur_ctx)
		p->scp_ctx = *pcpui->cur_ctx;
	if (p->state == PROC_RUNNING_S) {
		__proc_set_state(p, runnable_again ? PROC_RUNNABLE_S : PROC_WAITING);
		requeue = runnable_again;
	}
	p->pcoreid = -1;
	spin_unlock_irqrestore(&p->proc_lock, flags);
	/* Our caller still holds a ref (cur_proc), so p outlives the put. */
	clear_owning_proc(core_id());
	if (requeue)
		sched_enqueue(p);
}

/* A blocked syscall finished: the process may run again (anywhere). */
void proc_wakeup(struct proc *p)
{
	uint64_t flags = spin_lock_irqsave(&p->proc_lock);
	bool ready = p->state == PROC_WAITING;

	if (ready)
		__proc_set_state(p, PROC_RUNNABLE_S);
	spin_unlock_irqrestore(&p->proc_lock, flags);
	if (ready)
		sched_enqueue(p);
}

/* Give this core to p (the scheduler's pick, holding an OWNING ref for it).
 * Returns only if p died in the meantime. */
void proc_run_s(struct proc *p)
{
	struct per_cpu_info *pcpui = this_cpu();
	struct user_context *ctx = core_actual_ctx();
	uint64_t flags = spin_lock_irqsave(&p->proc_lock);

	if (p->state != PROC_RUNNABLE_S) {
		spin_unlock_irqrestore(&p->proc_lock, flags);
		proc_decref(p, PROC_REF_OWNING);
		return;
	}
	__proc_set_state(p, PROC_RUNNING_S);
	p->pcoreid = core_id();
	set_owning_proc(p, 0);
	*ctx = p->scp_ctx;
	pcpui->cur_ctx = ctx;
	spin_unlock_irqrestore(&p->proc_lock, flags);
	proc_restartcore();
}

/* Load p and pop ctx: Akaros's __proc_startcore. */
static __attribute__((noreturn)) void __proc_startcore(struct proc *p, struct user_context *ctx)
{
	proc_set_cur_proc(p);
	proc_arch_set_kstack(this_cpu()->cur_kthread->stacktop);
	proc_arch_pop_ctx(ctx);
}

/*
 * Every return to user space comes here (syscalls, traps from ring 3,
 * smp_idle): run the routine KMSGs first (they may take the core away:
 * __death, __launch_kthread), then either resume the owning process or,
 * when nobody owns the core, abandon it and idle.
 */
void proc_restartcore(void)
{
	struct per_cpu_info *pcpui;

	for (;;) {
		irq_save();
		process_routine_kmsg();
		pcpui = this_cpu();
		if (!pcpui->owning_proc) {
			abandon_core();
			smp_idle();
		}
		if (!pcpui->cur_ctx)
			panic("proc_restartcore: pid %d owns core %u without a context",
			      pcpui->owning_proc->pid, core_id());
		/* A signal may destroy the process (then __death is queued). */
		if (signal_deliver_pending(pcpui->owning_proc, pcpui->cur_ctx))
			continue;
		if (sched_should_preempt()) {
			proc_yield_core(true);
			continue;
		}
		break;
	}
	sched_resume_program(pcpui->cur_ctx->tf.rip);
	__proc_startcore(pcpui->owning_proc, pcpui->cur_ctx);
}

static void __smp_idle(void)
{
	struct per_cpu_info *pcpui;
	struct proc *p;

	for (;;) {
		irq_save();
		process_routine_kmsg();
		pcpui = this_cpu();
		if (pcpui->owning_proc)
			proc_restartcore();
		/* Nobody owns the core: it must not pin the address space it
		 * last ran (Akaros's try_run_proc). Dropping cur_proc may free a
		 * process, which may queue a KMSG here: look again. */
		if (pcpui->cur_proc) {
			abandon_core();
			continue;
		}
		/* Idle before the last look at the queue: a process queued
		 * after this store finds the core idle and pokes it (the poke's
		 * IPI waits, interrupts off, for the sti;hlt); one queued
		 * before it is picked here. The queue lock's xchg orders the
		 * store before the look; sched_enqueue fences its side. */
		sched_mark_idle(true);
		p = sched_pick();
		if (p) {
			sched_mark_idle(false);
			proc_run_s(p);
			continue;
		}
		trace_core_halt();
		proc_arch_idle_halt();
		sched_mark_idle(false);
	}
}

/* The core has nothing to return to: reset its stack and look for work. */
void smp_idle(void)
{
	irq_save();
	kthread_reset_stack_and_call(__smp_idle);
}

/* ---- Traps from user space ------------------------------------------------ */

/* trap.c calls this after the handler of any trap from ring 3: the
 * interrupted context becomes cur_ctx and the core goes back to user space
 * the way a syscall does, so routine KMSGs, signals and preemption happen. */
void proc_trap_from_user(struct trapframe *tf)
{
	struct per_cpu_info *pcpui = this_cpu();
	struct user_context *ctx = core_actual_ctx();

	if (!pcpui->owning_proc)
		panic("trap from user on core %u with no owning_proc", core_id());
	user_ctx_from_trapframe(ctx, tf);
	pcpui->cur_ctx = ctx;
	proc_restartcore();
}

/* A fault in ring 3 kills the process, never the kernel. */
void proc_user_fault_trap(struct trapframe *tf)
{
	proc_user_fault(tf, trap_name(tf->vector));
}

void proc_user_fault(struct trapframe *tf, const char *what)
{
	struct per_cpu_info *pcpui = this_cpu();
	struct proc *p = pcpui->owning_proc;

	if (!p)
		panic("user fault '%s' on core %u with no owning_proc", what, core_id());
	trace_proc_fault(p->pid, tf->vector, tf->rip,
			 tf->vector == T_PAGE_FAULT ? read_cr2() : 0);
	printk("pid %d (%s): %s at rip %lx, killed\n", p->pid, p->name, what, tf->rip);
	/* The status a Unix shell would show: killed by SIGFPE, SIGILL or
	 * SIGSEGV. */
	p->exit_code = 128 + (tf->vector == T_DIVIDE ? 8 : tf->vector == T_INVALID_OP ? 4 : 11);
	proc_destroy(p);
	user_ctx_from_trapframe(core_actual_ctx(), tf);
	pcpui->cur_ctx = core_actual_ctx();
	proc_restartcore();
}
