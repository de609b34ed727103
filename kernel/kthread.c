/*
 * kthread.c: kernel threads that block and restart, semaphores and
 * condition variables (Akaros's kern/src/kthread.c, in our own code).
 *
 * The rules (see also kthread.h):
 *   - A core always runs on cur_kthread's stack; TSS.RSP0 is its top.
 *   - Blocking saves the kthread's callee-saved registers, takes a ref on
 *     cur_proc for the kthread (it will need that address space again), and
 *     moves the core onto a fresh kthread that runs smp_idle().
 *   - Waking never runs the kthread directly: it sends the routine KMSG
 *     __launch_kthread to the waker's own core, which restarts it at its
 *     next safe point.
 *   - restart_kthread() switches cur_proc to the kthread's proc (CR3 first),
 *     drops the ref on the old cur_proc, and gives the kthread's ref to
 *     cur_proc. The kthread the core was running is freed once the core is
 *     off its stack (kthread_free_deferred).
 */
#include "kernel/kthread.h"
#include "kernel/kmsg.h"
#include "kernel/proc.h"
#include "kernel/proc_current.h"
#include "kernel/percpu.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/proc_arch.h"
#include "trace/trace.h"

#define KSTACK_PAGES (KSTACK_SIZE / PAGE_SIZE)

/* Per core: the kthread left behind by restart_kthread, freed by the next
 * code that runs on the new stack. */
static struct kthread *kthread_to_free[MAX_CPUS];
/* Per core: one finished kthread kept for the next block, so that blocking
 * (which runs under the wait queue's lock) rarely allocates. */
static struct kthread *spare_kthread[MAX_CPUS];
static volatile int kthreads_spare;
extern char boot_stack_top[];
static volatile int next_kthread_id = 1;
static volatile int kthreads_live;

static int kthread_id(const struct kthread *kt)
{
	return kt ? kt->id : 0;
}

static int kthread_pid(const struct kthread *kt)
{
	return kt && kt->proc ? kt->proc->pid : 0;
}

static void set_cur_kthread(struct kthread *kt)
{
	struct per_cpu_info *pcpui = this_cpu();

	trace_cur_kthread(kthread_id(pcpui->cur_kthread), kthread_id(kt));
	pcpui->cur_kthread = kt;
	proc_arch_set_kstack(kt->stacktop);
}

struct kthread *kthread_alloc(void)
{
	struct kthread *kt = kzmalloc(sizeof(*kt));

	if (!kt)
		panic("kthread_alloc: out of memory");
	kt->stack = page_alloc_n(KSTACK_PAGES);
	if (!kt->stack)
		panic("kthread_alloc: no pages for a stack");
	kt->stacktop = (uintptr_t)kt->stack + KSTACK_SIZE;
	kt->id = __atomic_fetch_add(&next_kthread_id, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&kthreads_live, 1, __ATOMIC_RELAXED);
	return kt;
}

static void kthread_free(struct kthread *kt)
{
	if (kt->proc)
		panic("kthread_free: kthread %d still holds a ref on pid %d",
		      kt->id, kt->proc->pid);
	if (kt->stack)
		page_free(kt->stack);
	kfree(kt);
	__atomic_fetch_sub(&kthreads_live, 1, __ATOMIC_RELAXED);
}

int kthread_count_live(void)
{
	return kthreads_live;
}

void kthread_free_deferred(void)
{
	uint32_t me = core_id();
	struct kthread *kt = kthread_to_free[me];

	if (!kt)
		return;
	kthread_to_free[me] = NULL;
	/* Keep one with a stack of its own as this core's spare. */
	if (kt->stack && !spare_kthread[me]) {
		kt->is_ktask = false;
		kt->name = NULL;
		spare_kthread[me] = kt;
		__atomic_fetch_add(&kthreads_spare, 1, __ATOMIC_RELAXED);
		return;
	}
	kthread_free(kt);
}

int kthread_count_spare(void)
{
	return kthreads_spare;
}

/* A kthread to move the core onto: the spare if there is one. */
static struct kthread *kthread_get_spare(void)
{
	uint32_t me = core_id();
	struct kthread *kt = spare_kthread[me];

	if (!kt)
		return kthread_alloc();
	spare_kthread[me] = NULL;
	__atomic_fetch_sub(&kthreads_spare, 1, __ATOMIC_RELAXED);
	return kt;
}

void kthread_reset_stack_and_call(void (*fn)(void))
{
	call_on_stack(this_cpu()->cur_kthread->stacktop, (void (*)(void *))(uintptr_t)fn, NULL);
}

/* ---- Wait queues ---------------------------------------------------------- */

