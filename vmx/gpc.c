/*
 * gpc.c: guest pcores and the lifecycle of their VMCSes on cores, with
 * Akaros's lazy unload (see gpc.h for the policy and its three functions).
 *
 * Who may touch a VMCS: only the core on which it is current (or lingers)
 * may VMCLEAR it, because VMCLEAR writes back that core's cached copy. A
 * core that wants a GPC lingering elsewhere therefore asks the holder,
 * with an immediate KMSG, and waits for gpc->vmcs_core_id to become -1.
 */
#include "vmx/gpc.h"
#include "vmx/backend.h"
#include "vmx/vmcs_setup.h"
#include "vmx/vmx_arch.h"
#include "vmx/vmcs_fields.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/vmx_asm.h"
#include "kernel/kmsg.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "trace/trace.h"

/* GPCS_PER_PROC slots per proc slot: gpc->proc never changes (gpc.h). */
static struct guest_pcore gpc_table[MAX_PROCS][GPCS_PER_PROC];
static struct guest_pcore *gpc_ptrs[MAX_PROCS][GPCS_PER_PROC];

static unsigned proc_slot(struct proc *p)
{
	return (unsigned)(p - proc_table);
}

struct guest_pcore *gpc_lookup(struct proc *p, uint32_t gpcid)
{
	if (gpcid >= GPCS_PER_PROC || gpcid >= p->nr_gpcs || !p->gpcs)
		return NULL;
	return p->gpcs[gpcid];
}

/* ---- clearing ---- */

/* VMCLEAR this core's lingering VMCS, then flush its EPT's cached
 * translations (Akaros's vmx_clear_vmcs body). The EPTP comes through the
 * weak gpc->proc, so a GPC whose proc was freed yields EPTP 0. */
static void __vmx_clear_vmcs(unsigned why, uint32_t requester, void *site)
{
	uint64_t irq = irq_save();
	struct guest_pcore *gpc = this_cpu()->gpc_to_clear_to;

	if (gpc) {
		int pid = gpc->proc->pid;
		uint64_t vmcs = gpc_vmcs_pa(gpc);

		trace_vmclear(pid, gpc, vmcs, site, why, requester);
		vmx_note_owner(pid, site);
		vmx_be->vmclear(vmcs);
		uint64_t eptp = gpc_get_eptp(gpc);
		vmx_be->invept(INVEPT_SINGLE_CONTEXT, eptp);
		vmx_invept_succeeded();
		vmx_note_owner(0, NULL);
		gpc->should_vmresume = false;
		/* The waiting core may VMPTRLD once it reads -1: the clear
		 * must be complete before. */
		__atomic_store_n(&gpc->vmcs_core_id, -1, __ATOMIC_RELEASE);
		this_cpu()->gpc_to_clear_to = NULL;
	}
	irq_restore(irq);
}

void vmx_clear_vmcs(void)
{
	__vmx_clear_vmcs(TRACE_vmclear_why_local, core_id(), __builtin_return_address(0));
}

/* Immediate KMSG: another core wants the GPC that lingers here. */
static void __clear_vmcs(uint32_t srcid, long a0, long a1, long a2)
{
	(void)a0, (void)a1, (void)a2;
	__vmx_clear_vmcs(TRACE_vmclear_why_remote, srcid, __builtin_return_address(0));
}

/* ---- loading and unloading ---- */

