/*
 * vectors.h: the interrupt vector numbers, in one place so that no two
 * layers pick the same one. Usable from C and from assembly.
 */
#ifndef KERNEL_ARCH_X86_64_VECTORS_H
#define KERNEL_ARCH_X86_64_VECTORS_H

/* CPU exceptions (Intel SDM Vol. 3, 6.3.1). */
#define T_DIVIDE      0   /* #DE Divide Error */
#define T_DEBUG       1   /* #DB */
#define T_NMI         2
#define T_BREAKPOINT  3   /* #BP */
#define T_OVERFLOW    4   /* #OF */
#define T_BOUND       5   /* #BR */
#define T_INVALID_OP  6   /* #UD Invalid Opcode */
#define T_NO_DEVICE   7   /* #NM */
#define T_DOUBLE_FAULT 8  /* #DF (error code, always 0) */
#define T_COPROC_SEG  9
#define T_INVALID_TSS 10  /* #TS (error code) */
#define T_SEG_NOT_PRESENT 11 /* #NP (error code) */
#define T_STACK_FAULT 12  /* #SS (error code) */
#define T_GP_FAULT    13  /* #GP (error code) */
#define T_PAGE_FAULT  14  /* #PF (error code, CR2) */
#define PF_ERR_USER   4   /* #PF error code: the access was made in ring 3 */
#define T_X87_FP      16  /* #MF */
#define T_ALIGNMENT   17  /* #AC (error code) */
#define T_MACHINE_CHECK 18 /* #MC */
#define T_SIMD_FP     19  /* #XM */
#define T_VIRT        20  /* #VE */
#define T_CONTROL_PROT 21 /* #CP (error code) */
#define T_HV_INJECT   28
#define T_VMM_COMM    29  /* #VC (error code) */
#define T_SECURITY    30  /* #SX (error code) */
#define T_NUM_EXCEPTIONS 32

/* The vectors that push an error code, as a bit mask (trapentry.S). */
#define T_ERRCODE_MASK ((1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | \
			(1 << 13) | (1 << 14) | (1 << 17) | (1 << 21) | \
			(1 << 29) | (1 << 30))

/* Device and inter-processor interrupts (LAPIC). */
#define IRQ_TIMER_VECTOR  0x20   /* LAPIC timer */
/* Not an IDT gate: the `vector` a SYSCALL instruction's trap frame carries
 * (syscall_entry.S), so that trap_dispatch routes it to kernel/syscall.c. */
#define SYSCALL_VECTOR    0x80
#define IPI_KMSG_VECTOR   0xf0   /* kernel message queued for this core */
#define IPI_STOP_VECTOR   0xf1   /* panic elsewhere: stop this core */
#define SPURIOUS_VECTOR   0xff   /* LAPIC spurious interrupt */

/* Software interrupt used only by the trap round-trip self-test. */
#define KTEST_TRAP_VECTOR 0xee
/* IPI used only by the per-CPU self-tests (kernel/smp_ktest.c). */
#define KTEST_IPI_VECTOR  0xed

#define NUM_VECTORS 256

#endif
