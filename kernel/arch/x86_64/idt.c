/*
 * idt.c: the IDT. Every vector is an interrupt gate (IF cleared on entry,
 * so handlers start with interrupts off) into its stub in trapentry.S,
 * which funnels all of them into trap_dispatch().
 *
 * Exceptions that may arrive on a broken stack run on IST stacks from the
 * TSS: a double fault (often a kernel stack overflow), NMI and machine
 * check can then still print their report.
 */
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/printk.h"

#define GATE_INTERRUPT 0xe
#define STUB_SIZE 16

struct __attribute__((packed)) idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;        /* bits 0..2: IST index, 0 = current stack */
	uint8_t type_attr;  /* P, DPL, type */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};

extern const char trap_stubs[], trap_stubs_end[];

static struct idt_gate idt[NUM_VECTORS] __attribute__((aligned(16)));

static void set_gate(unsigned v, uint64_t handler, unsigned ist, unsigned dpl)
{
	idt[v] = (struct idt_gate){
		.offset_lo = handler & 0xffff,
		.selector = GDT_KCODE,
		.ist = ist & 7,
		.type_attr = 0x80 | (dpl << 5) | GATE_INTERRUPT,
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_hi = handler >> 32,
	};
}

void idt_init(void)
{
	/* The stubs are found by stride; a stub grown past 16 bytes would
	 * send every later vector to the wrong place. */
	if (trap_stubs_end - trap_stubs != STUB_SIZE * NUM_VECTORS)
		panic("idt: trap stubs are %ld bytes, expected %d",
		      (long)(trap_stubs_end - trap_stubs), STUB_SIZE * NUM_VECTORS);

	for (unsigned v = 0; v < NUM_VECTORS; v++)
		set_gate(v, (uint64_t)trap_stubs + STUB_SIZE * v, 0, 0);
	idt[T_DOUBLE_FAULT].ist = IST_DOUBLE_FAULT;
	idt[T_NMI].ist = IST_NMI;
	idt[T_MACHINE_CHECK].ist = IST_MACHINE_CHECK;
	/* int3 from user mode is allowed, as on every OS (debuggers). */
	idt_allow_user(T_BREAKPOINT);
	idt_load();
}

void idt_load(void)
{
	struct desc_ptr p = { .limit = sizeof idt - 1, .base = (uint64_t)idt };
	lidt(&p);
}

void idt_allow_user(uint8_t vector)
{
	idt[vector].type_attr |= 3 << 5;
}
