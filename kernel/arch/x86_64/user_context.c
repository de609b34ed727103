/*
 * user_context.c: building, checking and popping ring-3 contexts.
 */
#include "kernel/arch/x86_64/user_context.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/arch/x86_64/syscall_arch.h"
#include "kernel/string.h"

void user_ctx_from_trapframe(struct user_context *ctx, const struct trapframe *tf)
{
	ctx->type = USER_CTX_HW;
	ctx->vm_gpc = 0;
	ctx->tf = *tf;
}

void user_ctx_init(struct user_context *ctx, uint64_t rip, uint64_t rsp)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->type = USER_CTX_HW;
	ctx->tf.rip = rip;
	ctx->tf.rsp = rsp;
	ctx->tf.cs = GDT_UCODE;
	ctx->tf.ss = GDT_UDATA;
	ctx->tf.rflags = RFLAGS_IF | 0x2; /* bit 1 is always set */
}

bool user_ctx_sanitize(struct user_context *ctx)
{
	struct trapframe *tf = &ctx->tf;

	tf->cs = GDT_UCODE;
	tf->ss = GDT_UDATA;
	tf->rflags = user_rflags_sanitize(tf->rflags);
	/* iretq to a non-canonical RIP faults in ring 0: refuse it here. */
	return tf->rip < USER_ADDR_END && tf->rsp <= USER_ADDR_END;
}

void user_ctx_pop_hw(const struct user_context *ctx)
{
	/* trap_return moves RSP to the frame and pops it, so the frame must
	 * sit on this stack, not in the context (which stays valid). */
	struct trapframe tf = ctx->tf;

	if (syscall_frame_can_sysret(&tf))
		sysret_to_user(&tf);
	trap_return(&tf);
}
