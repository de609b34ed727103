/*
 * vmexit.c: running a guest pcore for its VMM process, and what happens
 * at each VM exit.
 *
 * A VMM process runs its guest the Akaros way: the guest is the process's
 * context. sys_vmm_run() saves the VMM's own user context in the GPC and
 * turns the core's context into a VM context (USER_CTX_VM); the syscall's
 * return path (proc_restartcore) pops it through vmx_pop_vm_ctx(), which
 * loads the GPC (lazily) and enters the guest. A VM exit lands on a fresh
 * kernel stack in vmx_vmexit(), which "finalizes" the context: the VMCS
 * is unloaded lazily and stays current on the core (gpc_to_clear_to).
 * Then either the guest goes on (an interrupt the host took, nothing for
 * the VMM to see) through proc_restartcore() again, which also runs any
 * routine KMSG first (__death!), or the VMM gets its context back with
 * sys_vmm_run's result: the exit (VMCALL, HLT, EPT violation, anything
 * else), or an interrupt that left a signal to deliver.
 *
 * A guest touching guest-physical memory its VMM never mapped (EPT
 * violation) kills the VM: the GPC is marked dead and the VMM is told.
 * The kernel never trusts the guest to be well-behaved.
 */
#include "vmx/vmx.h"
#include "vmx/vmm_abi.h"
#include "vmx/backend.h"
#include "vmx/ept.h"
#include "vmx/gpc.h"
#include "vmx/vmcs_setup.h"
#include "vmx/vmx_arch.h"
#include "vmx/vmcs_fields.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/vmx_asm.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "trace/trace.h"

/* Guest-physical memory a VMM may map: the guest runs without paging in
 * 32-bit mode, and the emulated backend maps it 1:1 in the lower half. */
#define GUEST_PHYS_LIMIT (1ull << 30)
#define GUEST_MAX_PAGES 256

long sys_vmm_map(SYSCALL_ARGS)
{
	uint64_t gpa = a0, user_src = a1, len = a2;

	if ((gpa & 0xfff) || len == 0 || len > GUEST_MAX_PAGES * PAGE_SIZE ||
	    gpa >= GUEST_PHYS_LIMIT || len > GUEST_PHYS_LIMIT - gpa)
		return -EINVAL;
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		void *page = ept_map_new_page(p, gpa + off);
		if (!page)
			return -ENOMEM;
		uint64_t n = len - off < PAGE_SIZE ? len - off : PAGE_SIZE;
		if (user_src && copy_from_user(p, page, user_src + off, n) < 0)
			return -EFAULT;
	}
	return 0;
}

long sys_vmm_gpc_create(SYSCALL_ARGS)
{
	uint64_t gpcid = a0, rip = a1, rsp = a2;

	if (!p->eptp || gpcid >= GPCS_PER_PROC || rip >= GUEST_PHYS_LIMIT ||
	    rsp > GUEST_PHYS_LIMIT)
		return -EINVAL;
	return gpc_create(p, (uint32_t)gpcid, rip, rsp) ? 0 : -EAGAIN;
}

long sys_vmm_run(SYSCALL_ARGS)
{
	uint64_t gpcid = a0, user_exit = a1;
	struct guest_pcore *gpc = gpc_lookup(p, (uint32_t)gpcid);
	struct user_context *ctx = this_cpu()->cur_ctx;
	struct vmm_exit probe;

	if (!gpc || gpc->dead)
		return -EINVAL;
	/* Fail now, not at the exit, if the VMM cannot be told about it. */
	if (copy_from_user(p, &probe, user_exit, sizeof(probe)) < 0)
		return -EFAULT;
	gpc->vmm_ctx = *ctx;
	gpc->exit_out = user_exit;
	ctx->type = USER_CTX_VM;
	ctx->vm_gpc = (uint32_t)gpcid;
	return 0;
}

