/*
 * smp.h: bringing up the other CPUs, IPIs between cores, and stopping
 * everyone else when one core panics.
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <stdint.h>

/* Physical page the AP trampoline is copied to (HACKING.md). */
#define TRAMPOLINE_PHYS 0x8000

/* Find the CPUs (ACPI MADT) and start every AP, one at a time in MADT
 * order, each printing "CPU n online"; then print "CPUs online: N". Needs
 * mm, per-CPU state, the LAPIC and the IDT. The kernel page tables must
 * still identity-map low memory (the trampoline runs at 0x8000). */
void smp_boot_aps(void);

/* Raise `vector` on core `cpu` (a core id, not an APIC ID). */
void send_ipi(uint32_t cpu, uint8_t vector);

/* For panic: stop every other online core (IPI_STOP_VECTOR; an NMI for a
 * core that does not answer, e.g. one spinning with interrupts off) and
 * return once each has said it stopped, or after a bounded wait. The
 * stopped cores halt with interrupts off. Safe to call at any point of
 * boot, including before per-CPU state exists. */
void smp_stop_others(void);

/* `smp_panic_test=ap|irqs_off` (kernel/smp_ktest.c): panic with the other
 * cores running, so tests can check that smp_stop_others stops them (by
 * IPI, or by NMI when they have interrupts off). Returns at once when the
 * option is absent. */
void smp_panic_test_run(void);

#endif
