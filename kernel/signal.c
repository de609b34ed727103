/*
 * signal.c: sending and delivering signals (signal.h).
 *
 * Delivery builds a frame on the user stack: the interrupted registers
 * (struct trapframe) that sys_sigreturn puts back. The handler is entered
 * through the program's trampoline (kernel/user/crt0.S), as
 *     trampoline(sig, handler, frame)
 * with RSP 16-byte aligned, below the red zone.
 */
#include "kernel/signal.h"
#include "kernel/proc.h"
#include "kernel/kmsg.h"
#include "kernel/percpu.h"
#include "kernel/errno.h"
#include "kernel/uaccess.h"
#include "kernel/printk.h"
#include "kernel/arch/x86_64/user_context.h"
#include "trace/trace.h"

#define RED_ZONE 128

static bool sig_valid(int sig)
{
	return sig == SIGINT || sig == SIGKILL || sig == SIGTERM;
}

/* An immediate message whose only job is its IPI: it pulls the victim's
 * core out of user space (or out of a guest), so that the signal is seen
 * at the core's next return to user space. */
static void __signal_notify(uint32_t srcid, long a0, long a1, long a2)
{
	(void)srcid;
	(void)a0;
	(void)a1;
	(void)a2;
}

int proc_signal_send(struct proc *from, struct proc *to, int sig)
{
	uint64_t flags;
	int core = -1;

	if (!sig_valid(sig))
		return -EINVAL;
	trace_signal_send(from ? from->pid : 0, to->pid, sig);
	if (sig == SIGKILL) {
		/* On the sender's core, now. */
		to->exit_code = 128 + SIGKILL;
		proc_destroy(to);
		return 0;
	}
	flags = spin_lock_irqsave(&to->proc_lock);
	to->sig_pending |= 1u << sig;
	if (to->state == PROC_RUNNING_S)
		core = to->pcoreid;
	spin_unlock_irqrestore(&to->proc_lock, flags);
	if (core >= 0 && (uint32_t)core != core_id())
		send_kernel_message(core, __signal_notify, to->pid, sig, 0, KMSG_IMMEDIATE);
	/* A blocked syscall (sleep, waitpid) gives up with -EINTR. */
	flags = spin_lock_irqsave(&proc_tree_lock);
	cv_broadcast(&to->child_wait);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return 0;
}

bool signal_pending(struct proc *p)
{
	return __atomic_load_n(&p->sig_pending, __ATOMIC_RELAXED) != 0;
}

int signal_set_handler(struct proc *p, int sig, uint64_t handler, uint64_t trampoline)
{
	if (sig != SIGINT && sig != SIGTERM)
		return -EINVAL; /* SIGKILL cannot be caught */
	if (handler && !trampoline)
		return -EINVAL;
	uint64_t flags = spin_lock_irqsave(&p->proc_lock);
	p->sig_handler[sig] = handler;
	if (trampoline)
		p->sig_trampoline = trampoline;
	spin_unlock_irqrestore(&p->proc_lock, flags);
	return 0;
}

bool signal_deliver_pending(struct proc *p, struct user_context *ctx)
{
	uint64_t flags, handler, frame, tramp;
	int sig = 0;

	if (!signal_pending(p) || ctx->type != USER_CTX_HW)
		return false;
	flags = spin_lock_irqsave(&p->proc_lock);
	/* One handler at a time: the next waits for sigreturn. */
	if (p->sig_in_handler || p->state != PROC_RUNNING_S) {
		spin_unlock_irqrestore(&p->proc_lock, flags);
		return false;
	}
	for (int s = 1; s < NSIG; s++) {
		if (p->sig_pending & (1u << s)) {
			sig = s;
			break;
		}
	}
	p->sig_pending &= ~(1u << sig);
	handler = p->sig_handler[sig];
	tramp = p->sig_trampoline;
	if (handler)
		p->sig_in_handler = true;
	spin_unlock_irqrestore(&p->proc_lock, flags);

	trace_signal_deliver(p->pid, sig, handler);
	if (!handler) {
		p->exit_code = 128 + sig;
		proc_destroy(p);
		return true;
	}
	frame = ((ctx->tf.rsp - RED_ZONE - sizeof(struct trapframe)) & ~0xfull);
	if (copy_to_user(p, frame, &ctx->tf, sizeof(struct trapframe)) < 0) {
		printk("pid %d: no room for a signal frame, killed\n", p->pid);
		p->exit_code = 128 + sig;
		proc_destroy(p);
		return true;
	}
	ctx->tf.rip = tramp;
	ctx->tf.rdi = sig;
	ctx->tf.rsi = handler;
	ctx->tf.rdx = frame;
	ctx->tf.rsp = frame;
	return false;
}

int signal_return(struct proc *p, struct user_context *ctx, uint64_t frame)
{
	struct user_context saved;
	uint64_t flags;
	int ret;

	if (!p->sig_in_handler)
		return -EINVAL;
	ret = copy_from_user(p, &saved.tf, frame, sizeof(struct trapframe));
	if (ret < 0)
		return ret;
	saved.type = USER_CTX_HW;
	saved.vm_gpc = 0;
	if (!user_ctx_sanitize(&saved))
		return -EINVAL;
	flags = spin_lock_irqsave(&p->proc_lock);
	p->sig_in_handler = false;
	spin_unlock_irqrestore(&p->proc_lock, flags);
	*ctx = saved;
	return 0;
}
