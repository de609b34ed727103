/*
 * lapic.h: the local APIC (xAPIC, memory-mapped): timer, EOI, IPIs.
 *
 * The legacy 8259 PIC is masked for good in lapic_init(); the LAPIC timer
 * is the only clock interrupt, and IPIs are the only cross-CPU signal.
 */
#ifndef KERNEL_ARCH_X86_64_LAPIC_H
#define KERNEL_ARCH_X86_64_LAPIC_H

#include <stdint.h>
#include "kernel/trap.h"

/* Boot CPU: mask the PIC, enable its LAPIC, calibrate the LAPIC timer and
 * the TSC against the PIT, register the timer and spurious handlers, and
 * start its timer. Needs per-CPU state (records this CPU's APIC ID) and
 * the IDT. */
void lapic_init(void);
/* An AP: enable its LAPIC, record its APIC ID, start its timer (with the
 * boot CPU's calibration). */
void lapic_init_ap(void);

/* This CPU's LAPIC ID, read from the LAPIC itself. */
uint32_t lapic_id(void);
/* End of interrupt: every LAPIC-delivered handler sends it (not for the
 * spurious vector). */
void lapic_eoi(void);

/* A fixed-delivery IPI carrying `vector` to the CPU with this APIC ID. */
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
/* An NMI to that CPU: gets through even with interrupts off. */
void lapic_send_nmi(uint32_t apic_id);
/* The AP start-up sequence's two messages (Intel SDM Vol. 3, 8.4.4). */
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint64_t trampoline_phys);

/* Called on every timer tick of every CPU, after the EOI, with interrupts
 * off. NULL (the default) means nobody listens. The scheduler sets it to
 * drive preemption; it may switch away and return later. */
extern void (*volatile timer_tick_hook)(struct trapframe *tf);

/* Timer frequency (`timer_hz=`, default 100; 0 leaves the timer off). */
uint32_t lapic_timer_hz(void);

/* TSC frequency in kHz as calibrated against the PIT (for the trace header
 * and for delays). Rounded to whole MHz, so small calibration jitter does
 * not change it between boots. */
uint64_t tsc_khz(void);
/* Busy-wait at least `us` microseconds (TSC-based; needs lapic_init). */
void udelay(uint64_t us);

#endif
