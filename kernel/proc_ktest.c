/*
 * proc_ktest.c: self-tests (ktest=...) of the process model's mechanisms:
 * kref semantics and misuse detection, KMSG queue order and the
 * no-IPI-to-self rule, and a kthread that blocks in one address space and
 * is restarted from another, with the refcounts Akaros's rules give.
 *
 * They run on the boot CPU before init, so no user process interferes.
 */
#include <stddef.h>
#include "kernel/ktest.h"
#include "kernel/proc.h"
#include "kernel/kmsg.h"
#include "kernel/kthread.h"
#include "kernel/percpu.h"
#include "kernel/arch/x86_64/arch.h"

/* A process with no program: just a slot, a refcount and page tables. */
static struct proc *test_proc(void)
{
	return proc_alloc("ktest", NULL);
}

/* Drop the creator's ref on a test proc: DYING first, as __proc_free wants. */
static void test_proc_release(struct proc *p)
{
	uint64_t flags = spin_lock_irqsave(&p->proc_lock);
	__proc_set_state(p, PROC_DYING);
	spin_unlock_irqrestore(&p->proc_lock, flags);
	proc_decref(p, PROC_REF_CREATE);
}

KTEST(kref_get_put_and_free)
{
	struct proc *p = test_proc();
	int pid;

	KT_ASSERT(p != NULL);
	pid = p->pid;
	KT_EQ(p->refcnt, 1);
	proc_incref(p, PROC_REF_TEST);
	KT_EQ(p->refcnt, 2);
	proc_decref(p, PROC_REF_TEST);
	KT_EQ(p->refcnt, 1);
	KT_ASSERT(pid2proc(pid) == p);   /* a lookup takes a ref */
	KT_EQ(p->refcnt, 2);
	proc_decref(p, PROC_REF_LOOKUP);
	test_proc_release(p);
	/* The last put freed it: the slot is reset, the pid gone. */
	KT_EQ(p->refcnt, 0);
	KT_EQ(p->state, PROC_FREE);
	KT_EQ(p->pid, 0);
	KT_EQ(p->eptp, 0);
	KT_ASSERT(pid2proc(pid) == NULL);
}

KTEST(kref_get_from_zero_is_refused_and_reported)
{
	struct proc *p = test_proc();
	int errors;

	KT_ASSERT(p != NULL);
	test_proc_release(p);
	errors = proc_kref_errors;
	/* A use after free through a stale pointer: refused, counted. */
	proc_incref(p, PROC_REF_TEST);
	KT_EQ(p->refcnt, 0);
	KT_EQ(proc_kref_errors, errors + 1);
	/* A lookup racing the last put is not an error, just a miss. */
	KT_ASSERT(!proc_incref_not_zero(p, PROC_REF_TEST));
	KT_EQ(proc_kref_errors, errors + 1);
	proc_kref_errors = errors; /* expected errors: not a leak at exit */
}

KTEST(kref_underflow_is_refused_and_reported)
{
	struct proc *p = test_proc();
	int errors;

	KT_ASSERT(p != NULL);
	test_proc_release(p);
	errors = proc_kref_errors;
	proc_decref(p, PROC_REF_TEST);
	KT_EQ(p->refcnt, 0);   /* no wrap to -1 */
	KT_EQ(proc_kref_errors, errors + 1);
	proc_kref_errors = errors;
}

/* ---- KMSGs ---------------------------------------------------------------- */

static volatile long kmsg_log[8];
static volatile int kmsg_log_n;
static volatile int kmsg_ran_on = -1;

static void kmsg_record(uint32_t srcid, long a0, long a1, long a2)
{
	(void)srcid;
	(void)a1;
	(void)a2;
	if (kmsg_log_n < 8)
		kmsg_log[kmsg_log_n++] = a0;
	kmsg_ran_on = (int)core_id();
}

KTEST(kmsg_routine_fifo_and_no_ipi_to_self)
{
	uint64_t flags = irq_save();
	uint64_t ipis = kmsg_ipis_sent();

	kmsg_log_n = 0;
	for (long i = 1; i <= 3; i++)
		send_kernel_message(core_id(), kmsg_record, i, 0, 0, KMSG_ROUTINE);
	KT_EQ(kmsg_ipis_sent(), ipis);       /* routine to self: no IPI */
	KT_EQ(kmsg_log_n, 0);                /* not run until a safe point */
	process_routine_kmsg();
	irq_restore(flags);
	KT_EQ(kmsg_log_n, 3);
	KT_EQ(kmsg_log[0], 1);
	KT_EQ(kmsg_log[1], 2);
	KT_EQ(kmsg_log[2], 3);
}

