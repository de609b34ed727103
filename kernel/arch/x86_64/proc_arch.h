/*
 * proc_arch.h: the process model's arch hooks (Akaros: arch/x86/process64.c).
 *
 * VMX plugs into the process model here, without the core kernel including
 * vmx/: at boot the VMX layer registers its operations, and the hooks below
 * call them at the points Akaros did.
 *
 *   __clear_owning_proc(coreid)  clear_owning_proc() calls it *before* it
 *       drops the owning_proc ref: the fixed kernel VMCLEARs the core's
 *       lazily held VMCS here, while the ref still keeps the GPC alive.
 *   __abandon_core_arch()  __abandon_core() calls it first; with the bug flag
 *       abandon_core (2017's ordering) the VMCLEAR happens here instead.
 *   proc_arch_free(p)  __proc_free() calls it: free GPCs and VMCS pages,
 *       zero the EPT pointer.
 * and proc_restartcore() resumes a USER_CTX_VM context through
 * proc_vmx_ops.pop_vm_ctx (a VM entry instead of iretq), set by vmx/.
 */
#ifndef KERNEL_ARCH_X86_64_PROC_ARCH_H
#define KERNEL_ARCH_X86_64_PROC_ARCH_H

#include <stdint.h>
#include "kernel/arch/x86_64/user_context.h"

struct proc;

struct proc_vmx_ops {
	/* VMCLEAR this core's lazily held VMCS (gpc_to_clear_to), if any,
	 * then INVEPT its EPT: Akaros's vmx_clear_vmcs(). */
	void (*vmx_clear_vmcs)(void);
	/* Free everything VMX hung on p (GPCs, VMCS pages, EPT). */
	void (*proc_free)(struct proc *p);
	/* Enter the guest of a USER_CTX_VM context; never returns. */
	void (*pop_vm_ctx)(struct user_context *ctx) __attribute__((noreturn));
};

/* Called once by the VMX layer at boot, before the first process runs. */
void proc_register_vmx_ops(const struct proc_vmx_ops *ops);

void __clear_owning_proc(uint32_t coreid);
void __abandon_core_arch(void);
void proc_arch_free(struct proc *p);
__attribute__((noreturn)) void proc_arch_pop_ctx(struct user_context *ctx);

/* Load an address space (CR3), traced with the pid it belongs to. */
void proc_arch_load_cr3(uint64_t cr3, int pid);
/* The kernel's own page tables (boot_pml4), for cores without a process. */
uint64_t proc_arch_boot_cr3(void);
/* Where a trap from ring 3 lands on this core: the kthread's stack top. */
void proc_arch_set_kstack(uintptr_t stacktop);
/* Enable interrupts and halt, atomically (sti's one-instruction shadow
 * covers hlt), so a wake-up IPI cannot slip in between. */
void proc_arch_idle_halt(void);

#endif
