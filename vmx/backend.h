/*
 * backend.h: the one interface behind which VMX is either the hardware's
 * (backend_hw.c: the real instructions, Bochs or KVM) or a model of it
 * (backend_emu.c: vmx/emu_model.c plus a de-privileged guest, for QEMU
 * TCG). Everything above this line (GPCs, the lazy VMCS policy, VMCS
 * set-up, EPT, exit handling) is written once and runs on both, so the
 * trace of a scenario is the same on both.
 *
 * Every operation that is a VMX instruction fails the Akaros way: a VMfail
 * becomes `ud2` in the wrapper (kernel/arch/x86_64/vmx_asm.h), and the
 * Invalid Opcode report names the instruction and the VM-instruction
 * error (vmx_fail.c).
 */
#ifndef VMX_BACKEND_H
#define VMX_BACKEND_H

#include <stdint.h>
#include <stdbool.h>

struct guest_pcore;

struct vmx_backend {
	const char *name;		/* "hardware" or "emulated" (trace header) */
	unsigned trace_id;		/* TRACE_vmx_backend_* */
	/* The VMX capability MSRs (IA32_VMX_BASIC, ..._EPT_VPID_CAP). */
	uint64_t (*rdmsr)(uint32_t msr);
	/* This core: IA32_FEATURE_CONTROL, CR4.VMXE, CR0/CR4 fixed bits. */
	void (*enable)(void);
	/* CR0/CR4 as VMX checks them (the host-state fields). */
	uint64_t (*host_cr0)(void);
	uint64_t (*host_cr4)(void);
	void (*vmxon)(uint64_t pa);
	void (*vmclear)(uint64_t pa);
	void (*vmptrld)(uint64_t pa);
	uint64_t (*vmread)(uint32_t field);
	void (*vmwrite)(uint32_t field, uint64_t val);
	void (*invept)(uint64_t type, uint64_t eptp);
	/* VMLAUNCH (launch) or VMRESUME the current VMCS with gpc's general
	 * registers. Never returns: the VM exit arrives, on a fresh kernel
	 * stack, in vmx_vmexit(). */
	void (*enter)(struct guest_pcore *gpc, bool launch) __attribute__((noreturn));
	/* After an external-interrupt exit: let the host take the interrupt
	 * that caused it (the hardware holds it pending until the host
	 * enables interrupts; the emulated guest's trap already accepted it). */
	void (*take_interrupt)(void);
};

extern const struct vmx_backend vmx_backend_hw;
extern const struct vmx_backend vmx_backend_emu;
/* The backend chosen at boot (vmx.c); NULL before vmx_init. */
extern const struct vmx_backend *vmx_be;

static inline uint64_t vmcs_read(uint32_t field)
{
	return vmx_be->vmread(field);
}

static inline void vmcs_write(uint32_t field, uint64_t val)
{
	vmx_be->vmwrite(field, val);
}

/* A VM exit, from either backend, with interrupts off and the guest's
 * general registers already in gpc->regs (vmexit.c). */
void vmx_vmexit(struct guest_pcore *gpc) __attribute__((noreturn));

/* The operand of the VMX instruction this core is executing, kept so the
 * Invalid Opcode report and the trace can name it after a VMfail. */
void vmx_note_insn(unsigned insn, uint64_t operand);
/* For vmx_clear_vmcs: whose VMCS, and who asked, for INVEPT's record. */
void vmx_note_owner(int pid, void *site);
/* The INVEPT just noted returned: trace it (vmx_fail.c traces the ones
 * that fail, from their trap). */
void vmx_invept_succeeded(void);

#endif
