/*
 * trapentry.S: the 256 interrupt entry stubs and the common path to
 * trap_dispatch(struct trapframe *) in kernel/trap.c.
 *
 * Each stub makes the stack look the same for every vector: it pushes a 0
 * where the CPU pushed no error code, then the vector number. The common
 * path then saves the general registers, so the stack holds a complete
 * struct trapframe (kernel/trap.h; the push order here is its field order
 * reversed).
 *
 * Every stub is 16 bytes (padded), so idt.c finds stub n at
 * trap_stubs + 16 * n with no table.
 *
 * From user mode (CS.RPL = 3) the kernel's GS base is swapped in on entry
 * and swapped back on exit, so %gs always reaches per_cpu_info in the kernel.
 */
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/arch/x86_64/trapframe_asm.h"

	.macro TRAP_STUB n
	.balign 16
	.if \n >= 32
	pushq $0
	.elseif ((T_ERRCODE_MASK >> \n) & 1) == 0
	pushq $0
	.endif
	pushq $\n
	jmp trap_common
	.endm

	.text
	.balign 16
	.globl trap_stubs
trap_stubs:
	/* altmacro: %vec passes the counter's value, not its name. At most
	 * 2 + 5 + 5 bytes per stub, so .balign 16 keeps the stride; idt.c
	 * checks trap_stubs_end at boot. */
	.altmacro
	.set vec, 0
	.rept NUM_VECTORS
	TRAP_STUB %vec
	.set vec, vec + 1
	.endr
	.noaltmacro
	.balign 16
	.globl trap_stubs_end
trap_stubs_end:

trap_common:
	testb $3, TF_CS_FROM_VECTOR(%rsp)
	jz trap_save_regs
	swapgs
	/* syscall_entry.S joins here: it has swapped GS and pushed the
	 * hardware part of the frame, vector and error code itself. */
	.globl trap_save_regs
trap_save_regs:
	PUSH_GPRS
	/* The CPU aligned RSP to 16 before its pushes; 22 quadwords since
	 * keep it aligned for the C call. */
	cld
	movq %rsp, %rdi
	call trap_dispatch

	/* void trap_return(struct trapframe *tf): leave the kernel through
	 * a trap frame, as if returning from the trap that built it. */
	.globl trap_return
	movq %rsp, %rdi
trap_return:
	movq %rdi, %rsp
	POP_GPRS
	testb $3, TF_CS_FROM_VECTOR(%rsp)
	jz 2f
	swapgs
2:
	addq $16, %rsp          /* vector and error code */
	iretq