static void kq_push(struct kthread_queue *q, struct kthread *kt)
{
	kt->next = NULL;
	if (q->tail)
		q->tail->next = kt;
	else
		q->head = kt;
	q->tail = kt;
}

static struct kthread *kq_pop(struct kthread_queue *q)
{
	struct kthread *kt = q->head;

	if (kt) {
		q->head = kt->next;
		if (!q->head)
			q->tail = NULL;
		kt->next = NULL;
	}
	return kt;
}

/* ---- Blocking ------------------------------------------------------------- */

struct block_request {
	struct kthread *kt;
	struct kthread_queue *q;
	struct spinlock *lock;
};

/* Runs on the core's new kthread stack. Only now may the blocked kthread
 * become visible to wakers: from the moment the lock drops, another core
 * may restart it, and two cores must never run on one stack. */
static void __kthread_finish_block(void *arg)
{
	struct block_request req = *(struct block_request *)arg;

	kq_push(req.q, req.kt);
	spin_unlock(req.lock);
	smp_idle();
}

/* Block the current kthread on q. Called with interrupts off and `lock`
 * (which protects q) held by spin_lock/spin_lock_irqsave; returns, once
 * restarted, with interrupts off and the lock NOT held. */
__attribute__((noinline)) static void kthread_block(struct kthread_queue *q, struct spinlock *lock)
{
	struct per_cpu_info *pcpui = this_cpu();
	struct kthread *kt = pcpui->cur_kthread;
	struct kthread *next;
	struct block_request req;

	if (irqs_enabled())
		panic("kthread_block: interrupts on");
	if (!kt)
		panic("kthread_block: no cur_kthread on core %u", core_id());
	/* The kthread keeps its proc's address space alive while it sleeps. */
	if (!kt->is_ktask && pcpui->cur_proc) {
		kt->proc = pcpui->cur_proc;
		proc_incref(kt->proc, PROC_REF_KTHREAD);
	}
	/* A syscall of the core's owning proc blocks: the proc leaves the core
	 * (WAITING) until the syscall finishes on whatever core restarts it. */
	if (kt->proc && pcpui->owning_proc == kt->proc) {
		kt->proc->blocked_calls++;
		proc_yield_core(false);
	}
	trace_kthread_block(kthread_id(kt), kthread_pid(kt), q);

	next = kthread_get_spare();
	if (save_kernel_ctx(&kt->context) == 0) {
		req.kt = kt;
		req.q = q;
		req.lock = lock;
		set_cur_kthread(next);
		call_on_stack(next->stacktop, __kthread_finish_block, &req);
	}
	/* Restarted, perhaps on another core: per-CPU pointers are stale. */
	kthread_free_deferred();
}

/* Queue the routine message that restarts kt on this (the waker's) core. */
static void kthread_wake(struct kthread *kt)
{
	trace_kthread_wake(kthread_id(kt), kthread_pid(kt), core_id());
	send_kernel_message(core_id(), __launch_kthread, (long)kt, 0, 0, KMSG_ROUTINE);
}

__attribute__((noinline)) void __launch_kthread(uint32_t srcid, long a0, long a1, long a2)
{
	struct kthread *kt = (struct kthread *)a0;
	struct per_cpu_info *pcpui = this_cpu();

	(void)srcid;
	(void)a1;
	(void)a2;
	/* Another process owns this core and was about to go back to user
	 * space: it goes back to the run queue, and the kthread takes the core. */
	if (pcpui->owning_proc && pcpui->owning_proc != kt->proc)
		proc_yield_core(true);
	restart_kthread(kt);
}

__attribute__((noinline)) void restart_kthread(struct kthread *kt)
{
	struct per_cpu_info *pcpui = this_cpu();
	struct kthread *cur = pcpui->cur_kthread;

	if (irqs_enabled())
		panic("restart_kthread: interrupts on");
	if (cur && cur != kt) {
		if (kthread_to_free[core_id()])
			panic("restart_kthread: two kthreads left to free");
		kthread_to_free[core_id()] = cur;
	}
	set_cur_kthread(kt);
	trace_kthread_restart(kthread_id(kt), kthread_pid(kt));
	if (kt->proc) {
		if (kt->proc == pcpui->cur_proc) {
			/* Already loaded: cur_proc has its own ref. */
			proc_decref(kt->proc, PROC_REF_KTHREAD);
		} else {
			/* The kthread's counted ref becomes cur_proc's. */
			__set_proc_current(kt->proc);
		}
		kt->proc = NULL;
	}
	pop_kernel_ctx(&kt->context);
}

/* ---- Kernel tasks --------------------------------------------------------- */

struct ktask_start {
	void (*fn)(void *);
	void *arg;
};

