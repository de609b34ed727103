/*
 * tty.c: console input, ctrl-c and the foreground process (tty.h).
 */
#include "kernel/tty.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/cmdline.h"
#include "kernel/arch/x86_64/serial.h"

#define TTY_BUF 256
#define CTRL_C 0x03

/* All under proc_tree_lock: readers sleep on their child_wait, whose lock
 * that is. */
static char inbuf[TTY_BUF];
static unsigned in_head, in_tail;  /* head: next to read; tail: next free */
static int reader_pid;             /* the process blocked in sys_read */
static int fg_pid;                 /* who gets SIGINT on ctrl-c */

/* A scripted ctrl-c for labs and tests: the same path as a typed one, after
 * N ticks of the foreground program's own running time (its user time:
 * sched.c), so that it lands where a person's would, on a program that has
 * got going. Ticks spent in the kernel (its system calls) do not count.
 * Under TCG that changes little; on a KVM that emulates ring 0 (README,
 * "KVM") a VMM's setup calls take a dozen ticks, and counting them sent
 * SIGINT before its guest had run. Ticks are counted on whichever core runs the program; the
 * signal goes out from the boot CPU's next poll, as a typed one would. */
CMDLINE_OPTION("ctrlc", "act as if ctrl-c were typed once the foreground program has "
	       "run N timer ticks in user space or in its guest (scripted labs; 0 = off)");
static uint64_t ctrlc_ticks_left;  /* its ticks still to run; 0: not armed */
static bool ctrlc_due;             /* counted down: the next poll sends it */

static void wake_reader(void)
{
	for (int i = 0; i < MAX_PROCS && reader_pid; i++) {
		if (proc_table[i].pid == reader_pid) {
			cv_broadcast(&proc_table[i].child_wait);
			return;
		}
	}
}

void tty_poll(void)
{
	int c, ctrl_c = 0, fg;
	bool got = false;

	spin_lock(&proc_tree_lock);
	while ((c = serial_getc()) >= 0) {
		if (c == CTRL_C) {
			ctrl_c = 1;
			continue;
		}
		if (in_tail - in_head < TTY_BUF) {
			inbuf[in_tail++ % TTY_BUF] = (char)c;
			got = true;
		}
	}
	if (got)
		wake_reader();
	if (ctrlc_due) {
		ctrlc_due = false;
		ctrl_c = 1;
	}
	fg = fg_pid;
	spin_unlock(&proc_tree_lock);

	if (ctrl_c && fg) {
		struct proc *p = pid2proc(fg);
		if (p) {
			printk("^C\n");
			proc_signal_send(NULL, p, SIGINT);
			proc_decref(p, PROC_REF_LOOKUP);
		}
	}
}

long sys_read(SYSCALL_ARGS)
{
	char buf[TTY_BUF];
	size_t want = a1, n = 0;
	uint64_t flags;
	long ret = 0;

	if (want == 0)
		return 0;
	if (want > TTY_BUF)
		want = TTY_BUF;
	flags = spin_lock_irqsave(&proc_tree_lock);
	while (in_head == in_tail) {
		if (p->state == PROC_DYING || signal_pending(p)) {
			ret = -EINTR;
			break;
		}
		reader_pid = p->pid;
		cv_wait(&p->child_wait);
	}
	if (reader_pid == p->pid)
		reader_pid = 0;
	while (!ret && n < want && in_head != in_tail)
		buf[n++] = inbuf[in_head++ % TTY_BUF];
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (ret < 0)
		return ret;
	ret = copy_to_user(p, a0, buf, n);
	return ret < 0 ? ret : (long)n;
}

long sys_set_fg(SYSCALL_ARGS)
{
	uint64_t flags;

	if ((int64_t)a0 < 0)
		return -EINVAL;
	flags = spin_lock_irqsave(&proc_tree_lock);
	fg_pid = (int)a0;
	ctrlc_ticks_left = fg_pid ? cmdline_u64("ctrlc", 0) : 0;
	ctrlc_due = false;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return 0;
}

void tty_program_tick(int pid)
{
	uint64_t flags;

	/* Unlocked first look: every tick of every core comes here. */
	if (!__atomic_load_n(&ctrlc_ticks_left, __ATOMIC_RELAXED))
		return;
	flags = spin_lock_irqsave(&proc_tree_lock);
	if (ctrlc_ticks_left && pid == fg_pid && --ctrlc_ticks_left == 0)
		ctrlc_due = true;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
}
