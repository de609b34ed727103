/*
 * gpc.h: guest pcores (Akaros's struct guest_pcore) and the VMCS lifecycle.
 *
 * A GPC is one virtual CPU of a VMM process: its VMCS page and the guest's
 * general registers. GPCs live in a static table, GPCS_PER_PROC slots per
 * proc slot, so `gpc->proc` is a fixed pointer into proc_table: a weak,
 * uncounted pointer as in Akaros. When the proc is freed, its slot is
 * reset (EPTP 0) and its GPCs' VMCS pages go back to the allocator; the
 * GPC slot keeps its `proc` and `vmcs` fields, as Akaros's kfree left the
 * bytes in place. A stale gpc_to_clear_to therefore reaches VMCLEAR of a
 * freed page and INVEPT with EPTP 0, exactly the 2017 crash.
 *
 * The lazy VMCS policy (Akaros, Dec 2016):
 *   vmx_load_guest_pcore    makes the GPC's VMCS current here: nothing to do
 *                           if it lingers on this core; otherwise clear
 *                           this core's own lingering VMCS, ask the core
 *                           that holds this one to VMCLEAR it (immediate
 *                           KMSG), then VMPTRLD.
 *   vmx_unload_guest_pcore  after a VM exit: leave the VMCS current, record
 *                           it in this core's gpc_to_clear_to.
 *   vmx_clear_vmcs          VMCLEAR the lingering VMCS, then single-context
 *                           INVEPT with the EPTP read through gpc->proc.
 */
#ifndef VMX_GPC_H
#define VMX_GPC_H

#include <stdint.h>
#include <stdbool.h>
#include "kernel/proc.h"
#include "kernel/mm.h"

#define GPCS_PER_PROC 2

/* The guest's general registers; the VMCS holds RIP, RSP and RFLAGS.
 * The layout is known to vmx_entry.S (it pushes r15 first, rax last). */
struct guest_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct guest_pcore {
	struct proc *proc;		/* weak: never counted (Akaros) */
	uint32_t gpcid;			/* index among its proc's GPCs */
	bool in_use;
	bool dead;			/* the VM was killed: no more entries */
	void *vmcs;			/* kernel address of the VMCS page */
	/* Where the VMCS is current or lingers, -1 nowhere. Written by the
	 * holding core; polled by a core waiting for a remote VMCLEAR. */
	volatile int vmcs_core_id;
	bool should_vmresume;		/* launched where it lingers: VMRESUME */
	int running_core;		/* core between VM entry and exit, or -1 */
	struct guest_regs regs;
	/* The VMM's own context while its guest runs (sys_vmm_run), and
	 * where to report the exit that hands control back to it. */
	struct user_context vmm_ctx;
	uint64_t exit_out;		/* user address of a struct vmm_exit */
};

/* Allocate GPC gpcid of p with a fresh VMCS (VMCLEARed, fields set up
 * for a guest that starts at rip with stack rsp); NULL if taken. */
struct guest_pcore *gpc_create(struct proc *p, uint32_t gpcid, uint64_t rip, uint64_t rsp);
struct guest_pcore *gpc_lookup(struct proc *p, uint32_t gpcid);
/* Free every GPC of p (from __proc_free): VMCS pages back, poisoned. */
void gpc_free_all(struct proc *p);

/* Interrupts must be off for all three: they touch this core's VMCS. */
void vmx_load_guest_pcore(struct guest_pcore *gpc);
void vmx_unload_guest_pcore(struct guest_pcore *gpc);
void vmx_clear_vmcs(void);

/* Enter the guest of a USER_CTX_VM context (proc_vmx_ops.pop_vm_ctx, from
 * proc_restartcore): load its GPC here and VMLAUNCH or VMRESUME. */
void vmx_pop_vm_ctx(struct user_context *ctx) __attribute__((noreturn));

/* The EPTP of a GPC's process, read through the weak pointer. */
static inline uint64_t gpc_get_eptp(struct guest_pcore *gpc)
{
	return gpc->proc->eptp;
}

static inline uint64_t gpc_vmcs_pa(const struct guest_pcore *gpc)
{
	return V2P(gpc->vmcs);
}

#endif
