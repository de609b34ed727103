/*
 * syscall.c: system call entry and the process system calls.
 *
 * The path of a system call, as in Akaros:
 *   SYSCALL -> syscall_entry (arch/x86_64/syscall_entry.S builds a trap
 *   frame) -> trap_dispatch -> syscall_trap: the trap frame is copied
 *   into the core's actual_ctx (cur_ctx), the handler runs, its result goes
 *   into cur_ctx, and proc_restartcore() returns to user space (after the
 *   routine KMSGs). The handler may block: then the proc left the core
 *   (WAITING), and when its kthread is restarted (on the waker's core) the
 *   result goes into the proc's saved context instead, the proc becomes
 *   runnable, and this kthread's proc_restartcore() finds no owner and
 *   abandons the core.
 */
#include "kernel/syscall.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/sched.h"
#include "kernel/uaccess.h"
#include "kernel/user_abi.h"
#include "kernel/errno.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/trap.h"
#include "kernel/arch/x86_64/syscall_arch.h"
#include "kernel/arch/x86_64/vectors.h"
#include "trace/trace.h"

#define SPAWN_NAME_MAX 32
#define SPAWN_ARGS_MAX 256
#define WRITE_MAX (1u << 20)

typedef long (*syscall_fn)(SYSCALL_ARGS);

static const syscall_fn syscall_table[] = {
#define SYSCALL(n, name) [n] = sys_##name,
#include "kernel/syscall.def"
#undef SYSCALL
};

static const char *const syscall_names[] = {
#define SYSCALL(n, name) [n] = #name,
#include "kernel/syscall.def"
#undef SYSCALL
};

#define NR_SYSCALLS (sizeof(syscall_table) / sizeof(syscall_table[0]))

/*
 * The trace names system calls for the tools from its own table
 * (TRACE_ENUM(syscall) in trace/events.def: tools never read kernel/).
 * The two cannot drift: every line here needs its TRACE_ENUM_VAL(syscall,
 * name, n) there with the same number, and the table has no other.
 */
