/*
 * proc.h: processes, Akaros style (see DESIGN.md "The process model" and
 * course-notes on process internals).
 *
 * A struct proc lives in a static table of slots (as in xv6). Its lifetime is
 * a reference count: proc_incref()/proc_decref() are the only way to change
 * it, and each call is a trace event with its call site and a reason tag.
 * The last decref calls __proc_free(), which gives back everything the proc
 * owned (poisoned) and resets the slot (state PROC_FREE, EPTP 0, refcount 0),
 * so that a stale weak pointer into the slot reads EPTP 0, as in Akaros.
 *
 * Who holds a ref on a live process (V's refs in the abandon-core chain):
 *   CREATE    the creator, until it has published the proc
 *   CHILDREN  the parent's children list, until waitpid reaps it
 *   SCHED     the scheduler, from registration until proc_destroy
 *   OWNING    a core's owning_proc: "this proc should run here"
 *   CUR_PROC  a core's cur_proc: "this proc's page tables are loaded here"
 *   KTHREAD   a kthread blocked in a syscall of this proc
 *   LOOKUP    a transient ref from pid2proc, dropped by the same syscall
 */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include <stdint.h>
#include <stdbool.h>
#include "kernel/spinlock.h"
#include "kernel/kthread.h"
#include "kernel/arch/x86_64/user_context.h"

#define MAX_PROCS 32
#define PROC_NAME_LEN 16
#define NSIG 32

/* Process states (Akaros's, minus the many-core ones). The allowed
 * transitions are in proc.c's table; any other one panics. */
#define PROC_STATES(X)      \
	X(FREE)             \
	X(CREATED)          \
	X(RUNNABLE_S)       \
	X(RUNNING_S)        \
	X(WAITING)          \
	X(DYING)
enum proc_state {
#define X(s) PROC_##s,
	PROC_STATES(X)
#undef X
	NR_PROC_STATES
};

/* Why a ref is taken or dropped: a tag in every kref trace event. */
#define PROC_REF_REASONS(X) \
	X(CREATE)           \
	X(CHILDREN)         \
	X(SCHED)            \
	X(OWNING)           \
	X(CUR_PROC)         \
	X(KTHREAD)          \
	X(LOOKUP)           \
	X(TEST)
enum proc_ref_reason {
#define X(r) PROC_REF_##r,
	PROC_REF_REASONS(X)
#undef X
	NR_PROC_REF_REASONS
};

struct guest_pcore;

struct proc {
	struct spinlock proc_lock;  /* state, pcoreid, scp_ctx, signals */
	int pid;                    /* 0: slot free */
	enum proc_state state;
	int64_t refcnt;             /* only through proc_incref/proc_decref */
	char name[PROC_NAME_LEN];

	/* Address space: a PML4 whose upper half is the kernel's. */
	uint64_t *pml4;             /* kernel virtual address */
	uint64_t cr3;               /* its physical address */
	uintptr_t user_stack_top;

	/* Saved user context while not on a core (Akaros: scp_ctx). */
	struct user_context scp_ctx;
	int pcoreid;                /* core running it (RUNNING_S), else -1 */

	/* Family, under proc_tree_lock. The children list holds a ref on
	 * each child (PROC_REF_CHILDREN); the parent pointer holds none. */
	struct proc *parent;
	struct proc *children;      /* first child */
	struct proc *sibling;       /* next child of the same parent */
	/* The one condition variable this proc's kthread sleeps on: its
	 * children's deaths (Akaros: child_wait), sleep timeouts and its own
	 * destruction all broadcast it. Its lock is proc_tree_lock. */
	struct cond_var child_wait;
	uint64_t sleep_until;       /* timer tick to wake at, 0: not sleeping */
	int exit_code;

	/* Signals (kernel/signal.c). */
	uint32_t sig_pending;
	uint64_t sig_handler[NSIG]; /* user address, 0: default action */
	uint64_t sig_trampoline;    /* user code that calls the handler */
	bool sig_in_handler;

	/* Scheduler run queue link (kernel/sched.c). */
	struct proc *runq_next;
	bool on_runq;
	/* Timer ticks that found it running outside the kernel, in user space
	 * or in its guest (its user time, in ticks: sched.c). */
	uint64_t user_ticks;
	/* System calls of its that blocked (kthread.c): getrusage's
	 * voluntary context switches. */
	uint64_t blocked_calls;

	/* VMM state, owned by vmx/. The EPT pointer is read through weak
	 * pointers (gpc->proc), which is why a freed slot reads 0 here. */
	uint64_t eptp;
	struct guest_pcore **gpcs;
	unsigned int nr_gpcs;
	void *vmm;
};

extern struct proc proc_table[MAX_PROCS];
/* Protects parent/children links and every proc's child_wait. */
extern struct spinlock proc_tree_lock;

/* Refcounting. Both record __builtin_return_address(0) as the call site.
 * A get from zero or a put below zero is refused, traced and reported
 * (proc_kref_errors counts them): never a silent wrap. */
void proc_incref(struct proc *p, enum proc_ref_reason why);
void proc_decref(struct proc *p, enum proc_ref_reason why);
/* Take a ref only if the count is not zero (a lookup racing the last put):
 * returns false, without an error, when the proc is already being freed. */
bool proc_incref_not_zero(struct proc *p, enum proc_ref_reason why);
/* The call site is the return address, so a call must never be a tail
 * call (a jmp would report the caller's caller): the empty asm after each
 * call keeps the compiler from making it one. (proc_decref) in parentheses
 * is the function, not this macro. */
#define proc_incref(p, why) ({ (proc_incref)(p, why); asm volatile(""); })
#define proc_decref(p, why) ({ (proc_decref)(p, why); asm volatile(""); })
extern volatile int proc_kref_errors;

/* Lifecycle. */
struct proc *proc_alloc(const char *name, struct proc *parent); /* ref: CREATE */
int proc_load_image(struct proc *p, const char *image, const char *args);
int proc_exec(struct proc *p, const char *image, const char *args);
void __proc_ready(struct proc *p);    /* registers with the scheduler (+SCHED) */
struct proc *proc_create(const char *image, const char *args, struct proc *parent, int *err);
void proc_destroy(struct proc *p);
void __proc_set_state(struct proc *p, enum proc_state s);
struct proc *pid2proc(int pid);       /* +LOOKUP, or NULL */
void __proc_disown_child(struct proc *parent, struct proc *child);
const char *proc_state_name(enum proc_state s);
const char *proc_ref_reason_name(enum proc_ref_reason r);
int proc_count_live(void);

/* Running processes on cores. */
void proc_run_s(struct proc *p);   /* returns only if p died meanwhile */
__attribute__((noreturn)) void proc_restartcore(void);
void proc_yield_core(bool runnable_again);
void proc_wakeup(struct proc *p);
void clear_owning_proc(uint32_t coreid);
void abandon_core(void);
void __abandon_core(void);
void proc_set_cur_proc(struct proc *p);   /* load p's address space here */
__attribute__((noreturn)) void smp_idle(void);
/* Return-to-user hook called by trap.c for every trap from ring 3. */
void proc_trap_from_user(struct trapframe *tf);
void proc_user_fault(struct trapframe *tf, const char *what);
void proc_user_fault_trap(struct trapframe *tf);  /* trap.c's user_fault_hook */

/* Boot. */
void proc_init(void);          /* once, on the BSP, before the first proc */
void proc_core_init(void);     /* on every core */
void proc_start_init(void);    /* spawn init= (default "init") */
void proc_shutdown_check(void);

/* The per-core state the process model keeps outside percpu.h. */
struct user_context *core_actual_ctx(void);

#endif
