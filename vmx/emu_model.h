/*
 * emu_model.h: a software model of the VMX architectural state, for CPUs
 * that have no VMX (QEMU TCG). It is what the emulated backend executes in
 * place of VMXON, VMCLEAR, VMPTRLD, VMREAD, VMWRITE, VMLAUNCH/VMRESUME and
 * INVEPT, and it answers the way the SDM's pseudo-code (and Bochs 2.7,
 * which follows it) answers: VMsucceed, VMfailInvalid, or VMfailValid with
 * the VM-instruction error number stored in the current VMCS.
 *
 * It has no kernel dependencies: physical memory is reached through a
 * callback, so the same file is compiled into the kernel and into a host
 * program that unit-tests every check (tests/test_vmx_model.py).
 */
#ifndef VMX_EMU_MODEL_H
#define VMX_EMU_MODEL_H

#include <stdint.h>
#include <stdbool.h>

/* The current-VMCS pointer when there is none (SDM 24.1). */
#define EMU_VMCS_NONE		0xffffffffffffffffull

/* The model's VMCS revision identifier (bits 30:0 of IA32_VMX_BASIC): a
 * VMCS region whose first 4 bytes differ is refused by VMPTRLD. */
#define EMU_VMCS_REVISION	0x7e4b0001u

/* What an instruction did. The flags are the RFLAGS arithmetic bits the
 * real instruction would leave (CF for VMfailInvalid, ZF for VMfailValid),
 * so that the kernel wrapper can load them and run the same `ja 1f; ud2`
 * tail as the hardware wrapper. */
enum emu_fault { EMU_NO_FAULT = 0, EMU_FAULT_UD = 6, EMU_FAULT_GP = 13 };
struct emu_vmx_result {
	enum emu_fault fault;	/* the instruction faulted instead */
	uint64_t rflags;	/* 0, RFLAGS_CF or RFLAGS_ZF */
	uint32_t error;		/* error number when rflags == ZF */
};

/* The machine the model runs on: its physical memory and address width. */
struct emu_vmx_machine {
	/* Map a physical address to a pointer; NULL for no memory there (reads
	 * as all ones, writes are dropped, as on an unbacked bus). */
	void *(*map)(void *ctx, uint64_t pa);
	void *ctx;
	unsigned phys_addr_bits;	/* MAXPHYADDR */
};

/* One logical processor's VMX state (SDM 23.7, 24.1). */
struct emu_vmx_cpu {
	const struct emu_vmx_machine *m;
	bool cr4_vmxe;		/* what CR4.VMXE would hold */
	bool feature_control_ok;/* IA32_FEATURE_CONTROL locked, VMX enabled */
	bool in_vmx;		/* VMX root operation, after VMXON */
	bool in_guest;		/* VMX non-root operation */
	uint64_t vmxon_ptr;
	uint64_t current_vmcs;	/* EMU_VMCS_NONE when invalid */
};

void emu_vmx_cpu_init(struct emu_vmx_cpu *cpu, const struct emu_vmx_machine *m);

/* The capability MSRs the model reports (0 for other MSRs). */
uint64_t emu_vmx_rdmsr(uint32_t msr);

struct emu_vmx_result emu_vmxon(struct emu_vmx_cpu *cpu, uint64_t pa);
struct emu_vmx_result emu_vmxoff(struct emu_vmx_cpu *cpu);
struct emu_vmx_result emu_vmclear(struct emu_vmx_cpu *cpu, uint64_t pa);
struct emu_vmx_result emu_vmptrld(struct emu_vmx_cpu *cpu, uint64_t pa);
struct emu_vmx_result emu_vmptrst(struct emu_vmx_cpu *cpu, uint64_t *pa);
struct emu_vmx_result emu_vmread(struct emu_vmx_cpu *cpu, uint64_t enc,
				 uint64_t *val);
struct emu_vmx_result emu_vmwrite(struct emu_vmx_cpu *cpu, uint64_t enc,
				  uint64_t val);
struct emu_vmx_result emu_invept(struct emu_vmx_cpu *cpu, uint64_t type,
				 const uint64_t desc[2]);
/* VMLAUNCH (launch = true) or VMRESUME: the checks of SDM 26.1 and the
 * control-field checks of 26.2.1 that the kernel can get wrong. On success
 * the CPU is in non-root operation: the backend runs the guest and later
 * calls emu_vmexit(). */
struct emu_vmx_result emu_vmentry(struct emu_vmx_cpu *cpu, bool launch);

/* Everything a VM exit records (SDM 27.2), and the guest state it saves. */
struct emu_vmexit_info {
	uint32_t reason;
	uint64_t qualification;
	uint64_t guest_linear;
	uint64_t guest_physical;
	uint32_t intr_info;
	uint32_t intr_error;
	uint32_t instr_len;
	uint64_t guest_rip, guest_rsp, guest_rflags;
};
void emu_vmexit(struct emu_vmx_cpu *cpu, const struct emu_vmexit_info *e);

/* The launch state the model keeps in a VMCS region (for tests and the
 * trace): true once VMLAUNCH succeeded and until VMCLEAR. */
bool emu_vmcs_launched(const struct emu_vmx_cpu *cpu, uint64_t pa);

/* Field access without an instruction's checks, for the backend's own VM
 * entry/exit logic (the processor reads its VMCS the same way). */
uint64_t emu_vmcs_get(const struct emu_vmx_cpu *cpu, uint32_t enc);
void emu_vmcs_set(struct emu_vmx_cpu *cpu, uint32_t enc, uint64_t val);

/* The EPTP checks of SDM 26.2.1.1, shared by VM entry and INVEPT. */
bool emu_eptp_valid(const struct emu_vmx_cpu *cpu, uint64_t eptp);

#endif
