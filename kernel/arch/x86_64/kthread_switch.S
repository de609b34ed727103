/*
 * kthread_switch.S: saving and resuming a kthread's kernel context, and
 * moving onto another kthread's stack (kernel/kthread.c).
 *
 * struct kernel_ctx (kthread.h): rbx rbp r12 r13 r14 r15 rsp rip, 8 bytes
 * each. Only callee-saved registers are kept: a kthread stops only inside a
 * call (sem_down/cv_wait), so the caller-saved ones are dead there.
 */
	.text

/* int save_kernel_ctx(struct kernel_ctx *ctx): like setjmp. Returns 0 now
 * and 1 when pop_kernel_ctx(ctx) resumes it, possibly on another core. */
	.globl save_kernel_ctx
save_kernel_ctx:
	movq %rbx, 0(%rdi)
	movq %rbp, 8(%rdi)
	movq %r12, 16(%rdi)
	movq %r13, 24(%rdi)
	movq %r14, 32(%rdi)
	movq %r15, 40(%rdi)
	leaq 8(%rsp), %rax          /* rsp after our return */
	movq %rax, 48(%rdi)
	movq (%rsp), %rax           /* our return address */
	movq %rax, 56(%rdi)
	xorl %eax, %eax
	ret

/* void pop_kernel_ctx(const struct kernel_ctx *ctx): resume it; never returns. */
	.globl pop_kernel_ctx
pop_kernel_ctx:
	movq 0(%rdi), %rbx
	movq 8(%rdi), %rbp
	movq 16(%rdi), %r12
	movq 24(%rdi), %r13
	movq 32(%rdi), %r14
	movq 40(%rdi), %r15
	movq 48(%rdi), %rsp
	movl $1, %eax
	jmpq *56(%rdi)

/* void call_on_stack(uintptr_t stacktop, void (*fn)(void *), void *arg):
 * switch to a fresh stack and call fn(arg), which must not return. RBP = 0
 * and a zero return address end the backtrace there. */
	.globl call_on_stack
call_on_stack:
	movq %rdi, %rsp
	xorl %ebp, %ebp
	movq %rdx, %rdi
	pushq $0
	jmpq *%rsi