/* proc_restartcore() pops a VM context here (proc_vmx_ops.pop_vm_ctx). */
void vmx_pop_vm_ctx(struct user_context *ctx)
{
	struct proc *p = this_cpu()->owning_proc;
	struct guest_pcore *gpc = p ? gpc_lookup(p, ctx->vm_gpc) : NULL;

	int idle = -1;

	cli();
	/* A process runs on one core at a time, so its GPC cannot be running
	 * elsewhere; if it is, the process model broke that rule. */
	if (!gpc || !__atomic_compare_exchange_n(&gpc->running_core, &idle, (int)core_id(),
						 false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		panic("vmx_pop_vm_ctx: GPC %u of pid %d is not ours to run", ctx->vm_gpc,
		      p ? p->pid : 0);
	vmx_load_guest_pcore(gpc);
	vmcs_setup_host_entry(tss_of(core_id())->rsp[0] & ~0xfull);
	bool launch = !gpc->should_vmresume;
	uint64_t guest_rip = vmcs_read(GUEST_RIP);
	trace_vm_entry(p->pid, gpc, launch ? TRACE_vm_entry_kind_launch : TRACE_vm_entry_kind_resume,
		       gpc->gpcid, guest_rip);
	sched_resume_program(guest_rip);
	vmx_be->enter(gpc, launch);
}

/* Hand the core back to the VMM: its context, with sys_vmm_run's result
 * and the exit described at the address it gave. */
static void reflect_to_vmm(struct guest_pcore *gpc, uint32_t reason, uint64_t qual,
			   uint64_t rip, uint64_t gpa) __attribute__((noreturn));
static void reflect_to_vmm(struct guest_pcore *gpc, uint32_t reason, uint64_t qual,
			   uint64_t rip, uint64_t gpa)
{
	struct user_context *ctx = this_cpu()->cur_ctx;
	struct vmm_exit e = {
		.reason = reason, .gpcid = gpc->gpcid, .qualification = qual,
		.guest_rip = rip, .guest_phys = gpa,
		.rax = gpc->regs.rax, .rbx = gpc->regs.rbx,
		.rcx = gpc->regs.rcx, .rdx = gpc->regs.rdx,
	};
	long ret = reason;

	*ctx = gpc->vmm_ctx;
	if (copy_to_user(gpc->proc, gpc->exit_out, &e, sizeof(e)) < 0)
		ret = -EFAULT;
	user_ctx_set_retval(ctx, (uint64_t)ret);
	proc_restartcore();
}

static const char *exit_reason_name(uint32_t reason)
{
	switch (reason) {
	case EXIT_REASON_EXCEPTION_NMI: return "exception";
	case EXIT_REASON_EXTERNAL_INTERRUPT: return "external interrupt";
	case EXIT_REASON_TRIPLE_FAULT: return "triple fault";
	case EXIT_REASON_HLT: return "HLT";
	case EXIT_REASON_VMCALL: return "VMCALL";
	case EXIT_REASON_ENTRY_BAD_GUEST: return "VM entry with invalid guest state";
	case EXIT_REASON_EPT_VIOLATION: return "EPT violation";
	case EXIT_REASON_EPT_MISCONFIG: return "EPT misconfiguration";
	default: return "unhandled";
	}
}

void vmx_vmexit(struct guest_pcore *gpc)
{
	uint64_t exited_at = rdtsc(); /* the guest's time ends here (sched.c) */
	struct proc *p = gpc->proc;
	uint32_t full = (uint32_t)vmcs_read(VM_EXIT_REASON);
	uint32_t reason = full & 0xffff;
	uint64_t qual = vmcs_read(EXIT_QUALIFICATION);
	uint64_t rip = vmcs_read(GUEST_RIP);
	uint64_t gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	uint64_t ticks;

	trace_vm_exit(p->pid, gpc, reason, qual, rip, gpa);
	/* A failed entry left the launch state as it was. */
	if (!(full & EXIT_REASON_ENTRY_FAILED))
		gpc->should_vmresume = true;
	/* The context is finalized: the VMCS lingers on this core, and the
	 * GPC may be entered again, here or (after a remote clear) elsewhere. */
	vmx_unload_guest_pcore(gpc);
	__atomic_store_n(&gpc->running_core, -1, __ATOMIC_RELEASE);

	switch (reason) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		/* The interrupt is the host's: take it now (its handler may
		 * post a signal or queue a KMSG), then go on with the guest
		 * unless the VMM has a signal to handle. */
		ticks = this_cpu()->timer_ticks;
		vmx_be->take_interrupt();
		if (this_cpu()->timer_ticks != ticks)
			sched_guest_tick(exited_at, rip);
		if (!p->sig_pending) {
			/* The guest goes on, unless proc_restartcore finds a
			 * routine KMSG or a preemption first. */
			proc_restartcore();
		}
		reflect_to_vmm(gpc, reason, qual, rip, gpa);
	case EXIT_REASON_EXCEPTION_NMI:
		/* An NMI (type 2) is the host's, like an interrupt: run its
		 * handler (a panic elsewhere stops this core with one), then
		 * the guest goes on. Only the hardware backend exits for NMIs;
		 * the emulated one hands them to the handler in place. */
		if ((vmcs_read(VM_EXIT_INTR_INFO) & 0x7ff) == ((2u << 8) | 2u)) {
			hw_deliver_nmi();
			proc_restartcore();
		}
		goto kill;
	case EXIT_REASON_VMCALL:
	case EXIT_REASON_HLT:
		/* Completed instructions, from the VMM's point of view. */
		vmcs_write(GUEST_RIP, rip + vmcs_read(VM_EXIT_INSTRUCTION_LEN));
		reflect_to_vmm(gpc, reason, qual, rip, gpa);
	case EXIT_REASON_EPT_VIOLATION:
		gpc->dead = true;
		printk("vmx: pid %d: guest touched guest-physical %lx (qualification %lx) at rip %lx:"
		       " EPT violation, VM killed\n", p->pid, gpa, qual, rip);
		reflect_to_vmm(gpc, reason, qual, rip, gpa);
	default:
	kill:
		gpc->dead = true;
		printk("vmx: pid %d: VM exit %u (%s%s), qualification %lx, rip %lx, interruption %lx:"
		       " VM killed\n", p->pid, reason, exit_reason_name(reason),
		       (full & EXIT_REASON_ENTRY_FAILED) ? ", entry failed" : "", qual, rip,
		       vmcs_read(VM_EXIT_INTR_INFO));
		reflect_to_vmm(gpc, reason, qual, rip, gpa);
	}
}
