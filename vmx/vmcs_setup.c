/*
 * vmcs_setup.c: what goes into a GPC's VMCS.
 *
 * The guest is the simplest a VMM can run under EPT: 32-bit protected mode,
 * flat segments, paging off (so guest-linear = guest-physical), which the
 * "unrestricted guest" control allows. Every exception exits (bitmap all
 * ones) because the guest has no IDT; external interrupts exit (the host
 * keeps its timer and IPIs); HLT exits. The same fields are written on
 * both backends: the emulated one checks them as the hardware does.
 *
 * Control bits are adjusted from the capability MSRs (SDM A.3): bits the
 * CPU requires are added, and a bit we need that the CPU cannot do is a
 * panic naming it, rather than a VM entry that fails later.
 */
#include "vmx/vmcs_setup.h"
#include "vmx/backend.h"
#include "vmx/gpc.h"
#include "vmx/vmx_arch.h"
#include "vmx/vmcs_fields.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/vmx_asm.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"

/* The VM-exit landing pad of the hardware backend (vmx_entry.S). */
extern char vmx_hw_exit_entry[];

static uint32_t adjust_ctls(uint32_t msr, uint32_t true_msr, uint32_t want,
			    const char *what)
{
	bool has_true = vmx_be->rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CTLS;
	uint64_t caps = vmx_be->rdmsr(has_true && true_msr ? true_msr : msr);
	uint32_t must = (uint32_t)caps, may = (uint32_t)(caps >> 32);

	if (want & ~may)
		panic("vmx: %s controls %x not supported (allowed %x)", what, want & ~may, may);
	return want | must;
}

/* Segment access rights in the VMCS format (SDM 24.4.1). */
#define AR_CODE32	0xc09bu		/* G, D, P, DPL0, S, execute/read accessed */
#define AR_DATA32	0xc093u		/* G, B, P, DPL0, S, read/write accessed */
#define AR_TSS32_BUSY	0x008bu
#define AR_UNUSABLE	0x10000u
#define GUEST_CS_SEL	0x08
#define GUEST_DS_SEL	0x10

