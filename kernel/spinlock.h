/*
 * spinlock.h: irq-safe spinlocks that know their name and their owner.
 *
 *     uint64_t flags = spin_lock_irqsave(&l);
 *     ...
 *     spin_unlock_irqrestore(&l, flags);
 *
 * Taking a lock this CPU already holds, and releasing one it does not hold,
 * are bugs that would otherwise show up as a silent deadlock or a race;
 * both panic at once, naming the lock (as xv6's acquire/release do).
 *
 * The lock returns the interrupt state it found (as Chickadee's do) so the
 * caller cannot restore a state that was never saved, and nested locks
 * restore in the right order.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define SPINLOCK_NO_OWNER (-1)

struct spinlock {
	volatile uint32_t locked;
	int32_t owner;              /* core id of the holder, or NO_OWNER */
	const char *name;
	uintptr_t owner_pc;         /* where the holder took it, for reports */
};

/* For static locks: struct spinlock l = SPINLOCK_INIT("name"); */
#define SPINLOCK_INIT(nm) { .locked = 0, .owner = SPINLOCK_NO_OWNER, .name = (nm), .owner_pc = 0 }

void spinlock_init(struct spinlock *l, const char *name);

/* Disable interrupts, take the lock, return the previous interrupt state. */
uint64_t spin_lock_irqsave(struct spinlock *l);
/* Release the lock, then restore the interrupt state from spin_lock_irqsave. */
void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags);

/* For code that already runs with interrupts off (trap handlers). Panics
 * if interrupts are on, since an interrupt handler taking the same lock
 * would then deadlock this CPU. */
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);

/* True if this CPU holds l. */
bool spin_holding(const struct spinlock *l);

#endif
