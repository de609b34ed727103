/*
 * syscall_entry.S: the SYSCALL instruction's way into the kernel, and
 * SYSRET's way out.
 *
 * SYSCALL saves only RIP (in RCX) and RFLAGS (in R11), loads CS/SS from
 * STAR and masks RFLAGS with SFMASK (IF, TF, DF, AC, NT: no interrupt,
 * no single step until we have a stack). It does not switch stacks, so
 * the entry swaps GS, parks the user RSP in per_cpu_info and loads the
 * kernel stack from there, then builds the same struct trapframe that an
 * interrupt gate would have (vector SYSCALL_VECTOR, error 0) and joins
 * trapentry.S after its swapgs. From there on a system call is a trap like
 * any other: the user context, kthreads and proc_restartcore need no
 * second path.
 *
 * Why not `int $0x80`: SYSCALL is the entry x86-64 kernels use (Linux,
 * Akaros, Chickadee) and reads no IDT or TSS. And on a KVM host without
 * VMX or SVM (kvm_pvm), `int n` does not run at all: KVM has to emulate
 * it, cannot in long mode, and stops the guest (ring 0) or gives it #UD
 * (ring 3). SYSCALL runs there, though without its privilege change:
 * syscall_arch.c finishes that one from the #PF it causes.
 *
 * Left open: an NMI that lands between SYSCALL and the swapgs finds the
 * user's GS base (Linux's NMI entry reads MSR_GS_BASE to tell). tkern
 * sends NMIs only to stop the other cores at a panic.
 */
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/trapframe_asm.h"

/* struct per_cpu_info offsets (kernel/percpu.h asserts them). */
#define PCPU_SYSCALL_KSTACK   8
#define PCPU_SYSCALL_USER_RSP 16

/* The hardware part of a ring-3 trap frame, for the instruction SYSCALL
 * came from: SS, RSP, RFLAGS, CS, RIP, then error code and vector. */
	.macro USER_FRAME cs, vector
	swapgs
	movq %rsp, %gs:PCPU_SYSCALL_USER_RSP
	movq %gs:PCPU_SYSCALL_KSTACK, %rsp
	pushq $GDT_UDATA
	pushq %gs:PCPU_SYSCALL_USER_RSP
	pushq %r11
	pushq $\cs
	pushq %rcx
	pushq $0
	pushq $\vector
	.endm

	.text
/* LSTAR: SYSCALL from 64-bit user code. */
	.globl syscall_entry
syscall_entry:
	USER_FRAME GDT_UCODE, SYSCALL_VECTOR
	jmp trap_save_regs

/* CSTAR: SYSCALL from compatibility mode (a de-privileged guest of the
 * emulated VMX backend, or a process that far-jumped into 32-bit code).
 * Intel CPUs raise #UD there; AMD CPUs enter here. Make it the #UD that
 * Intel gives, at the SYSCALL itself (2 bytes back), so that both vendors
 * report one outcome. RCX is already lost, as on AMD. */
	.globl syscall_entry_compat
syscall_entry_compat:
	subl $2, %ecx
	USER_FRAME GDT_UCODE32, T_INVALID_OP
	jmp trap_save_regs

/* void sysret_to_user(const struct trapframe *tf): leave for 64-bit ring 3
 * through SYSRET with every register from tf. The caller has checked that
 * tf->rcx == tf->rip, tf->r11 == tf->rflags and that RIP is canonical user
 * space (SYSRET to a non-canonical RIP faults in ring 0 on Intel). */
	.globl sysret_to_user
sysret_to_user:
	cli
	movq %rdi, %rsp
	POP_GPRS
	/* vector, error, rip, cs, rflags: RCX and R11 already hold rip and
	 * rflags; then the user RSP. */
	movq 5*8(%rsp), %rsp
	swapgs
	sysretq

	.section .note.GNU-stack, "", @progbits
