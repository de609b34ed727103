/*
 * vmx_ktest.c: self-tests of the VMCS lifecycle (ktest=vmx_...), and
 * deliberate VMfails (vmx_fault=...) that show the ud2 wrappers and the
 * Invalid Opcode report on whichever backend runs. tests/test_vmx.py
 * runs both on QEMU (emulated) and Bochs (hardware): the same error
 * numbers must come out of both.
 */
#include "vmx/vmx.h"
#include "vmx/backend.h"
#include "vmx/ept.h"
#include "vmx/gpc.h"
#include "vmx/vmx_arch.h"
#include "vmx/vmcs_fields.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/cmdline.h"
#include "kernel/kmsg.h"
#include "kernel/ktest.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/string.h"

CMDLINE_OPTION("vmx_fault", "after VMXON, fail a VMX instruction on purpose: vmclear_unaligned, "
	       "vmclear_vmxon, vmresume_clear, vmptrld_unaligned, vmptrld_vmxon, vmptrld_revision, "
	       "vmread_unsupported, vmwrite_readonly, vmxon_again, invept0 (EPTP 0, a VMCS current), "
	       "invept0_nocurrent, vmlaunch_controls, vmlaunch_host_state");

/* A never-run proc goes through DYING to be freed. */
static void test_vmm_done(struct proc *p)
{
	proc_destroy(p);
	proc_decref(p, PROC_REF_CREATE);
}

/* A proc with one mapped guest page and GPC 0, lingering on this core. */
static struct proc *test_vmm(struct guest_pcore **gpc)
{
	struct proc *p = proc_alloc("vmxtest", NULL);

	if (!p)
		return NULL;
	if (!ept_map_new_page(p, 0x1000) || !(*gpc = gpc_create(p, 0, 0x1000, 0x2000))) {
		test_vmm_done(p);
		return NULL;
	}
	return p;
}

KTEST(vmx_lazy_unload_and_reload)
{
	struct guest_pcore *gpc;
	struct proc *p = test_vmm(&gpc);
	uint32_t me;

	KT_ASSERT(p != NULL);
	uint64_t irq = irq_save();
	me = core_id();
	/* gpc_create left it lingering here. */
	KT_EQ(gpc->vmcs_core_id, (int)me);
	KT_ASSERT(this_cpu()->gpc_to_clear_to == gpc);
	vmx_load_guest_pcore(gpc);		/* no VMPTRLD: still current */
	KT_ASSERT(this_cpu()->gpc_to_clear_to == NULL);
	KT_EQ(gpc->vmcs_core_id, (int)me);
	vmx_unload_guest_pcore(gpc);
	KT_ASSERT(this_cpu()->gpc_to_clear_to == gpc);
	vmx_clear_vmcs();
	KT_EQ(gpc->vmcs_core_id, -1);
	KT_ASSERT(this_cpu()->gpc_to_clear_to == NULL);
	KT_ASSERT(!gpc->should_vmresume);
	irq_restore(irq);
	test_vmm_done(p);
}

/* ---- a GPC that moves from core 0 to core 1 ---- */

static struct guest_pcore *moving_gpc;
static volatile int remote_step_done;

static void remote_load_unload(uint32_t srcid, long a0, long a1, long a2)
{
	(void)srcid, (void)a0, (void)a1, (void)a2;
	vmx_load_guest_pcore(moving_gpc);
	vmx_unload_guest_pcore(moving_gpc);
	__atomic_store_n(&remote_step_done, 1, __ATOMIC_RELEASE);
}

static void remote_clear(uint32_t srcid, long a0, long a1, long a2)
{
	(void)srcid, (void)a0, (void)a1, (void)a2;
	vmx_clear_vmcs();
	__atomic_store_n(&remote_step_done, 1, __ATOMIC_RELEASE);
}

/* Run fn on core 1 and wait, serving our immediate KMSGs: core 1 asks us
 * (core 0) to VMCLEAR meanwhile, and ktests may run with interrupts off. */
static void on_core1(amr_t fn)
{
	remote_step_done = 0;
	send_kernel_message(1, fn, 0, 0, 0, KMSG_IMMEDIATE);
	while (!__atomic_load_n(&remote_step_done, __ATOMIC_ACQUIRE)) {
		process_immediate_kmsg();
		cpu_pause();
	}
}

