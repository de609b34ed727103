/*
 * percpu.c: the per-CPU blocks and the count of CPUs online.
 *
 * The blocks are static rather than allocated: the boot CPU needs its block
 * before the page allocator exists (spinlocks record their owner's core id),
 * and a fixed address per core makes them easy to find from GDB.
 */
#include "kernel/percpu.h"
#include "kernel/printk.h"

struct per_cpu_info per_cpu_infos[MAX_CPUS];

/* Written by the boot CPU only, read by everyone. */
static volatile uint32_t cores_online;

uint32_t num_cores(void)
{
	return cores_online;
}

static void claim(uint32_t core)
{
	struct per_cpu_info *pc = per_cpu(core);

	/* smp.c fills apic_id and boot_stack_top before starting an AP, so
	 * only the identity fields are set here. */
	pc->self = pc;
	pc->core_id = core;
	gs_set_base(pc);
}

void percpu_init_bsp(void)
{
	/* The boot CPU's LAPIC ID is filled in by lapic_init(). */
	claim(0);
	cores_online = 1;
}

void percpu_init_ap(uint32_t core)
{
	if (core == 0 || core >= MAX_CPUS)
		panic("percpu_init_ap: bad core %u", core);
	claim(core);
}

void percpu_set_online_count(uint32_t n)
{
	if (n > MAX_CPUS || n < cores_online)
		panic("percpu_set_online_count: %u after %u", n, cores_online);
	cores_online = n;
}