#define SYSCALL(n, name) \
	_Static_assert(TRACE_syscall_##name == (n), "trace/events.def: TRACE_ENUM_VAL(syscall, " \
		       #name ", " #n ") is missing or has another number");
#include "kernel/syscall.def"
#undef SYSCALL
enum {
	SYSCALLS_DEFINED = 0
#define SYSCALL(n, name) + 1
#include "kernel/syscall.def"
#undef SYSCALL
	, SYSCALLS_TRACED = 0
#define TRACE_ENUM_VAL(e, v, x) + (TRACE_ENUM_##e == TRACE_ENUM_syscall)
#include "trace/events.def"
};
_Static_assert(SYSCALLS_DEFINED == SYSCALLS_TRACED,
	       "trace/events.def names a system call that kernel/syscall.def does not have");

const char *syscall_name(uint64_t num)
{
	return num < NR_SYSCALLS && syscall_names[num] ? syscall_names[num] : "?";
}

/* The result of a syscall whose proc blocked (and so left its core). */
static void finish_blocked_syscall(struct proc *p, long ret)
{
	uint64_t flags = spin_lock_irqsave(&p->proc_lock);
	bool waiting = p->state == PROC_WAITING;

	if (waiting)
		user_ctx_set_retval(&p->scp_ctx, (uint64_t)ret);
	spin_unlock_irqrestore(&p->proc_lock, flags);
	if (waiting)
		proc_wakeup(p);
}

static void syscall_trap(struct trapframe *tf)
{
	struct per_cpu_info *pcpui = this_cpu();
	struct user_context *ctx = core_actual_ctx();
	struct proc *p = pcpui->owning_proc;
	uint64_t num = tf->rax;
	long ret;

	if (!p)
		panic("syscall on core %u with no owning_proc", core_id());
	user_ctx_from_trapframe(ctx, tf);
	pcpui->cur_ctx = ctx;
	trace_syscall_enter(p->pid, num, tf->rdi, tf->rsi, tf->rdx);
	if (num < NR_SYSCALLS && syscall_table[num])
		ret = syscall_table[num](p, user_ctx_arg(ctx, 0), user_ctx_arg(ctx, 1),
					 user_ctx_arg(ctx, 2), user_ctx_arg(ctx, 3),
					 user_ctx_arg(ctx, 4), user_ctx_arg(ctx, 5));
	else
		ret = -ENOSYS;
	trace_syscall_exit(p->pid, num, (uint64_t)ret);

	/* The handler may have blocked and come back on another core. */
	pcpui = this_cpu();
	if (pcpui->owning_proc == p && pcpui->cur_ctx) {
		if (num != SYS_sigreturn || ret < 0)
			user_ctx_set_retval(pcpui->cur_ctx, (uint64_t)ret);
	} else {
		finish_blocked_syscall(p, ret);
	}
	proc_restartcore();
}

void syscall_init(void)
{
	/* The SYSCALL entry tags its frame with SYSCALL_VECTOR; there is no
	 * IDT gate for it, so `int $0x80` from ring 3 is a #GP. */
	trap_register(SYSCALL_VECTOR, syscall_trap);
	syscall_arch_init_cpu();
}

/* ---- Process system calls ------------------------------------------------- */

long sys_getpid(SYSCALL_ARGS)
{
	return p->pid;
}

long sys_ncores(SYSCALL_ARGS)
{
	return num_cores();
}

long sys_write(SYSCALL_ARGS)
{
	uintptr_t ubuf = a0;
	size_t len = a1, done = 0;
	char buf[129];

	if (len > WRITE_MAX)
		return -EINVAL;
	if (!access_ok(ubuf, len))
		return -EFAULT;
	while (done < len) {
		size_t n = len - done < 128 ? len - done : 128;
		int ret = copy_from_user(p, buf, ubuf + done, n);
		if (ret < 0)
			return done ? (long)done : ret;
		buf[n] = 0;
		printk("%s", buf);
		done += n;
	}
	return (long)done;
}

/* The (program name, argument string) pair that spawn and exec take from
 * user memory; args may be NULL. Returns 0 or -EFAULT/-EINVAL. */
static long copy_name_args_from_user(struct proc *p, uint64_t uname, uint64_t uargs,
				     char name[SPAWN_NAME_MAX], char args[SPAWN_ARGS_MAX])
{
	long ret = strncpy_from_user(p, name, uname, SPAWN_NAME_MAX);

	if (ret < 0)
		return ret;
	args[0] = 0;
	if (uargs) {
		ret = strncpy_from_user(p, args, uargs, SPAWN_ARGS_MAX);
		if (ret < 0)
			return ret;
	}
	return 0;
}

long sys_exec(SYSCALL_ARGS)
{
	char name[SPAWN_NAME_MAX], args[SPAWN_ARGS_MAX];
	long ret;

	ret = copy_name_args_from_user(p, a0, a1, name, args);
	if (ret < 0)
		return ret;
	return proc_exec(p, name, args);
}

long sys_exit(SYSCALL_ARGS)
{
	p->exit_code = (int)a0;
	proc_destroy(p);
	return 0;
}

long sys_spawn(SYSCALL_ARGS)
{
	char name[SPAWN_NAME_MAX], args[SPAWN_ARGS_MAX];
	struct proc *child;
	long ret;
	int err, pid;

	ret = copy_name_args_from_user(p, a0, a1, name, args);
	if (ret < 0)
		return ret;
	child = proc_create(name, args, p, &err);
	if (!child)
		return err;
	pid = child->pid;
	proc_decref(child, PROC_REF_CREATE);
	return pid;
}

/* Blocks on our child_wait until a matching child is DYING, then reaps it:
 * the children-list ref goes (__proc_disown_child), which frees the child
 * if nothing else holds it. */
long sys_waitpid(SYSCALL_ARGS)
{
	int want = (int)a0;
	uintptr_t ustatus = a1;
	int status = 0, cpid = 0, zero = 0;
	long ret = 0;
	uint64_t flags;

	/* Check the status pointer before reaping, so a bad pointer cannot
	 * lose a child's exit. */
	if (ustatus && copy_to_user(p, ustatus, &zero, sizeof(zero)) < 0)
		return -EFAULT;
	if (want == 0 || want < -1 || (a2 & ~(uint64_t)WNOHANG))
		return -EINVAL;
	flags = spin_lock_irqsave(&proc_tree_lock);
	for (;;) {
		struct proc *c, *dead = NULL;
		bool any = false;

		for (c = p->children; c; c = c->sibling) {
			if (want != -1 && c->pid != want)
				continue;
			any = true;
			if (c->state == PROC_DYING) {
				dead = c;
				break;
			}
		}
		if (dead) {
			cpid = dead->pid;
			status = dead->exit_code;
			trace_reap(p->pid, cpid, (uint64_t)(int64_t)status);
			__proc_disown_child(p, dead);
			break;
		}
		if (!any) {
			ret = -ECHILD;
			break;
		}
		if (a2 & WNOHANG)
			break; /* returns 0: none has exited yet */
		if (p->state == PROC_DYING || signal_pending(p)) {
			ret = -EINTR;
			break;
		}
		trace_waitpid_block(p->pid, (uint64_t)(int64_t)want);
		cv_wait(&p->child_wait);
	}
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (ret < 0)
		return ret;
	if (ustatus && copy_to_user(p, ustatus, &status, sizeof(status)) < 0)
		return -EFAULT;
	return cpid;
}

long sys_kill(SYSCALL_ARGS)
{
	struct proc *target = pid2proc((int)a0);
	long ret;

	if (!target)
		return -ESRCH;
	ret = proc_signal_send(p, target, (int)a1);
	proc_decref(target, PROC_REF_LOOKUP);
	return ret;
}

long sys_yield(SYSCALL_ARGS)
{
	struct per_cpu_info *pcpui = this_cpu();

	/* The result first: once on the run queue, another core may run us. */
	user_ctx_set_retval(pcpui->cur_ctx, 0);
	proc_yield_core(true);
	return 0;
}

/* Akaros's sys_proc_destroy: a transient ref for the duration. */
long sys_proc_destroy(SYSCALL_ARGS)
{
	struct proc *target = pid2proc((int)a0);

	if (!target)
		return -ESRCH;
	target->exit_code = (int)a1;
	proc_destroy(target);
	proc_decref(target, PROC_REF_LOOKUP);
	return 0;
}

long sys_sigaction(SYSCALL_ARGS)
{
	return signal_set_handler(p, (int)a0, a1, a2);
}

long sys_sigreturn(SYSCALL_ARGS)
{
	struct per_cpu_info *pcpui = this_cpu();
	int ret = signal_return(p, pcpui->cur_ctx, a0);

	return ret < 0 ? ret : (long)pcpui->cur_ctx->tf.rax;
}

long sys_sleep(SYSCALL_ARGS)
{
	uint64_t flags;
	long ret = 0;

	if (a0 > 100000)
		return -EINVAL;
	if (!a0)
		return 0;
	flags = spin_lock_irqsave(&proc_tree_lock);
	p->sleep_until = sched_ticks() + a0;
	while (p->sleep_until) {
		if (p->state == PROC_DYING || signal_pending(p)) {
			ret = -EINTR;
			break;
		}
		cv_wait(&p->child_wait);
	}
	p->sleep_until = 0;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return ret;
}

long sys_procinfo(SYSCALL_ARGS)
{
	struct uproc_info info;
	struct proc *q;

	if (a0 >= MAX_PROCS)
		return -EINVAL;
	q = &proc_table[a0];
	memset(&info, 0, sizeof(info));
	/* A racy snapshot is fine for ps; the slot itself never goes away. */
	info.pid = q->pid;
	if (!info.pid)
		return -ESRCH;
	info.ppid = q->parent ? q->parent->pid : 0;
	info.state = q->state;
	info.core = q->pcoreid;
	info.refcnt = q->refcnt;
	memcpy(info.name, q->name, sizeof(info.name));
	strlcpy(info.state_name, proc_state_name(q->state), sizeof(info.state_name));
	info.user_ticks = q->user_ticks;
	info.blocked_calls = q->blocked_calls;
	return copy_to_user(p, a1, &info, sizeof(info));
}

long sys_coreinfo(SYSCALL_ARGS)
{
	struct ucore_info info;
	struct per_cpu_info *c;

	if (a0 >= num_cores())
		return -EINVAL;
	c = per_cpu((uint32_t)a0);
	memset(&info, 0, sizeof(info));
	info.core = (int32_t)a0;
	info.cur_pid = c->cur_proc ? c->cur_proc->pid : 0;
	info.owning_pid = c->owning_proc ? c->owning_proc->pid : 0;
	info.kthread = c->cur_kthread ? c->cur_kthread->id : 0;
	info.idle = !c->owning_proc;
	return copy_to_user(p, a1, &info, sizeof(info));
}