KTEST(vmx_remote_clear_when_gpc_moves)
{
	struct proc *p;

	KT_SKIP_UNLESS(num_cores() >= 2);
	KT_EQ(core_id(), 0u);
	p = test_vmm(&moving_gpc);
	KT_ASSERT(p != NULL);
	KT_EQ(moving_gpc->vmcs_core_id, 0);
	/* Core 1 loads it: core 0 VMCLEARs it on request, core 1 VMPTRLDs. */
	on_core1(remote_load_unload);
	KT_EQ(moving_gpc->vmcs_core_id, 1);
	KT_ASSERT(per_cpu(0)->gpc_to_clear_to == NULL);
	KT_ASSERT(per_cpu(1)->gpc_to_clear_to == moving_gpc);
	/* Again on core 1: still current there, no VMPTRLD. */
	on_core1(remote_load_unload);
	KT_EQ(moving_gpc->vmcs_core_id, 1);
	on_core1(remote_clear);
	KT_EQ(moving_gpc->vmcs_core_id, -1);
	KT_ASSERT(per_cpu(1)->gpc_to_clear_to == NULL);
	test_vmm_done(p);
}

/* ---- vmx_fault=...: VMfails on purpose ---- */

/* One VMX mistake each, made with a current VMCS (so the error number is
 * stored) unless the name says otherwise. The expected outcome is the
 * SDM's; tests/test_vmx.py checks that both backends report the same. */
static void fault_with_current_vmcs(const char *what, uint64_t vmcs, uint32_t rev)
{
	if (!strcmp(what, "vmclear_unaligned"))
		vmx_be->vmclear(vmcs + 0x80);			/* error 2 */
	if (!strcmp(what, "vmclear_vmxon"))
		vmx_be->vmclear(vmx_vmxon_pa(core_id()));	/* error 3 */
	if (!strcmp(what, "vmresume_clear")) {
		static struct guest_pcore gpc;
		vmx_be->enter(&gpc, false);			/* error 5 */
	}
	if (!strcmp(what, "vmptrld_unaligned"))
		vmx_be->vmptrld(vmcs + 8);			/* error 9 */
	if (!strcmp(what, "vmptrld_vmxon"))
		vmx_be->vmptrld(vmx_vmxon_pa(core_id()));	/* error 10 */
	if (!strcmp(what, "vmptrld_revision")) {
		void *bad = page_alloc();
		*(uint32_t *)bad = rev + 1;
		vmx_be->vmptrld(V2P(bad));			/* error 11 */
	}
	if (!strcmp(what, "vmread_unsupported"))
		vmx_be->vmread(0x6c7e);				/* error 12 */
	if (!strcmp(what, "vmwrite_readonly"))
		vmx_be->vmwrite(VM_EXIT_REASON, 1);		/* error 13, unless MISC[29] */
	if (!strcmp(what, "vmxon_again"))
		vmx_be->vmxon(vmx_vmxon_pa(core_id()));	/* error 15 */
	if (!strcmp(what, "invept0"))
		vmx_be->invept(INVEPT_SINGLE_CONTEXT, 0);	/* error 28 */
	if (!strcmp(what, "vmlaunch_controls")) {
		/* A fresh VMCS: every control 0, the must-be-1 bits missing. */
		static struct guest_pcore gpc;
		vmx_be->enter(&gpc, true);			/* error 7 */
	}
	if (!strcmp(what, "vmlaunch_host_state")) {
		/* A GPC set up as for a guest, but a host CR4 without VMXE. */
		struct guest_pcore *gpc;
		if (!test_vmm(&gpc))
			panic("vmx_fault: no test VMM");
		vmx_load_guest_pcore(gpc);
		vmcs_write(HOST_CR4, vmx_be->host_cr4() & ~CR4_VMXE);
		vmx_be->enter(gpc, true);			/* error 8 */
	}
}

void vmx_fault_test_run(void)
{
	char what[24] = "";
	uint32_t rev = VMX_BASIC_REVISION(vmx_be->rdmsr(MSR_IA32_VMX_BASIC));
	void *vmcs;

	if (!cmdline_get("vmx_fault", what, sizeof(what)))
		return;
	vmcs = page_alloc();
	if (!vmcs)
		panic("vmx_fault: no page");
	*(uint32_t *)vmcs = rev;
	/* IA32_VMX_MISC bit 29: VMWRITE may write the exit-information
	 * fields (Bochs's Haswell says yes, the model says no). */
	printk("vmx_fault: %s on the %s backend (IA32_VMX_MISC %lx)\n", what, vmx_be->name,
	       vmx_be->rdmsr(MSR_IA32_VMX_MISC));
	cli();
	vmx_be->vmclear(V2P(vmcs));
	/* No current VMCS: the same INVEPT is VMfailInvalid. */
	if (!strcmp(what, "invept0_nocurrent"))
		vmx_be->invept(INVEPT_SINGLE_CONTEXT, 0);
	vmx_be->vmptrld(V2P(vmcs));
	fault_with_current_vmcs(what, V2P(vmcs), rev);
	panic("vmx_fault=%s: no VMfail happened", what);
}
