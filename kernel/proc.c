/*
 * proc.c: process lifetime, Akaros style: the slot table, the krefs
 * (proc_incref/proc_decref and every trace event of them), checked state
 * changes, creation, exec, proc_destroy in Akaros's order, __death,
 * waitpid's reaping and __proc_free; the first process and the shutdown
 * check. What a core does with a process (owning_proc, cur_proc,
 * proc_restartcore, smp_idle) is proc_core.c.
 *
 * Locks: proc_tree_lock (family links, child_wait) is taken before any
 * proc_lock; proc_table_lock is innermost.
 */
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/kmsg.h"
#include "kernel/kthread.h"
#include "kernel/percpu.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/exit.h"
#include "kernel/ksyms.h"
#include "kernel/elf.h"
#include "kernel/errno.h"
#include "kernel/cmdline.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/arch/x86_64/proc_arch.h"
#include "kernel/arch/x86_64/vectors.h"
#include "trace/trace.h"

struct proc proc_table[MAX_PROCS];
struct spinlock proc_tree_lock = SPINLOCK_INIT("proc_tree");
static struct spinlock proc_table_lock = SPINLOCK_INIT("proc_table");
static int next_pid = 1;
static int procs_live;
volatile int proc_kref_errors;
/* Set when init starts: from then on, the last free ends the run. */
static bool shutdown_when_empty;

static const char *const state_names[NR_PROC_STATES] = {
#define X(s) [PROC_##s] = #s,
	PROC_STATES(X)
#undef X
};

static const char *const reason_names[NR_PROC_REF_REASONS] = {
#define X(r) [PROC_REF_##r] = #r,
	PROC_REF_REASONS(X)
#undef X
};

const char *proc_state_name(enum proc_state s)
{
	return s < NR_PROC_STATES ? state_names[s] : "?";
}

const char *proc_ref_reason_name(enum proc_ref_reason r)
{
	return r < NR_PROC_REF_REASONS ? reason_names[r] : "?";
}

/* ---- Refcounting ---------------------------------------------------------- */

static void __proc_free(struct proc *p);

static void kref_report(struct proc *p, int64_t count, void *site,
			enum proc_ref_reason why, int kind)
{
	__atomic_fetch_add(&proc_kref_errors, 1, __ATOMIC_RELAXED);
	trace_kref_error(p->pid, p, count, site, why, kind);
	char where[96];

	ksym_format(where, sizeof(where), (uintptr_t)site);
	printk("KREF ERROR: %s on pid %d (slot %p) count %ld reason %s at %s\n",
	       kind == TRACE_kref_error_get_from_zero ? "get from zero" : "put below zero",
	       p->pid, p, (long)count, proc_ref_reason_name(why), where);
}