void vmx_load_guest_pcore(struct guest_pcore *gpc)
{
	uint32_t me = core_id();
	int pid = gpc->proc->pid;

	if (irqs_enabled())
		panic("vmx_load_guest_pcore with interrupts on");
	if (gpc->vmcs_core_id == (int)me) {
		/* Still current here since the last exit: no VMPTRLD, and the
		 * next entry is a VMRESUME. */
		this_cpu()->gpc_to_clear_to = NULL;
		trace_gpc_load(pid, gpc, TRACE_vmcs_load_still_current);
		return;
	}
	/* Clear our own lingering VMCS *before* waiting on another core, so
	 * two cores swapping GPCs cannot wait on each other. */
	__vmx_clear_vmcs(TRACE_vmclear_why_switch_gpc, me, __builtin_return_address(0));
	int remote = __atomic_load_n(&gpc->vmcs_core_id, __ATOMIC_ACQUIRE);
	if (remote != -1) {
		/* The holder must take the IPI. Akaros waited with interrupts
		 * off and documented the deadlock if the holder waits for us the
		 * same way; serving our own immediate KMSGs while we wait
		 * removes that case. */
		send_kernel_message((uint32_t)remote, __clear_vmcs, 0, 0, 0, KMSG_IMMEDIATE);
		while (__atomic_load_n(&gpc->vmcs_core_id, __ATOMIC_ACQUIRE) != -1) {
			process_immediate_kmsg();
			cpu_pause();
		}
	}
	trace_gpc_load(pid, gpc, TRACE_vmcs_load_vmptrld);
	trace_vmptrld(pid, gpc, gpc_vmcs_pa(gpc));
	vmx_be->vmptrld(gpc_vmcs_pa(gpc));
	gpc->vmcs_core_id = (int)me;
	vmcs_setup_host_pcpu();
}

void vmx_unload_guest_pcore(struct guest_pcore *gpc)
{
	if (irqs_enabled())
		panic("vmx_unload_guest_pcore with interrupts on");
	/* Lazy: no VMCLEAR. The VMCS stays current on this core until the
	 * core leaves the process (vmx_clear_vmcs) or another core wants it. */
	gpc->vmcs_core_id = (int)core_id();
	this_cpu()->gpc_to_clear_to = gpc;
	trace_vmcs_lazy_unload(gpc->proc->pid, gpc);
}

/* ---- creation and teardown ---- */

struct guest_pcore *gpc_create(struct proc *p, uint32_t gpcid, uint64_t rip, uint64_t rsp)
{
	unsigned slot = proc_slot(p);
	struct guest_pcore *gpc;

	if (gpcid >= GPCS_PER_PROC || gpc_table[slot][gpcid].in_use)
		return NULL;
	gpc = &gpc_table[slot][gpcid];
	void *vmcs = page_alloc();
	if (!vmcs)
		return NULL;
	/* SDM 24.2: software writes the revision identifier before VMPTRLD. */
	*(uint32_t *)vmcs = VMX_BASIC_REVISION(vmx_be->rdmsr(MSR_IA32_VMX_BASIC));

	memset(gpc, 0, sizeof(*gpc));
	gpc->proc = p;
	gpc->gpcid = gpcid;
	gpc->in_use = true;
	gpc->vmcs = vmcs;
	gpc->vmcs_core_id = -1;
	gpc->running_core = -1;
	gpc_ptrs[slot][gpcid] = gpc;
	p->gpcs = gpc_ptrs[slot];
	if (p->nr_gpcs <= gpcid)
		p->nr_gpcs = gpcid + 1;
	trace_gpc_create(p->pid, gpc, gpc_vmcs_pa(gpc), gpcid);

	/* A new VMCS region is VMCLEARed before its first VMPTRLD (SDM
	 * 24.11.3). Then it is loaded like any other to write its fields,
	 * and left lingering here: the first entry will find it current. */
	uint64_t irq = irq_save();
	vmx_be->vmclear(gpc_vmcs_pa(gpc));
	vmx_load_guest_pcore(gpc);
	vmcs_setup_gpc(gpc, rip, rsp);
	vmx_unload_guest_pcore(gpc);
	irq_restore(irq);
	return gpc;
}

/* From __proc_free. The lazily held VMCS is deliberately not cleared here:
 * which core clears it, and when, is the process model's business
 * (__clear_owning_proc, or __abandon_core with bugs=abandon_core). */
void gpc_free_all(struct proc *p)
{
	unsigned slot = proc_slot(p);

	for (uint32_t i = 0; i < GPCS_PER_PROC; i++) {
		struct guest_pcore *gpc = &gpc_table[slot][i];

		if (!gpc->in_use)
			continue;
		trace_gpc_free(p->pid, gpc, gpc_vmcs_pa(gpc), (uint64_t)(int64_t)gpc->vmcs_core_id);
		page_free(gpc->vmcs);
		/* proc and vmcs stay: a stale weak pointer finds them (gpc.h). */
		gpc->in_use = false;
		gpc_ptrs[slot][i] = NULL;
	}
	p->gpcs = NULL;
	p->nr_gpcs = 0;
}
