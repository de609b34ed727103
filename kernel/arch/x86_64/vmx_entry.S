/*
 * vmx_entry.S: VM entry and the VM-exit landing pad (hardware backend).
 *
 * A VM entry abandons the kernel stack it was made from, like a return to
 * user mode: HOST_RSP is the top of this core's kernel stack (TSS.RSP0),
 * so every VM exit starts on a fresh stack, like a trap from user mode,
 * and ends in vmx_vmexit(), which never returns.
 *
 * struct guest_regs (vmx/gpc.h): rax rbx rcx rdx rsi rdi rbp r8..r15.
 */
#include "kernel/arch/x86_64/vmx_asm.h"

#define GR_RAX 0
#define GR_RBX 8
#define GR_RCX 16
#define GR_RDX 24
#define GR_RSI 32
#define GR_RDI 40
#define GR_RBP 48
#define GR_R8  56
#define GR_R9  64
#define GR_R10 72
#define GR_R11 80
#define GR_R12 88
#define GR_R13 96
#define GR_R14 104
#define GR_R15 112

	/* Record a ud2 as the fail site of instruction `id` (vmx_fail.c). */
	.macro FAIL_SITE id
9:	ud2
	.pushsection .vmx_fail_sites, "a"
	.balign 8
	.quad 9b, \id
	.popsection
	.endm

	.text
	/* void vmx_hw_enter(struct guest_regs *regs, uint64_t launch)
	 * Interrupts are off; the current VMCS has every field written. */
	.globl vmx_hw_enter
vmx_hw_enter:
	testq %rsi, %rsi
	movq GR_RBX(%rdi), %rbx
	movq GR_RCX(%rdi), %rcx
	movq GR_RDX(%rdi), %rdx
	movq GR_RSI(%rdi), %rsi
	movq GR_RBP(%rdi), %rbp
	movq GR_R8(%rdi), %r8
	movq GR_R9(%rdi), %r9
	movq GR_R10(%rdi), %r10
	movq GR_R11(%rdi), %r11
	movq GR_R12(%rdi), %r12
	movq GR_R13(%rdi), %r13
	movq GR_R14(%rdi), %r14
	movq GR_R15(%rdi), %r15
	movq GR_RAX(%rdi), %rax
	movq GR_RDI(%rdi), %rdi
	/* The flags of the testq above survive the movs. */
	jz 1f
	vmlaunch
	/* Still here: VMfailInvalid or VMfailValid. */
	FAIL_SITE VMXI_VMLAUNCH
1:	vmresume
	FAIL_SITE VMXI_VMRESUME

	/* HOST_RIP of every VMCS. RSP = HOST_RSP, interrupts off, GS base =
	 * HOST_GS_BASE (this core's per_cpu_info). */
	.globl vmx_hw_exit_entry
vmx_hw_exit_entry:
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %r11
	pushq %r10
	pushq %r9
	pushq %r8
	pushq %rbp
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rbx
	pushq %rax
	movq %rsp, %rdi
	/* 15 pushes from a 16-aligned top: realign for the call. */
	subq $8, %rsp
	cld
	call vmx_hw_exit
	ud2
