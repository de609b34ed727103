/*
 * spinlock.c: test-and-test-and-set locks with owner tracking.
 *
 * The owner is the core id, so recursion (this CPU already holds it) and a
 * foreign unlock (someone else holds it, or nobody does) are caught on the
 * spot. Both are reported with the lock's name and where it was taken,
 * then panic: a teaching kernel should fail loudly at the first misuse.
 *
 * A waiter that spins for SPIN_DEADLOCK_MS is taken to be deadlocked (a
 * lock cycle, or a holder that stopped): it panics naming the lock, its
 * holder and where the holder took it, which says more than a hang that
 * the runner's timeout would report much later. The time is TSC time, so
 * under the deterministic emulators the panic, too, comes at the same
 * point of every run.
 */
#include "kernel/spinlock.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/lapic.h"

#define SPIN_DEADLOCK_MS 5000

void spinlock_init(struct spinlock *l, const char *name)
{
	l->locked = 0;
	l->owner = SPINLOCK_NO_OWNER;
	l->name = name;
	l->owner_pc = 0;
}

bool spin_holding(const struct spinlock *l)
{
	return l->locked && l->owner == (int32_t)core_id();
}

static void acquire(struct spinlock *l, uintptr_t pc)
{
	if (spin_holding(l))
		panic("spinlock '%s': recursive acquire on core %u (first taken at %p)",
		      l->name, core_id(), (void *)l->owner_pc);

	/* Before the TSC is calibrated (early boot, one CPU) there is no
	 * deadline; nothing can hold a lock for long then anyway. */
	uint64_t deadline = tsc_khz() ? rdtsc() + tsc_khz() * SPIN_DEADLOCK_MS : 0;
	for (;;) {
		if (!__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
			break;
		/* Spin on a plain read so that waiters share the cache line
		 * instead of bouncing it with writes. */
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
			cpu_pause();
			if (deadline && rdtsc() > deadline)
				panic("spinlock '%s': core %u waited %d ms; held by core %d "
				      "(taken at %p): deadlock?", l->name, core_id(),
				      SPIN_DEADLOCK_MS, l->owner, (void *)l->owner_pc);
		}
	}
	l->owner = (int32_t)core_id();
	l->owner_pc = pc;
	this_cpu()->locks_held++;
}

static void release(struct spinlock *l)
{
	if (!l->locked)
		panic("spinlock '%s': unlock on core %u, but it is not held",
		      l->name, core_id());
	if (l->owner != (int32_t)core_id())
		panic("spinlock '%s': unlock on core %u, but core %d holds it (taken at %p)",
		      l->name, core_id(), l->owner, (void *)l->owner_pc);

	l->owner = SPINLOCK_NO_OWNER;
	l->owner_pc = 0;
	this_cpu()->locks_held--;
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = irq_save();
	acquire(l, (uintptr_t)__builtin_return_address(0));
	return flags;
}

void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	release(l);
	irq_restore(flags);
}

void spin_lock(struct spinlock *l)
{
	if (irqs_enabled())
		panic("spinlock '%s': spin_lock with interrupts on (use spin_lock_irqsave)",
		      l->name);
	acquire(l, (uintptr_t)__builtin_return_address(0));
}

void spin_unlock(struct spinlock *l)
{
	release(l);
}
