/*
 * sched.c: the run queue, timer preemption and sleep wake-ups (sched.h).
 */
#include "kernel/sched.h"
#include "kernel/proc.h"
#include "kernel/kmsg.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/cmdline.h"
#include "kernel/trap.h"
#include "kernel/tty.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/lapic.h"
#include "trace/trace.h"

CMDLINE_OPTION("quantum", "timer ticks a process runs before giving way (default 2)");

static struct spinlock runq_lock = SPINLOCK_INIT("runq");
static struct proc *runq_head, *runq_tail;
static volatile bool core_idle[MAX_CPUS];
static volatile bool need_resched[MAX_CPUS];
static uint32_t ticks_in_user[MAX_CPUS];
static volatile uint64_t ticks;
static uint32_t quantum = 2;

uint64_t sched_ticks(void)
{
	return ticks;
}

/* A wake-up call for an idle core: the IPI that carries it ends its hlt,
 * and the message itself runs in smp_idle, which then looks at the queue. */
static void __sched_poke(uint32_t srcid, long a0, long a1, long a2)
{
	(void)srcid;
	(void)a0;
	(void)a1;
	(void)a2;
}

static void poke_an_idle_core(void)
{
	/* The queue store (released by the unlock) before the load of
	 * core_idle: an idle core stores core_idle before it looks at the
	 * queue, so one of the two sees the other (no store-load reorder). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (uint32_t i = 0; i < num_cores(); i++) {
		if (i != core_id() && core_idle[i]) {
			core_idle[i] = false; /* one poke per wake-up is enough */
			send_kernel_message(i, __sched_poke, 0, 0, 0, KMSG_ROUTINE);
			return;
		}
	}
}

void sched_enqueue(struct proc *p)
{
	uint64_t flags = spin_lock_irqsave(&runq_lock);

	/* A process destroyed between its yield and this call stays off. */
	if (p->state != PROC_RUNNABLE_S || p->on_runq) {
		spin_unlock_irqrestore(&runq_lock, flags);
		return;
	}
	p->runq_next = NULL;
	if (runq_tail)
		runq_tail->runq_next = p;
	else
		runq_head = p;
	runq_tail = p;
	p->on_runq = true;
	spin_unlock_irqrestore(&runq_lock, flags);
	poke_an_idle_core();
}

void sched_remove(struct proc *p)
{
	uint64_t flags = spin_lock_irqsave(&runq_lock);
	struct proc **pp = &runq_head, *prev = NULL;

	while (*pp && *pp != p) {
		prev = *pp;
		pp = &(*pp)->runq_next;
	}
	if (*pp) {
		*pp = p->runq_next;
		if (runq_tail == p)
			runq_tail = prev;
		p->runq_next = NULL;
		p->on_runq = false;
	}
	spin_unlock_irqrestore(&runq_lock, flags);
}

struct proc *sched_pick(void)
{
	uint64_t flags = spin_lock_irqsave(&runq_lock);
	struct proc *p = runq_head;

	if (p) {
		runq_head = p->runq_next;
		if (!runq_head)
			runq_tail = NULL;
		p->runq_next = NULL;
		p->on_runq = false;
		/* Taken under the queue lock, so proc_destroy's sched_remove
		 * cannot free it between the pick and proc_run_s. */
		proc_incref(p, PROC_REF_OWNING);
	}
	spin_unlock_irqrestore(&runq_lock, flags);
	if (p)
		ticks_in_user[core_id()] = 0;
	return p;
}

bool sched_should_preempt(void)
{
	uint32_t me = core_id();

	if (!need_resched[me])
		return false;
	need_resched[me] = false;
	ticks_in_user[me] = 0;
	return runq_head != NULL;
}

