/*
 * signal.h: signals, just enough for the two ways a process is killed.
 *
 *   SIGINT, SIGTERM  the victim destroys *itself*, from its own core: its
 *       handler (the user library installs one that calls
 *       sys_proc_destroy(getpid())) runs at its next return to user space.
 *       This is the ctrl-c path of the abandon-core lab. With no handler
 *       the kernel does the same at that point, still on the victim's core.
 *   SIGKILL  the sender destroys the victim at once, from the sender's core.
 */
#ifndef KERNEL_SIGNAL_H
#define KERNEL_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

#define SIGINT 2
#define SIGKILL 9
#define SIGTERM 15

struct proc;
struct user_context;

/* from: the sending process, or NULL for the kernel (the console's ctrl-c).
 * Returns 0 or -EINVAL. */
int proc_signal_send(struct proc *from, struct proc *to, int sig);
/* At a return to user space of p (its owning core): start the handler of
 * a pending signal in ctx, or destroy p for a default action. Returns true
 * if p was destroyed (the caller then re-checks the core's state). */
bool signal_deliver_pending(struct proc *p, struct user_context *ctx);
/* sys_sigaction: handler and trampoline are user addresses (0: default). */
int signal_set_handler(struct proc *p, int sig, uint64_t handler, uint64_t trampoline);
/* sys_sigreturn: restore the context saved at delivery from user memory. */
int signal_return(struct proc *p, struct user_context *ctx, uint64_t frame);
/* Is a signal waiting for p? Blocking syscalls give up with -EINTR. */
bool signal_pending(struct proc *p);

#endif
