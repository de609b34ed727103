/*
 * trapframe_asm.h: struct trapframe (kernel/trap.h) as the entry and exit
 * code sees it. The general registers are pushed in one order and popped
 * in the other by three paths (trap entry, iretq exit, SYSRET exit); the
 * macros keep that order, and so the C struct, in one place.
 */
#ifndef KERNEL_ARCH_X86_64_TRAPFRAME_ASM_H
#define KERNEL_ARCH_X86_64_TRAPFRAME_ASM_H

#ifndef __ASSEMBLER__
#error "trapframe_asm.h is for .S files; C code uses struct trapframe"
#endif

/* struct trapframe offset of CS, counted from the vector field. */
#define TF_CS_FROM_VECTOR 24

/* Below the vector: rax first, r15 last, so r15 is at the lowest address
 * (the struct's first field). */
	.macro PUSH_GPRS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	.endm

/* From RSP pointing at r15, up to the vector field. */
	.macro POP_GPRS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	.endm

#endif