/*
 * A process's user time (proc->user_ticks) counts the ticks that find it
 * in user space or in its guest. The kernel runs with interrupts off, so
 * a tick that fires during a system call waits and lands on the first
 * instruction back in user space or the guest: that tick measured kernel
 * time, and must not count. Where the kernel itself is slow (a KVM that
 * emulates ring 0: README, "KVM") nearly every tick is such a one.
 *
 * The LAPIC cannot tell: on that KVM the timer shows in IRR only as the
 * guest reaches ring 3, after the last kernel instruction (measured). So
 * the core notes where and when it resumes the process (user RIP, or the
 * guest's RIP at VM entry, and the TSC), and a tick that finds it at that
 * very RIP within half a tick period is the held-back one. A real tick
 * that lands there so soon, before one instruction has run, is lost.
 * (Time alone was not enough: on the emulating KVM the path from the
 * resume to ring 3 took more than an eighth of a period under load.)
 */
static uint64_t resumed_at[MAX_CPUS];   /* TSC as the core last resumed a process */
static uint64_t resumed_rip[MAX_CPUS];  /* and the RIP it resumed at */
static uint64_t held_back_tsc;          /* the window, in TSC ticks */

void sched_resume_program(uint64_t rip)
{
	uint32_t me = core_id();

	resumed_rip[me] = rip;
	resumed_at[me] = rdtsc();
}

/* A tick that found the owning process outside the kernel, at `rip`;
 * `when` is the TSC at the interrupt (for a guest: at its VM exit). */
static void program_tick(uint32_t me, uint64_t when, uint64_t rip)
{
	struct proc *p = this_cpu()->owning_proc;

	/* Set here, not in sched_init: the TSC is calibrated after it. A tick
	 * means the timer runs, so its rate is not 0. */
	if (!held_back_tsc)
		held_back_tsc = tsc_khz() * 1000 / lapic_timer_hz() / 2;
	if (rip == resumed_rip[me] && when - resumed_at[me] < held_back_tsc)
		return;
	__atomic_add_fetch(&p->user_ticks, 1, __ATOMIC_RELAXED);
	tty_program_tick(p->pid);
}

/* A tick the core spent in a VMM's guest (vmx/vmexit.c): the guest is
 * the process's user context, so the tick counts toward its quantum. */
void sched_guest_tick(uint64_t exited_at, uint64_t guest_rip)
{
	uint32_t me = core_id();

	if (++ticks_in_user[me] >= quantum)
		need_resched[me] = true;
	program_tick(me, exited_at, guest_rip);
}

void sched_mark_idle(bool idle)
{
	core_idle[core_id()] = idle;
}

/* Wake the kthreads of processes whose sleep is over. */
static void wake_sleepers(void)
{
	spin_lock(&proc_tree_lock);
	for (int i = 0; i < MAX_PROCS; i++) {
		struct proc *p = &proc_table[i];
		if (p->pid && p->sleep_until && p->sleep_until <= ticks) {
			p->sleep_until = 0;
			cv_broadcast(&p->child_wait);
		}
	}
	spin_unlock(&proc_tree_lock);
}

/* timer_tick_hook: every tick of every core, interrupts off. */
static void sched_timer_tick(struct trapframe *tf)
{
	uint32_t me = core_id();
	uint64_t now = rdtsc();

	if (me == 0) {
		ticks++;
		wake_sleepers();
		tty_poll();
	}
	/* A process runs here: in user space, or in its guest (the VM exit
	 * path hands the tick over with a kernel frame, then returns through
	 * proc_restartcore, where the preemption happens). */
	if (!this_cpu()->owning_proc)
		return;
	if (++ticks_in_user[me] >= quantum)
		need_resched[me] = true;
	/* Back to user space through proc_restartcore: preemption, routine
	 * KMSGs and signals all happen there. */
	if (trap_from_user(tf)) {
		program_tick(me, now, tf->rip);
		proc_trap_from_user(tf);
	}
}

void sched_init(void)
{
	quantum = (uint32_t)cmdline_u64("quantum", 2);
	if (!quantum)
		quantum = 1;
	timer_tick_hook = sched_timer_tick;
}
