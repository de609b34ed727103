/*
 * backend_hw.c: the hardware VMX backend: each operation is the real
 * instruction, through the ud2-on-VMfail wrappers of vmx_asm.h. VM entry
 * and the VM-exit landing pad are in kernel/arch/x86_64/vmx_entry.S.
 */
#include "vmx/backend.h"
#include "vmx/gpc.h"
#include "vmx/vmx_arch.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/vmx_asm.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "trace/trace.h"

/* vmx_entry.S */
void vmx_hw_enter(struct guest_regs *regs, uint64_t launch) __attribute__((noreturn));

/* The GPC each core is running, for the exit landing pad. */
static struct guest_pcore *hw_running[MAX_CPUS];

static uint64_t hw_rdmsr(uint32_t msr)
{
	return rdmsr(msr);
}

/* SDM 23.7: IA32_FEATURE_CONTROL must be locked with VMX-outside-SMX on;
 * firmware usually does it, Bochs leaves it to us. CR0 and CR4 must then
 * obey the fixed-bit MSRs, CR4.VMXE included. */
static void hw_enable(void)
{
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);

	if (!(fc & FEATURE_CONTROL_LOCKED))
		wrmsr(MSR_IA32_FEATURE_CONTROL,
		      fc | FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
	else if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		panic("vmx: IA32_FEATURE_CONTROL is locked with VMX off (%lx)", fc);
	uint64_t cr0 = (read_cr0() | rdmsr(MSR_IA32_VMX_CR0_FIXED0)) & rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	uint64_t cr4 = (read_cr4() | CR4_VMXE | rdmsr(MSR_IA32_VMX_CR4_FIXED0)) &
		       rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	write_cr0(cr0);
	write_cr4(cr4);
}

static uint64_t hw_host_cr0(void)
{
	return read_cr0();
}

static uint64_t hw_host_cr4(void)
{
	return read_cr4();
}

static void hw_do_vmxon(uint64_t pa)
{
	vmx_note_insn(VMXI_VMXON, pa);
	hw_vmxon(pa);
}

static void hw_do_vmclear(uint64_t pa)
{
	vmx_note_insn(VMXI_VMCLEAR, pa);
	hw_vmclear(pa);
}

static void hw_do_vmptrld(uint64_t pa)
{
	vmx_note_insn(VMXI_VMPTRLD, pa);
	hw_vmptrld(pa);
}

static uint64_t hw_do_vmread(uint32_t field)
{
	vmx_note_insn(VMXI_VMREAD, field);
	return hw_vmread(field);
}

static void hw_do_vmwrite(uint32_t field, uint64_t val)
{
	vmx_note_insn(VMXI_VMWRITE, field);
	hw_vmwrite(field, val);
}

static void hw_do_invept(uint64_t type, uint64_t eptp)
{
	vmx_note_insn(VMXI_INVEPT, eptp);
	hw_invept(type, eptp);
}

static __attribute__((noreturn)) void hw_enter(struct guest_pcore *gpc, bool launch)
{
	hw_running[core_id()] = gpc;
	vmx_note_insn(launch ? VMXI_VMLAUNCH : VMXI_VMRESUME, 0);
	vmx_hw_enter(&gpc->regs, launch);
}

/* Without "acknowledge interrupt on exit" the interrupt is still pending
 * in the LAPIC: one instruction with IF set lets it in (sti's shadow
 * covers the nop). */
static void hw_take_interrupt(void)
{
	asm volatile("sti; nop; cli" ::: "memory");
}

/* Called by vmx_hw_exit_entry with the guest's registers on the stack. */
void vmx_hw_exit(struct guest_regs *regs) __attribute__((noreturn));
void vmx_hw_exit(struct guest_regs *regs)
{
	struct guest_pcore *gpc = hw_running[core_id()];

	gpc->regs = *regs;
	vmx_vmexit(gpc);
}

const struct vmx_backend vmx_backend_hw = {
	.name = "hardware",
	.trace_id = TRACE_vmx_backend_hardware,
	.rdmsr = hw_rdmsr,
	.enable = hw_enable,
	.host_cr0 = hw_host_cr0,
	.host_cr4 = hw_host_cr4,
	.vmxon = hw_do_vmxon,
	.vmclear = hw_do_vmclear,
	.vmptrld = hw_do_vmptrld,
	.vmread = hw_do_vmread,
	.vmwrite = hw_do_vmwrite,
	.invept = hw_do_invept,
	.enter = hw_enter,
	.take_interrupt = hw_take_interrupt,
};
