/*
 * crt0.S: where a user program starts, and the signal trampoline.
 *
 * The kernel starts _start with RDI = "name args..." (a string on the
 * stack) and RSP = 16n - 8, as if _start had been called.
 */
#define SYSCALL(n, name) .equ SYS_##name, n
#include "kernel/syscall.def"
#undef SYSCALL

	.text
	.globl _start
_start:
	xorl %ebp, %ebp
	andq $-16, %rsp
	call ulib_start
	ud2

/* __sig_trampoline(sig, handler, frame): entered by signal delivery with
 * RSP = frame (16-byte aligned). Calls handler(sig), then sigreturn(frame),
 * which restores the interrupted registers (R12 included). */
	.globl __sig_trampoline
__sig_trampoline:
	movq %rdx, %r12
	call *%rsi
	movq %r12, %rdi
	movl $SYS_sigreturn, %eax
	syscall
	ud2

	.section .note.GNU-stack, "", @progbits
