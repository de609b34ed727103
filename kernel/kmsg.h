/*
 * kmsg.h: kernel messages (Akaros's KMSGs): a function to run on a given
 * core, with three arguments.
 *
 * Each core has two FIFO queues. Immediate messages run in the IPI handler
 * and must return. Routine messages run at safe points (before returning to
 * user space in proc_restartcore, and in smp_idle) and may not return (e.g.
 * __launch_kthread). Sending to another core raises IPI_KMSG_VECTOR there;
 * a routine message to one's own core raises nothing, it simply waits for
 * the next safe point. Every send, dispatch begin and end is traced.
 */
#ifndef KERNEL_KMSG_H
#define KERNEL_KMSG_H

#include <stdint.h>
#include "kernel/spinlock.h"

#define KMSG_IMMEDIATE 1
#define KMSG_ROUTINE 2

typedef void (*amr_t)(uint32_t srcid, long a0, long a1, long a2);

struct kernel_message {
	struct kernel_message *next;
	uint32_t srcid, dstid;
	amr_t pc;
	long arg0, arg1, arg2;
	int type;
};

struct kmsg_fifo {
	struct kernel_message *head, *tail;
	uint32_t depth;
};

/* Per-core queues, embedded in struct per_cpu_info as `kmsgs`. */
struct kmsg_queues {
	struct spinlock lock;
	struct kmsg_fifo immediate;
	struct kmsg_fifo routine;
};

void kmsg_init(void);          /* once, on the BSP: all queues, the IPI handler */
void send_kernel_message(uint32_t dst, amr_t pc, long a0, long a1, long a2, int type);
/* Run every routine message queued to this core (irqs off). A message may
 * not return; the ones after it then run at the next safe point. */
void process_routine_kmsg(void);
/* Run the immediate ones (the IPI handler, or a poll with irqs off). */
void process_immediate_kmsg(void);
int kmsg_routine_pending(void);
/* How many IPIs this core has sent for KMSGs (the no-IPI-to-self test). */
uint64_t kmsg_ipis_sent(void);

#endif