static bool __proc_incref(struct proc *p, enum proc_ref_reason why, void *site,
			  bool zero_is_error)
{
	int64_t old = __atomic_load_n(&p->refcnt, __ATOMIC_RELAXED);

	do {
		if (old <= 0) {
			if (zero_is_error)
				kref_report(p, old, site, why, TRACE_kref_error_get_from_zero);
			return false;
		}
	} while (!__atomic_compare_exchange_n(&p->refcnt, &old, old + 1, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	trace_kref_get(p->pid, p, old, old + 1, site, why);
	return true;
}

__attribute__((noinline)) void (proc_incref)(struct proc *p, enum proc_ref_reason why)
{
	__proc_incref(p, why, __builtin_return_address(0), true);
}

__attribute__((noinline)) bool proc_incref_not_zero(struct proc *p, enum proc_ref_reason why)
{
	return __proc_incref(p, why, __builtin_return_address(0), false);
}

__attribute__((noinline)) void (proc_decref)(struct proc *p, enum proc_ref_reason why)
{
	void *site = __builtin_return_address(0);
	int64_t old = __atomic_load_n(&p->refcnt, __ATOMIC_RELAXED);

	do {
		if (old <= 0) {
			kref_report(p, old, site, why, TRACE_kref_error_underflow);
			return;
		}
	} while (!__atomic_compare_exchange_n(&p->refcnt, &old, old - 1, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	trace_kref_put(p->pid, p, old, old - 1, site, why);
	if (old == 1)
		__proc_free(p);
}

/* ---- States --------------------------------------------------------------- */

/* Allowed transitions (from -> bit mask of to). */
static const uint32_t state_moves[NR_PROC_STATES] = {
	[PROC_FREE] = 1u << PROC_CREATED,
	[PROC_CREATED] = 1u << PROC_RUNNABLE_S | 1u << PROC_DYING,
	[PROC_RUNNABLE_S] = 1u << PROC_RUNNING_S | 1u << PROC_DYING,
	[PROC_RUNNING_S] = 1u << PROC_RUNNABLE_S | 1u << PROC_WAITING | 1u << PROC_DYING,
	[PROC_WAITING] = 1u << PROC_RUNNABLE_S | 1u << PROC_DYING,
	[PROC_DYING] = 0,
};

/* Caller holds p->proc_lock (or owns p alone, before it is published). */
void __proc_set_state(struct proc *p, enum proc_state s)
{
	if (!(state_moves[p->state] & (1u << s)))
		panic("pid %d: bad state change %s -> %s", p->pid,
		      proc_state_name(p->state), proc_state_name(s));
	trace_proc_state(p->pid, p->state, s);
	p->state = s;
}

/* ---- Creation ------------------------------------------------------------- */

__attribute__((noinline)) struct proc *proc_alloc(const char *name, struct proc *parent)
{
	struct proc *p = NULL;
	uint64_t flags = spin_lock_irqsave(&proc_table_lock);

	for (int i = 0; i < MAX_PROCS; i++) {
		if (proc_table[i].state == PROC_FREE && proc_table[i].pid == 0) {
			p = &proc_table[i];
			break;
		}
	}
	if (!p) {
		spin_unlock_irqrestore(&proc_table_lock, flags);
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	spinlock_init(&p->proc_lock, "proc");
	p->pid = next_pid++;
	p->state = PROC_FREE;
	__proc_set_state(p, PROC_CREATED);
	p->refcnt = 1;  /* PROC_REF_CREATE, the caller's */
	p->pcoreid = -1;
	procs_live++;
	spin_unlock_irqrestore(&proc_table_lock, flags);

	strlcpy(p->name, name, sizeof(p->name));
	cv_init_with_lock(&p->child_wait, &proc_tree_lock);
	_Static_assert(sizeof(p->name) >= TRACE_NAME16_BYTES, "the trace reads 16 bytes of name");
	trace_proc_create(p->pid, parent ? parent->pid : 0, p, p->name);
	trace_kref_get(p->pid, p, 0, 1, (const void *)(uintptr_t)proc_alloc, PROC_REF_CREATE);
	if (paging_new_user_pml4(&p->pml4, &p->cr3) < 0) {
		/* A never-published proc: its one ref goes, __proc_free cleans. */
		__proc_set_state(p, PROC_DYING);
		proc_decref(p, PROC_REF_CREATE);
		return NULL;
	}
	if (parent) {
		flags = spin_lock_irqsave(&proc_tree_lock);
		p->parent = parent;
		p->sibling = parent->children;
		parent->children = p;
		proc_incref(p, PROC_REF_CHILDREN);
		spin_unlock_irqrestore(&proc_tree_lock, flags);
	}
	return p;
}

/* Hand the process to the scheduler, which keeps a ref until proc_destroy. */
__attribute__((noinline)) void __proc_ready(struct proc *p)
{
	uint64_t flags;

	proc_incref(p, PROC_REF_SCHED);
	flags = spin_lock_irqsave(&p->proc_lock);
	__proc_set_state(p, PROC_RUNNABLE_S);
	spin_unlock_irqrestore(&p->proc_lock, flags);
	sched_enqueue(p);
}

struct proc *proc_create(const char *image, const char *args, struct proc *parent, int *err)
{
	struct proc *p = proc_alloc(image, parent);
	int ret;

	if (!p) {
		*err = -EAGAIN;
		return NULL;
	}
	ret = proc_load_image(p, image, args);
	if (ret < 0) {
		*err = ret;
		/* Dies unborn: nobody will wait for it, so it leaves the
		 * parent's children list at once. */
		p->exit_code = ret;
		proc_destroy(p);
		uint64_t flags = spin_lock_irqsave(&proc_tree_lock);
		if (p->parent)
			__proc_disown_child(p->parent, p);
		spin_unlock_irqrestore(&proc_tree_lock, flags);
		proc_decref(p, PROC_REF_CREATE);
		return NULL;
	}
	__proc_ready(p);
	*err = 0;
	return p; /* still holding the CREATE ref: the caller drops it */
}

int proc_load_image(struct proc *p, const char *image, const char *args)
{
	uint64_t entry, sp, argp;
	int ret = elf_load_user_image(p, image, &entry);

	if (ret < 0)
		return ret;
	ret = user_stack_init(p, image, args, &sp, &argp);
	if (ret < 0)
		return ret;
	user_ctx_init(&p->scp_ctx, entry, sp);
	/* crt0's _start(args): the program name and arguments, one string. */
	p->scp_ctx.tf.rdi = argp;
	return 0;
}

/*
 * Replace p's program (p runs this, on its owning core, from sys_exec):
 * a new address space is built beside the old one, and only once the new
 * image is loaded does p switch to it and free the old. On failure p is
 * untouched and the error goes back to the old program.
 */
int proc_exec(struct proc *p, const char *image, const char *args)
{
	struct per_cpu_info *pcpui = this_cpu();
	uint64_t *old_pml4 = p->pml4, old_cr3 = p->cr3;
	uint64_t entry, sp, argp;
	uint64_t flags;
	int ret;

	if (pcpui->owning_proc != p || !pcpui->cur_ctx)
		return -EINVAL;
	/* Another core may still have the old page tables loaded (a lazy
	 * cur_proc): they cannot be freed under it. */
	for (uint32_t i = 0; i < num_cores(); i++)
		if (i != core_id() && per_cpu(i)->cur_proc == p)
			return -EAGAIN;
	ret = paging_new_user_pml4(&p->pml4, &p->cr3);
	if (ret < 0) {
		p->pml4 = old_pml4;
		p->cr3 = old_cr3;
		return ret;
	}
	ret = elf_load_user_image(p, image, &entry);
	if (ret == 0)
		ret = user_stack_init(p, image, args, &sp, &argp);
	if (ret < 0) {
		paging_free_user(p->pml4);
		p->pml4 = old_pml4;
		p->cr3 = old_cr3;
		return ret;
	}
	proc_arch_load_cr3(p->cr3, p->pid);
	paging_free_user(old_pml4);
	flags = spin_lock_irqsave(&p->proc_lock);
	memset(p->name, 0, sizeof(p->name)); /* NUL-padded: the trace copies all 16 bytes */
	strlcpy(p->name, image, sizeof(p->name));
	trace_proc_exec(p->pid, p->name);
	/* Handlers and trampoline were addresses in the old program. */
	memset(p->sig_handler, 0, sizeof(p->sig_handler));
	p->sig_trampoline = 0;
	p->sig_in_handler = false;
	spin_unlock_irqrestore(&p->proc_lock, flags);
	user_ctx_init(pcpui->cur_ctx, entry, sp);
	pcpui->cur_ctx->tf.rdi = argp;
	return 0;
}

struct proc *pid2proc(int pid)
{
	struct proc *found = NULL;
	uint64_t flags = spin_lock_irqsave(&proc_table_lock);

	for (int i = 0; i < MAX_PROCS && pid > 0; i++) {
		struct proc *p = &proc_table[i];
		if (p->pid == pid && p->state != PROC_FREE) {
			if (proc_incref_not_zero(p, PROC_REF_LOOKUP))
				found = p;
			break;
		}
	}
	spin_unlock_irqrestore(&proc_table_lock, flags);
	return found;
}

int proc_count_live(void)
{
	return procs_live;
}

/* ---- Destruction ---------------------------------------------------------- */

/* Routine KMSG to the core the dying process runs on: the core stops
 * owning it. cur_proc is left alone, as in Akaros; the core leaves that
 * address space later, in proc_restartcore's abandon_core(). */
__attribute__((noinline)) static void __death(uint32_t srcid, long a0, long a1, long a2)
{
	struct proc *p = (struct proc *)a0;
	struct per_cpu_info *pcpui = this_cpu();

	(void)srcid;
	(void)a1;
	(void)a2;
	/* The process may already have left (it yielded before the message
	 * arrived); then there is nothing of it here to clear. */
	if (pcpui->owning_proc == p)
		clear_owning_proc(core_id());
}

/* Children of a dying parent lose their parent: the children-list refs go. */
__attribute__((noinline)) static void __proc_disown_children(struct proc *parent)
{
	struct proc *c;

	while ((c = parent->children)) {
		parent->children = c->sibling;
		c->sibling = NULL;
		c->parent = NULL;
		proc_decref(c, PROC_REF_CHILDREN);
	}
}

/*
 * Akaros's order: tell the core it runs on (__death, routine), mark it
 * DYING, drop the scheduler's ref, then signal the parent (whose kthread,
 * blocked in waitpid, is woken on *this* core). The caller holds a ref.
 */
__attribute__((noinline)) void proc_destroy(struct proc *p)
{
	uint64_t flags = spin_lock_irqsave(&p->proc_lock);
	enum proc_state was = p->state;

	trace_proc_destroy(p->pid, was, __builtin_return_address(0));
	switch (was) {
	case PROC_DYING:
		spin_unlock_irqrestore(&p->proc_lock, flags);
		return;
	case PROC_RUNNABLE_S:
		sched_remove(p);
		break;
	case PROC_RUNNING_S:
		send_kernel_message(p->pcoreid, __death, (long)p, 0, 0, KMSG_ROUTINE);
		break;
	case PROC_CREATED:
	case PROC_WAITING:
		/* A blocked kthread holds its own ref and is woken below. */
		break;
	default:
		panic("proc_destroy: pid %d in state %s", p->pid, proc_state_name(was));
	}
	__proc_set_state(p, PROC_DYING);
	spin_unlock_irqrestore(&p->proc_lock, flags);

	/* The scheduler's ref (none if it never became runnable). */
	if (was != PROC_CREATED)
		proc_decref(p, PROC_REF_SCHED);

	flags = spin_lock_irqsave(&proc_tree_lock);
	if (p->parent)
		cv_broadcast(&p->parent->child_wait);
	/* Its own blocked syscall, if any, notices DYING and gives up. */
	cv_broadcast(&p->child_wait);
	__proc_disown_children(p);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
}

/* sys_waitpid's reap: drop the children-list ref. Caller holds proc_tree_lock. */
__attribute__((noinline)) void __proc_disown_child(struct proc *parent, struct proc *child)
{
	struct proc **pp = &parent->children;

	while (*pp && *pp != child)
		pp = &(*pp)->sibling;
	if (!*pp)
		panic("__proc_disown_child: pid %d is not a child of %d", child->pid, parent->pid);
	*pp = child->sibling;
	child->sibling = NULL;
	child->parent = NULL;
	proc_decref(child, PROC_REF_CHILDREN);
}

static void __shutdown_when_empty(uint32_t srcid, long a0, long a1, long a2)
{
	(void)srcid;
	(void)a0;
	(void)a1;
	(void)a2;
	proc_shutdown_check();
}

/* The last ref is gone: give back everything, poisoned, and reset the slot. */
__attribute__((noinline)) static void __proc_free(struct proc *p)
{
	uint64_t flags;
	bool last;

	if (p->state != PROC_DYING)
		panic("__proc_free: pid %d in state %s", p->pid, proc_state_name(p->state));
	if (p->children)
		panic("__proc_free: pid %d still has children", p->pid);
	for (uint32_t i = 0; i < num_cores(); i++)
		if (per_cpu(i)->cur_proc == p || per_cpu(i)->owning_proc == p)
			panic("__proc_free: pid %d is still core %u's %s", p->pid, i,
			      per_cpu(i)->cur_proc == p ? "cur_proc" : "owning_proc");
	trace_proc_free(p->pid, p);
	/* VMX first: GPCs and VMCS pages, EPTP zeroed. */
	proc_arch_free(p);
	paging_free_user(p->pml4);

	flags = spin_lock_irqsave(&proc_table_lock);
	/* Reset, so that a stale weak pointer reads a free slot: state FREE,
	 * EPTP 0, refcount 0, no pid. */
	int pid = p->pid;
	memset(p, 0, sizeof(*p));
	p->state = PROC_FREE;
	p->eptp = 0;
	p->refcnt = 0;
	procs_live--;
	last = procs_live == 0 && shutdown_when_empty;
	spin_unlock_irqrestore(&proc_table_lock, flags);
	(void)pid;
	/* Everyone is gone: finish the run at this core's next safe point,
	 * not from inside whatever dropped the ref. */
	if (last)
		send_kernel_message(core_id(), __shutdown_when_empty, 0, 0, 0, KMSG_ROUTINE);
}

/* ---- Boot and shutdown ---------------------------------------------------- */

void proc_core_init(void)
{
	kthread_core_init();
}

void proc_init(void)
{
	sched_init();
	kmsg_init();
	user_fault_hook = proc_user_fault_trap;
}

/* All processes are gone (or a scenario asked to stop): check for leaks,
 * print the verdict, leave the emulator. */
void proc_shutdown_check(void)
{
	int leaks = 0;

	for (int i = 0; i < MAX_PROCS; i++) {
		struct proc *p = &proc_table[i];
		if (p->state != PROC_FREE || p->pid) {
			trace_proc_leak(p->pid, p->refcnt, p->state);
			printk("LEAK: pid %d (%s) refcnt %ld state %s\n", p->pid, p->name,
			       (long)p->refcnt, proc_state_name(p->state));
			leaks++;
		}
	}
	/* Each core runs on exactly one kthread (and may keep one spare); any
	 * more is a blocked or lost one. */
	int kthreads = kthread_count_live() - kthread_count_spare();
	printk("procs: %d leaked, %d kref errors, %d kthreads live (%u cores)\n",
	       leaks, proc_kref_errors, kthreads, num_cores());
	machine_exit(leaks || proc_kref_errors || kthreads != (int)num_cores()
		     ? EXIT_FAIL : EXIT_SUCCESS);
}

/* ---- The first process ---------------------------------------------------- */

CMDLINE_OPTION("init", "the first user program (default: init)");
CMDLINE_OPTION("initargs", "its argument string, with ',' for spaces");

/* Spawn init= (a program of kernel/user/) with no parent: when it and every
 * other process are gone, the run ends (proc_shutdown_check). */
void proc_start_init(void)
{
	char name[32] = "init", args[128] = "";
	struct proc *p;
	int err;

	cmdline_get("init", name, sizeof(name));
	cmdline_get("initargs", args, sizeof(args));
	/* The command line splits on spaces, so arguments use commas. */
	for (char *c = args; *c; c++)
		if (*c == ',')
			*c = ' ';
	shutdown_when_empty = true;
	printk("init: starting '%s%s%s'\n", name, args[0] ? " " : "", args);
	p = proc_create(name, args, NULL, &err);
	if (!p)
		panic("init: cannot start '%s' (error %d)", name, err);
	proc_decref(p, PROC_REF_CREATE);
}
