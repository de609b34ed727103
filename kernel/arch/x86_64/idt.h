/* idt.h: the interrupt descriptor table (one, shared by all CPUs). */
#ifndef KERNEL_ARCH_X86_64_IDT_H
#define KERNEL_ARCH_X86_64_IDT_H

#include <stdint.h>

/* Fill all 256 gates with the entry stubs of trapentry.S and load the IDT
 * on the boot CPU. Needs gdt_init() first (the gates name GDT_KCODE and the
 * IST stacks live in the TSS). */
void idt_init(void);
/* Load the (already built) IDT on the calling CPU: for APs. */
void idt_load(void);
/* Let ring 3 raise `vector` with `int` (e.g. a system-call gate). */
void idt_allow_user(uint8_t vector);

#endif