void vmcs_setup_gpc(struct guest_pcore *gpc, uint64_t rip, uint64_t rsp)
{
	/* Execution, exit and entry controls. */
	vmcs_write(PIN_BASED_VM_EXEC_CONTROL,
		   adjust_ctls(MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED_CTLS,
			       PIN_EXTINT_EXITING | PIN_NMI_EXITING, "pin-based"));
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL,
		   adjust_ctls(MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_PROCBASED_CTLS,
			       CPU_HLT_EXITING | CPU_ACTIVATE_SECONDARY, "processor-based"));
	vmcs_write(SECONDARY_VM_EXEC_CONTROL,
		   adjust_ctls(MSR_IA32_VMX_PROCBASED_CTLS2, 0,
			       SECONDARY_ENABLE_EPT | SECONDARY_UNRESTRICTED_GUEST, "secondary"));
	vmcs_write(VM_EXIT_CONTROLS,
		   adjust_ctls(MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS,
			       EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_IA32_EFER |
			       EXIT_LOAD_IA32_EFER, "VM-exit"));
	vmcs_write(VM_ENTRY_CONTROLS,
		   adjust_ctls(MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS,
			       ENTRY_LOAD_IA32_EFER, "VM-entry"));
	vmcs_write(EXCEPTION_BITMAP, 0xffffffffu);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO, 0);
	vmcs_write(CR0_GUEST_HOST_MASK, 0);
	vmcs_write(CR4_GUEST_HOST_MASK, 0);
	vmcs_write(CR0_READ_SHADOW, 0);
	vmcs_write(CR4_READ_SHADOW, 0);
	vmcs_write(EPT_POINTER, gpc_get_eptp(gpc));
	vmcs_write(VMCS_LINK_POINTER, ~0ull);

	/* Host state that is the same on every core and every entry. */
	vmcs_write(HOST_CR0, vmx_be->host_cr0());
	vmcs_write(HOST_CR4, vmx_be->host_cr4());
	vmcs_write(HOST_CS_SELECTOR, GDT_KCODE);
	vmcs_write(HOST_SS_SELECTOR, GDT_KDATA);
	vmcs_write(HOST_DS_SELECTOR, GDT_KDATA);
	vmcs_write(HOST_ES_SELECTOR, GDT_KDATA);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_FS_BASE, 0);
	vmcs_write(HOST_IA32_EFER, rdmsr(MSR_EFER));
	vmcs_write(HOST_IA32_SYSENTER_CS, 0);
	vmcs_write(HOST_IA32_SYSENTER_ESP, 0);
	vmcs_write(HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write(HOST_RIP, (uint64_t)(uintptr_t)vmx_hw_exit_entry);

	/* The guest: flat 32-bit protected mode, no paging. */
	vmcs_write(GUEST_CR0, 0x31);		/* PE, ET, NE */
	vmcs_write(GUEST_CR3, 0);
	vmcs_write(GUEST_CR4, vmx_be->rdmsr(MSR_IA32_VMX_CR4_FIXED0));
	vmcs_write(GUEST_CS_SELECTOR, GUEST_CS_SEL);
	vmcs_write(GUEST_CS_BASE, 0);
	vmcs_write(GUEST_CS_LIMIT, 0xffffffffu);
	vmcs_write(GUEST_CS_AR_BYTES, AR_CODE32);
	for (uint32_t i = 0; i < 6; i++) {
		if (GUEST_ES_SELECTOR + 2 * i == GUEST_CS_SELECTOR)
			continue;
		vmcs_write(GUEST_ES_SELECTOR + 2 * i, GUEST_DS_SEL);
		vmcs_write(GUEST_ES_BASE + 2 * i, 0);
		vmcs_write(GUEST_ES_LIMIT + 2 * i, 0xffffffffu);
		vmcs_write(GUEST_ES_AR_BYTES + 2 * i, AR_DATA32);
	}
	vmcs_write(GUEST_LDTR_SELECTOR, 0);
	vmcs_write(GUEST_LDTR_BASE, 0);
	vmcs_write(GUEST_LDTR_LIMIT, 0);
	vmcs_write(GUEST_LDTR_AR_BYTES, AR_UNUSABLE);
	vmcs_write(GUEST_TR_SELECTOR, 0);
	vmcs_write(GUEST_TR_BASE, 0);
	vmcs_write(GUEST_TR_LIMIT, 0x67);
	vmcs_write(GUEST_TR_AR_BYTES, AR_TSS32_BUSY);
	vmcs_write(GUEST_GDTR_BASE, 0);
	vmcs_write(GUEST_GDTR_LIMIT, 0);
	vmcs_write(GUEST_IDTR_BASE, 0);
	vmcs_write(GUEST_IDTR_LIMIT, 0);
	vmcs_write(GUEST_DR7, 0x400);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_IA32_EFER, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	/* IF set: with external-interrupt exiting every interrupt exits
	 * whatever the guest's IF (SDM 25.2), but Bochs 2.7 holds it pending
	 * while the guest's IF is 0, and a spinning guest must be stoppable. */
	vmcs_write(GUEST_RFLAGS, 0x202);
	vmcs_write(GUEST_RIP, rip);
	vmcs_write(GUEST_RSP, rsp);
	vmcs_write(GUEST_ACTIVITY_STATE, 0);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
}

void vmcs_setup_host_pcpu(void)
{
	uint32_t core = core_id();
	vmcs_write(HOST_TR_SELECTOR, GDT_TSS(core));
	vmcs_write(HOST_TR_BASE, (uint64_t)(uintptr_t)tss_of(core));
	vmcs_write(HOST_GDTR_BASE, sgdt_base());
	vmcs_write(HOST_IDTR_BASE, sidt_base());
	vmcs_write(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
}

void vmcs_setup_host_entry(uint64_t host_rsp)
{
	vmcs_write(HOST_CR3, read_cr3());
	vmcs_write(HOST_RSP, host_rsp);
}
