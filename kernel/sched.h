/*
 * sched.h: a simple scheduler for single-core processes (RUNNABLE_S).
 *
 * One FIFO run queue for the machine. An idle core takes the head; a core
 * running a process that has used its quantum (timer ticks while in user
 * space) gives way at its next return to user space if someone is waiting.
 * The queue holds no refs of its own: a queued process is alive by its
 * scheduler ref (PROC_REF_SCHED), and proc_destroy removes it.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdbool.h>
#include <stdint.h>

struct proc;

void sched_init(void);
void sched_enqueue(struct proc *p);
void sched_remove(struct proc *p);      /* caller holds p->proc_lock */
/* Dequeue the next process with an OWNING ref taken for the caller. */
struct proc *sched_pick(void);
/* At a return to user space: has the owning process used up its quantum
 * while another one waits? Clears the request. */
bool sched_should_preempt(void);
void sched_mark_idle(bool idle);
/* A timer tick taken while the core ran a VMM's guest (vmx/). */
void sched_guest_tick(uint64_t exited_at, uint64_t guest_rip);
/* Just before the core resumes the owning process at rip: proc_restartcore
 * for user space, vmx_pop_vm_ctx again with the guest's RIP. */
void sched_resume_program(uint64_t rip);
/* Ticks of the boot CPU's timer since boot: the clock of sys_sleep. */
uint64_t sched_ticks(void);

#endif