static void ktask_entry(void)
{
	struct kthread *kt = this_cpu()->cur_kthread;
	struct ktask_start *st = (struct ktask_start *)(kt->stacktop - sizeof(*st));

	kthread_free_deferred();
	st->fn(st->arg);
	/* Done: this kthread becomes the core's idle context. */
	kt->is_ktask = false;
	smp_idle();
}

struct kthread *ktask_create(const char *name, void (*fn)(void *), void *arg)
{
	struct kthread *kt = kthread_alloc();
	struct ktask_start *st = (struct ktask_start *)(kt->stacktop - sizeof(*st));

	st->fn = fn;
	st->arg = arg;
	kt->name = name;
	kt->is_ktask = true;
	/* Start as if ktask_entry had just been called: below the start block,
	 * 16-byte aligned, with a zero return address to end backtraces. */
	uintptr_t sp = ((uintptr_t)st & ~0xfull) - 16;
	*(uint64_t *)sp = 0;
	kt->context.rsp = sp;
	kt->context.rip = (uint64_t)(uintptr_t)ktask_entry;
	kt->context.rbp = 0;
	return kt;
}

void ktask_launch(struct kthread *kt, int core)
{
	trace_kthread_wake(kthread_id(kt), 0, core);
	send_kernel_message(core, __launch_kthread, (long)kt, 0, 0, KMSG_ROUTINE);
}

/* ---- Semaphores ----------------------------------------------------------- */

void sem_init(struct semaphore *s, int count)
{
	spinlock_init(&s->lock, "sem");
	s->count = count;
	s->waiters.head = s->waiters.tail = NULL;
}

void sem_down(struct semaphore *s)
{
	uint64_t flags = spin_lock_irqsave(&s->lock);

	if (s->count > 0) {
		s->count--;
		spin_unlock_irqrestore(&s->lock, flags);
		return;
	}
	/* sem_up hands its count straight to the kthread it wakes. */
	kthread_block(&s->waiters, &s->lock);
	irq_restore(flags);
}

void sem_up(struct semaphore *s)
{
	uint64_t flags = spin_lock_irqsave(&s->lock);
	struct kthread *kt = kq_pop(&s->waiters);

	if (!kt)
		s->count++;
	spin_unlock_irqrestore(&s->lock, flags);
	if (kt) {
		uint64_t f = irq_save();
		kthread_wake(kt);
		irq_restore(f);
	}
}

/* ---- Condition variables -------------------------------------------------- */

void cv_init_with_lock(struct cond_var *cv, struct spinlock *lock)
{
	cv->lock = lock;
	cv->waiters.head = cv->waiters.tail = NULL;
	cv->nr_waiters = 0;
}

void cv_wait(struct cond_var *cv)
{
	if (!spin_holding(cv->lock))
		panic("cv_wait: caller does not hold %s", cv->lock->name);
	cv->nr_waiters++;
	kthread_block(&cv->waiters, cv->lock);
	/* As a pthread cv: back with the lock held. The caller's saved
	 * interrupt state is restored by its own unlock. */
	spin_lock(cv->lock);
}

void cv_signal(struct cond_var *cv)
{
	struct kthread *kt;

	if (!spin_holding(cv->lock))
		panic("cv_signal: caller does not hold %s", cv->lock->name);
	kt = kq_pop(&cv->waiters);
	if (kt) {
		cv->nr_waiters--;
		kthread_wake(kt);
	}
}

void cv_broadcast(struct cond_var *cv)
{
	struct kthread *kt;

	if (!spin_holding(cv->lock))
		panic("cv_broadcast: caller does not hold %s", cv->lock->name);
	while ((kt = kq_pop(&cv->waiters))) {
		cv->nr_waiters--;
		kthread_wake(kt);
	}
}

/* ---- Boot ----------------------------------------------------------------- */

/* Each core starts on its boot stack: wrap it in a kthread (not freeable,
 * no pages of its own) so that the first block has something to save. */
void kthread_core_init(void)
{
	struct per_cpu_info *pcpui = this_cpu();
	struct kthread *kt = kzmalloc(sizeof(*kt));

	if (!kt)
		panic("kthread_core_init: out of memory");
	/* boot.S's stack for the boot CPU; smp.c records the APs'. */
	kt->stacktop = pcpui->boot_stack_top ? pcpui->boot_stack_top
					     : (uintptr_t)boot_stack_top;
	kt->stack = NULL;
	kt->id = __atomic_fetch_add(&next_kthread_id, 1, __ATOMIC_RELAXED);
	kt->name = "boot";
	__atomic_fetch_add(&kthreads_live, 1, __ATOMIC_RELAXED);
	set_cur_kthread(kt);
}
