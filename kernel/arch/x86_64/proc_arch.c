/*
 * proc_arch.c: the x86 side of the process model (see proc_arch.h).
 */
#include "kernel/arch/x86_64/proc_arch.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/bugs.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "trace/trace.h"

extern uint64_t boot_pml4[];

static const struct proc_vmx_ops *vmx_ops;

void proc_register_vmx_ops(const struct proc_vmx_ops *ops)
{
	vmx_ops = ops;
}

/* Akaros's fix (Jan 2017, "Flush the VMCS when changing owning_proc"): the
 * VMCS the core lazily holds belongs to owning_proc, whose ref still pins
 * its GPC here. */
void __clear_owning_proc(uint32_t coreid)
{
	(void)coreid;
	if (!bug_on(BUG_ABANDON_CORE) && vmx_ops && vmx_ops->vmx_clear_vmcs)
		vmx_ops->vmx_clear_vmcs();
}

/* The 2017 ordering, put back by bugs=abandon_core: clear the VMCS when
 * leaving cur_proc's address space, trusting that cur_proc is the process
 * whose VMCS lingers and that its ref keeps the GPC alive. A kthread
 * restart breaks both (step 8 of the abandon-core chain). */
void __abandon_core_arch(void)
{
	if (bug_on(BUG_ABANDON_CORE) && vmx_ops && vmx_ops->vmx_clear_vmcs)
		vmx_ops->vmx_clear_vmcs();
}

void proc_arch_free(struct proc *p)
{
	if (vmx_ops && vmx_ops->proc_free)
		vmx_ops->proc_free(p);
}

void proc_arch_pop_ctx(struct user_context *ctx)
{
	if (ctx->type == USER_CTX_VM) {
		if (!vmx_ops || !vmx_ops->pop_vm_ctx)
			panic("proc_arch_pop_ctx: a VM context but no VMX layer");
		vmx_ops->pop_vm_ctx(ctx);
	}
	if (ctx->type != USER_CTX_HW)
		panic("proc_arch_pop_ctx: context type %u", ctx->type);
	user_ctx_pop_hw(ctx);
}

void proc_arch_load_cr3(uint64_t cr3, int pid)
{
	uint64_t old = read_cr3();

	if (old == cr3)
		return;
	trace_cr3_switch(old, cr3, pid);
	write_cr3(cr3);
}

uint64_t proc_arch_boot_cr3(void)
{
	/* boot_pml4 sits in the kernel image, not the direct map. */
	return (uint64_t)(uintptr_t)boot_pml4 - KERNEL_VMA_BASE;
}

void proc_arch_set_kstack(uintptr_t stacktop)
{
	tss_set_rsp0(core_id(), stacktop);
	this_cpu()->syscall_kstack = stacktop;
}

void proc_arch_idle_halt(void)
{
	asm volatile("sti; hlt; cli" ::: "memory");
}
