/*
 * kthread.h: kernel threads, semaphores and condition variables (Akaros's
 * kthread.c, in our own code).
 *
 * Every core always runs on the stack of its cur_kthread; the TSS's RSP0
 * points at its top, so a trap from ring 3 lands there. When a syscall
 * blocks, its kthread's callee-saved registers are saved and the kthread
 * waits on a queue, holding a ref on its proc (PROC_REF_KTHREAD); the core
 * takes a fresh kthread and goes to smp_idle(). Waking a kthread sends the
 * routine KMSG __launch_kthread to the *waker's* core; restart_kthread()
 * there loads the kthread's address space, drops the ref on the old
 * cur_proc, hands the kthread's ref to cur_proc, and jumps back into the
 * blocked function, which returns through the normal syscall exit path.
 */
#ifndef KERNEL_KTHREAD_H
#define KERNEL_KTHREAD_H

#include <stdint.h>
#include <stdbool.h>
#include "kernel/spinlock.h"

#define KSTACK_SIZE 4096 * 2

struct proc;

/* Callee-saved state of a kthread that is not running (kthread_switch.S). */
struct kernel_ctx {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};

struct kthread {
	struct kernel_ctx context;
	uintptr_t stacktop;
	void *stack;                /* page_alloc'd pages, NULL for a boot stack */
	struct proc *proc;          /* counted while blocked; NULL for ktasks */
	struct kthread *next;       /* wait-queue link */
	int id;
	bool is_ktask;              /* a kernel task with no process of its own */
	const char *name;
};

/* A FIFO of blocked kthreads. */
struct kthread_queue {
	struct kthread *head, *tail;
};

struct semaphore {
	struct spinlock lock;
	int count;
	struct kthread_queue waiters;
};

/* A condition variable whose waiters are protected by an outside lock, which
 * the caller holds around cv_wait/cv_signal/cv_broadcast (as in Akaros). */
struct cond_var {
	struct spinlock *lock;
	struct kthread_queue waiters;
	int nr_waiters;
};

void kthread_core_init(void);
struct kthread *kthread_alloc(void);
/* A kernel task: fn(arg) on its own stack, started by a routine KMSG to
 * `core`; when fn returns the kthread exits. */
struct kthread *ktask_create(const char *name, void (*fn)(void *), void *arg);
void ktask_launch(struct kthread *kt, int core);

void sem_init(struct semaphore *s, int count);
void sem_down(struct semaphore *s);
void sem_up(struct semaphore *s);

void cv_init_with_lock(struct cond_var *cv, struct spinlock *lock);
/* Caller holds cv->lock, taken with spin_lock_irqsave; returns with it held. */
void cv_wait(struct cond_var *cv);
void cv_signal(struct cond_var *cv);
void cv_broadcast(struct cond_var *cv);

/* The routine KMSG that restarts a woken kthread on the waker's core. */
void __launch_kthread(uint32_t srcid, long a0, long a1, long a2);
__attribute__((noreturn)) void restart_kthread(struct kthread *kt);

/* Run fn on the current kthread's freshly reset stack (smp_idle uses it). */
__attribute__((noreturn)) void kthread_reset_stack_and_call(void (*fn)(void));
/* Free the kthread this core left behind in restart_kthread (its stack
 * could not be freed while still in use). */
void kthread_free_deferred(void);
int kthread_count_live(void);
int kthread_count_spare(void);     /* kept per core for the next block */

/* kthread_switch.S */
int save_kernel_ctx(struct kernel_ctx *ctx);   /* 0 now, 1 when popped */
__attribute__((noreturn)) void pop_kernel_ctx(const struct kernel_ctx *ctx);
__attribute__((noreturn)) void call_on_stack(uintptr_t stacktop, void (*fn)(void *), void *arg);

#endif