KTEST(kmsg_immediate_fifo_via_ipi)
{
	uint64_t flags = irq_save();
	uint64_t ipis = kmsg_ipis_sent();

	kmsg_log_n = 0;
	for (long i = 1; i <= 3; i++)
		send_kernel_message(core_id(), kmsg_record, 10 + i, 0, 0, KMSG_IMMEDIATE);
	KT_EQ(kmsg_ipis_sent(), ipis + 3);   /* immediate: an IPI even to self */
	KT_EQ(kmsg_log_n, 0);
	sti();
	for (int spin = 0; spin < 1000000 && kmsg_log_n < 3; spin++)
		cpu_pause();
	irq_restore(flags);
	KT_EQ(kmsg_log_n, 3);
	KT_EQ(kmsg_log[0], 11);
	KT_EQ(kmsg_log[1], 12);
	KT_EQ(kmsg_log[2], 13);
}

KTEST(kmsg_routine_to_other_core_runs_there)
{
	uint64_t ipis = kmsg_ipis_sent();

	KT_SKIP_UNLESS(num_cores() >= 2);
	kmsg_log_n = 0;
	kmsg_ran_on = -1;
	send_kernel_message(1, kmsg_record, 42, 0, 0, KMSG_ROUTINE);
	KT_EQ(kmsg_ipis_sent(), ipis + 1);   /* another core: an IPI */
	for (int spin = 0; spin < 10000000 && kmsg_log_n < 1; spin++)
		cpu_pause();
	KT_EQ(kmsg_log_n, 1);
	KT_EQ(kmsg_log[0], 42);
	KT_EQ(kmsg_ran_on, 1);
}

/* ---- kthreads ------------------------------------------------------------- */

static struct semaphore kt_sem;
static struct proc *kt_a, *kt_b;
static volatile int64_t a_refs_while_blocked, b_refs_at_wake;
static volatile int waker_ran_on = -1;

/* A kernel task: finds the test kthread blocked (holding a ref on A),
 * loads B as cur_proc (so the restart must switch back), wakes it. */
static void waker(void *arg)
{
	(void)arg;
	waker_ran_on = (int)core_id();
	a_refs_while_blocked = kt_a->refcnt;
	proc_set_cur_proc(kt_b);
	b_refs_at_wake = kt_b->refcnt;
	sem_up(&kt_sem);
}

KTEST(kthread_block_restart_switches_cur_proc)
{
	struct per_cpu_info *pcpui;
	uint64_t flags;

	kt_a = test_proc();
	kt_b = test_proc();
	KT_ASSERT(kt_a && kt_b);
	sem_init(&kt_sem, 0);
	flags = irq_save();
	proc_set_cur_proc(kt_a);                     /* A: CREATE + CUR_PROC */
	KT_EQ(kt_a->refcnt, 2);
	ktask_launch(ktask_create("ktest-waker", waker, NULL), core_id());
	sem_down(&kt_sem);                           /* blocks; waker runs */
	irq_save();
	pcpui = this_cpu();
	KT_EQ(waker_ran_on, 0);                      /* woken on the waker's core */
	KT_EQ(a_refs_while_blocked, 3);              /* + KTHREAD while blocked */
	KT_EQ(b_refs_at_wake, 2);                    /* B: CREATE + CUR_PROC */
	KT_ASSERT(pcpui->cur_proc == kt_a);          /* restart switched back */
	KT_EQ(read_cr3(), kt_a->cr3);
	KT_EQ(kt_a->refcnt, 2);                      /* KTHREAD ref became CUR_PROC's */
	KT_EQ(kt_b->refcnt, 1);                      /* old cur_proc's ref dropped */
	abandon_core();
	KT_ASSERT(pcpui->cur_proc == NULL);
	KT_EQ(kt_a->refcnt, 1);
	irq_restore(flags);
	test_proc_release(kt_a);
	test_proc_release(kt_b);
}
