/*
 * vmx.c: VMX bring-up. The boot CPU chooses the backend once; every core
 * then enters VMX root operation with its own VMXON region.
 *
 * The choice: CPUID.1:ECX.VMX says whether the CPU has VMX. `vmx=hw` or
 * `vmx=emu` on the command line overrides it (`vmx=hw` on a CPU without
 * VMX is refused: QEMU 7.2's TCG hangs, rather than raising #GP, when
 * CR4.VMXE is set on a CPU that lacks VMX, so CPUID is always asked
 * before CR4 is touched). The choice is printed, traced, and written into
 * the trace header.
 */
#include "vmx/vmx.h"
#include "vmx/backend.h"
#include "vmx/gpc.h"
#include "vmx/ept.h"
#include "vmx/vmx_arch.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/proc_arch.h"
#include "kernel/cmdline.h"
#include "kernel/kmsg.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "trace/trace.h"

CMDLINE_OPTION("vmx", "VMX backend: hw (real instructions) or emu (modelled); default from CPUID");

const struct vmx_backend *vmx_be;

static void *vmxon_region[MAX_CPUS];

static void vmx_proc_free(struct proc *p)
{
	gpc_free_all(p);
	ept_free(p);
}

static const struct proc_vmx_ops vmx_proc_ops = {
	.vmx_clear_vmcs = vmx_clear_vmcs,
	.proc_free = vmx_proc_free,
	.pop_vm_ctx = vmx_pop_vm_ctx,
};

static void vmx_core_init(void);
static volatile uint32_t cores_in_vmx;

/* Immediate KMSG: an AP enters VMX operation. */
static void __vmx_core_init(uint32_t srcid, long a0, long a1, long a2)
{
	(void)srcid, (void)a0, (void)a1, (void)a2;
	vmx_core_init();
	__atomic_add_fetch(&cores_in_vmx, 1, __ATOMIC_RELEASE);
}

uint64_t vmx_vmxon_pa(uint32_t core)
{
	return V2P(vmxon_region[core]);
}

const char *vmx_backend_name(void)
{
	return vmx_be ? vmx_be->name : NULL;
}

void vmx_init(void)
{
	bool has_vmx = cpuid(1, 0).ecx & CPUID1_ECX_VMX;
	char want[8] = "";

	cmdline_get("vmx", want, sizeof(want));
	if (!strcmp(want, "emu"))
		vmx_be = &vmx_backend_emu;
	else if (!strcmp(want, "hw")) {
		if (!has_vmx)
			panic("vmx=hw, but CPUID.1:ECX.VMX is 0: this CPU has no VMX");
		vmx_be = &vmx_backend_hw;
	} else if (want[0])
		panic("vmx=%s: expected vmx=hw or vmx=emu", want);
	else
		vmx_be = has_vmx ? &vmx_backend_hw : &vmx_backend_emu;

	printk("vmx: %s backend (CPUID.1:ECX.VMX=%d%s)\n", vmx_be->name, has_vmx,
	       want[0] ? ", chosen on the command line" : "");
	trace_set_backend(vmx_be->name);
	trace_vmx_backend(vmx_be->trace_id, has_vmx);
	proc_register_vmx_ops(&vmx_proc_ops);

	/* VMXON here, then on every AP, one after the other so the trace
	 * lists the cores in order. */
	vmx_core_init();
	cores_in_vmx = 1;
	for (uint32_t core = 1; core < num_cores(); core++) {
		send_kernel_message(core, __vmx_core_init, 0, 0, 0, KMSG_IMMEDIATE);
		while (__atomic_load_n(&cores_in_vmx, __ATOMIC_ACQUIRE) != core + 1)
			cpu_pause();
	}
	vmx_fault_test_run();
}

static void vmx_core_init(void)
{
	uint32_t core = core_id();
	uint64_t basic = vmx_be->rdmsr(MSR_IA32_VMX_BASIC);
	uint64_t ept = vmx_be->rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);

	/* What this kernel relies on: 4 KiB regions, a 4-level write-back
	 * EPT and single-context INVEPT. Say so plainly if it is missing. */
	if (((basic >> 32) & 0x1fff) > PAGE_SIZE)
		panic("vmx: VMCS region of %lu bytes", (basic >> 32) & 0x1fff);
	if (!(ept & EPT_CAP_WALK_LENGTH_4) || !(ept & EPT_CAP_MEMTYPE_WB) ||
	    !(ept & EPT_CAP_INVEPT_SINGLE))
		panic("vmx: EPT capabilities %lx lack 4-level WB EPT or single-context INVEPT", ept);

	vmx_be->enable();
	vmxon_region[core] = page_alloc();
	if (!vmxon_region[core])
		panic("vmx: no page for the VMXON region");
	*(uint32_t *)vmxon_region[core] = VMX_BASIC_REVISION(basic);
	vmx_be->vmxon(V2P(vmxon_region[core]));
	this_cpu()->gpc_to_clear_to = NULL;
	trace_vmxon(core, V2P(vmxon_region[core]), VMX_BASIC_REVISION(basic));
	if (core == 0)
		printk("vmx: VMXON on core 0, VMCS revision %x, EPT/VPID caps %lx\n",
		       VMX_BASIC_REVISION(basic), ept);
}
