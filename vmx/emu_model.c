/*
 * emu_model.c: the architectural model of VMX used by the emulated backend.
 *
 * Each instruction follows the "Operation" pseudo-code of its SDM entry
 * (vol. 3C, chapter 31), in the same order of checks, because the order
 * decides which error a program sees when two things are wrong at once.
 * Bochs 2.7's cpu/vmx.cc follows the same pseudo-code; where the two could
 * differ (INVEPT descriptor bits 127:64) the comment says which we took.
 *
 * The VMCS region (SDM 24.2) is real memory here, as on hardware: bytes
 * 0-3 hold the revision identifier, 4-7 the VMX-abort indicator, and the
 * rest is implementation-specific. This model keeps the launch state at
 * offset 8 and the fields, in the order of vmcs_fields.h, from offset 16.
 * So a VMCLEAR of a freed page writes into that page, exactly as the
 * hardware does, and a stale current-VMCS pointer reads whatever is there.
 */
#include "vmx/emu_model.h"
#include "vmx/vmx_arch.h"
#include "vmx/vmcs_fields.h"

#define VMCS_OFF_REVISION	0
#define VMCS_OFF_LAUNCH		8
#define VMCS_OFF_FIELDS		16
#define VMCS_LAUNCHED		1u	/* anything else reads as clear */

static const uint32_t supported_fields[] = {
#define VMCS_FIELD_ENC(name, enc) enc,
	VMCS_FIELD_LIST(VMCS_FIELD_ENC)
#undef VMCS_FIELD_ENC
};
#define NFIELDS (sizeof(supported_fields) / sizeof(supported_fields[0]))

/* --- capability MSRs: what this model can run --- */

/* Control MSRs: low half = bits that must be 1, high half = bits that may
 * be 1 (SDM A.3). The "default1" bits are the SDM's reserved-as-one bits.
 * The emulated guest runs de-privileged, so it cannot receive interrupts
 * or halt on its own: external-interrupt exiting and HLT exiting are
 * reported as must-be-1, which the architecture allows a CPU to do. */
#define PIN_DEFAULT1	0x00000016u
#define PROC_DEFAULT1	0x0401e172u
#define EXIT_DEFAULT1	0x00036dffu
#define ENTRY_DEFAULT1	0x000011ffu
#define CTLS(must, may)	(((uint64_t)(may) << 32) | (must))

static const uint64_t emu_pin_ctls =
	CTLS(PIN_DEFAULT1 | PIN_EXTINT_EXITING,
	     PIN_DEFAULT1 | PIN_EXTINT_EXITING | PIN_NMI_EXITING);
static const uint64_t emu_proc_ctls =
	CTLS(PROC_DEFAULT1 | CPU_HLT_EXITING,
	     PROC_DEFAULT1 | CPU_HLT_EXITING | CPU_ACTIVATE_SECONDARY);
static const uint64_t emu_proc_ctls2 =
	CTLS(0, SECONDARY_ENABLE_EPT | SECONDARY_UNRESTRICTED_GUEST);
static const uint64_t emu_exit_ctls =
	CTLS(EXIT_DEFAULT1, EXIT_DEFAULT1 | EXIT_HOST_ADDR_SPACE_SIZE |
	     EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER);
/* No IA-32e-mode guest: the de-privileged guest runs in compatibility
 * mode, i.e. as a 32-bit guest. */
static const uint64_t emu_entry_ctls =
	CTLS(ENTRY_DEFAULT1, ENTRY_DEFAULT1 | ENTRY_LOAD_IA32_EFER);
static const uint64_t emu_ept_cap =
	EPT_CAP_WALK_LENGTH_4 | EPT_CAP_MEMTYPE_UC | EPT_CAP_MEMTYPE_WB |
	EPT_CAP_INVEPT | EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL;
#define CR0_FIXED0	0x80000021ull	/* PE, NE, PG */
#define CR4_FIXED0	0x00002000ull	/* VMXE */

uint64_t emu_vmx_rdmsr(uint32_t msr)
{
	switch (msr) {
	case MSR_IA32_VMX_BASIC:
		/* revision, 4 KiB region, write-back VMCS, TRUE_* MSRs */
		return EMU_VMCS_REVISION | (4096ull << 32) | (6ull << 50) |
		       VMX_BASIC_TRUE_CTLS;
	case MSR_IA32_VMX_PINBASED_CTLS:
	case MSR_IA32_VMX_TRUE_PINBASED_CTLS:
		return emu_pin_ctls;
	case MSR_IA32_VMX_PROCBASED_CTLS:
	case MSR_IA32_VMX_TRUE_PROCBASED_CTLS:
		return emu_proc_ctls;
	case MSR_IA32_VMX_PROCBASED_CTLS2:
		return emu_proc_ctls2;
	case MSR_IA32_VMX_EXIT_CTLS:
	case MSR_IA32_VMX_TRUE_EXIT_CTLS:
		return emu_exit_ctls;
	case MSR_IA32_VMX_ENTRY_CTLS:
	case MSR_IA32_VMX_TRUE_ENTRY_CTLS:
		return emu_entry_ctls;
	case MSR_IA32_VMX_CR0_FIXED0:
		return CR0_FIXED0;
	case MSR_IA32_VMX_CR0_FIXED1:
		return 0xffffffffull;
	case MSR_IA32_VMX_CR4_FIXED0:
		return CR4_FIXED0;
	case MSR_IA32_VMX_CR4_FIXED1:
		return 0x003727ffull;
	case MSR_IA32_VMX_EPT_VPID_CAP:
		return emu_ept_cap;
	default:
		return 0;
	}
}

/* --- physical memory and the VMCS region --- */

static bool phys_addr_ok(const struct emu_vmx_cpu *cpu, uint64_t pa)
{
	unsigned w = cpu->m->phys_addr_bits;
	return (pa & 0xfff) == 0 && (w >= 64 || (pa >> w) == 0);
}

static uint32_t rd32(const struct emu_vmx_cpu *cpu, uint64_t pa)
{
	uint32_t *p = cpu->m->map(cpu->m->ctx, pa);
	return p ? *p : 0xffffffffu;
}

static void wr32(const struct emu_vmx_cpu *cpu, uint64_t pa, uint32_t v)
{
	uint32_t *p = cpu->m->map(cpu->m->ctx, pa);
	if (p)
		*p = v;
}

static uint64_t rd64(const struct emu_vmx_cpu *cpu, uint64_t pa)
{
	uint64_t *p = cpu->m->map(cpu->m->ctx, pa);
	return p ? *p : ~0ull;
}

static void wr64(const struct emu_vmx_cpu *cpu, uint64_t pa, uint64_t v)
{
	uint64_t *p = cpu->m->map(cpu->m->ctx, pa);
	if (p)
		*p = v;
}

/* Slot of a (full, not high-half) encoding in the region, or -1. */
static int field_index(uint32_t enc)
{
	for (unsigned i = 0; i < NFIELDS; i++)
		if (supported_fields[i] == enc)
			return (int)i;
	return -1;
}

/* Does VMREAD/VMWRITE know this encoding (SDM 24.11.2)? The high-half
 * access type exists only for 64-bit fields. Bits 63:32 must be 0. */
static int field_lookup(uint64_t enc)
{
	if (enc >> 32)
		return -1;
	if (VMCS_ENC_HIGH(enc) && VMCS_ENC_WIDTH(enc) != VMCS_WIDTH_64)
		return -1;
	return field_index((uint32_t)enc & ~1u);
}

static uint64_t field_pa(const struct emu_vmx_cpu *cpu, int idx)
{
	return cpu->current_vmcs + VMCS_OFF_FIELDS + 8ull * (unsigned)idx;
}

static uint64_t width_mask(uint32_t enc)
{
	switch (VMCS_ENC_WIDTH(enc)) {
	case VMCS_WIDTH_16: return 0xffffull;
	case VMCS_WIDTH_32: return 0xffffffffull;
	default: return ~0ull;
	}
}

uint64_t emu_vmcs_get(const struct emu_vmx_cpu *cpu, uint32_t enc)
{
	int idx = field_index(enc);
	return idx < 0 ? 0 : rd64(cpu, field_pa(cpu, idx));
}

void emu_vmcs_set(struct emu_vmx_cpu *cpu, uint32_t enc, uint64_t val)
{
	int idx = field_index(enc);
	if (idx >= 0)
		wr64(cpu, field_pa(cpu, idx), val & width_mask(enc));
}

bool emu_vmcs_launched(const struct emu_vmx_cpu *cpu, uint64_t pa)
{
	return rd32(cpu, pa + VMCS_OFF_LAUNCH) == VMCS_LAUNCHED;
}

/* --- VMsucceed / VMfail (SDM 31.2) --- */

static struct emu_vmx_result vm_succeed(void)
{
	return (struct emu_vmx_result){ EMU_NO_FAULT, 0, 0 };
}

static struct emu_vmx_result vm_fail_invalid(void)
{
	return (struct emu_vmx_result){ EMU_NO_FAULT, RFLAGS_CF, 0 };
}

/* VMfail(n): VMfailValid(n) if there is a current VMCS to write the
 * number into, VMfailInvalid otherwise. */
static struct emu_vmx_result vm_fail(struct emu_vmx_cpu *cpu, uint32_t err)
{
	if (cpu->current_vmcs == EMU_VMCS_NONE)
		return vm_fail_invalid();
	emu_vmcs_set(cpu, VM_INSTRUCTION_ERROR, err);
	return (struct emu_vmx_result){ EMU_NO_FAULT, RFLAGS_ZF, err };
}

static struct emu_vmx_result fault(enum emu_fault f)
{
	return (struct emu_vmx_result){ f, 0, 0 };
}

/* --- the instructions --- */

void emu_vmx_cpu_init(struct emu_vmx_cpu *cpu, const struct emu_vmx_machine *m)
{
	cpu->m = m;
	cpu->cr4_vmxe = false;
	cpu->feature_control_ok = false;
	cpu->in_vmx = false;
	cpu->in_guest = false;
	cpu->vmxon_ptr = EMU_VMCS_NONE;
	cpu->current_vmcs = EMU_VMCS_NONE;
}

struct emu_vmx_result emu_vmxon(struct emu_vmx_cpu *cpu, uint64_t pa)
{
	if (!cpu->cr4_vmxe)
		return fault(EMU_FAULT_UD);
	if (cpu->in_vmx)
		return vm_fail(cpu, VMXERR_VMXON_IN_ROOT);
	if (!cpu->feature_control_ok)
		return fault(EMU_FAULT_GP);
	if (!phys_addr_ok(cpu, pa))
		return vm_fail_invalid();
	if (rd32(cpu, pa + VMCS_OFF_REVISION) != EMU_VMCS_REVISION)
		return vm_fail_invalid();
	cpu->in_vmx = true;
	cpu->vmxon_ptr = pa;
	cpu->current_vmcs = EMU_VMCS_NONE;
	return vm_succeed();
}

struct emu_vmx_result emu_vmxoff(struct emu_vmx_cpu *cpu)
{
	if (!cpu->in_vmx)
		return fault(EMU_FAULT_UD);
	cpu->in_vmx = false;
	cpu->vmxon_ptr = EMU_VMCS_NONE;
	cpu->current_vmcs = EMU_VMCS_NONE;
	return vm_succeed();
}

struct emu_vmx_result emu_vmclear(struct emu_vmx_cpu *cpu, uint64_t pa)
{
	if (!cpu->in_vmx)
		return fault(EMU_FAULT_UD);
	if (!phys_addr_ok(cpu, pa))
		return vm_fail(cpu, VMXERR_VMCLEAR_BAD_ADDR);
	if (pa == cpu->vmxon_ptr)
		return vm_fail(cpu, VMXERR_VMCLEAR_VMXON_PTR);
	/* "Ensure that data for VMCS referenced by the operand is in memory;
	 * initialize implementation-specific data; launch state <- clear". */
	wr32(cpu, pa + VMCS_OFF_LAUNCH, 0);
	if (pa == cpu->current_vmcs)
		cpu->current_vmcs = EMU_VMCS_NONE;
	return vm_succeed();
}

struct emu_vmx_result emu_vmptrld(struct emu_vmx_cpu *cpu, uint64_t pa)
{
	if (!cpu->in_vmx)
		return fault(EMU_FAULT_UD);
	if (!phys_addr_ok(cpu, pa))
		return vm_fail(cpu, VMXERR_VMPTRLD_BAD_ADDR);
	if (pa == cpu->vmxon_ptr)
		return vm_fail(cpu, VMXERR_VMPTRLD_VMXON_PTR);
	/* Bit 31 of the first word is the shadow-VMCS indicator, which this
	 * model does not support: a region with it set has the wrong id. */
	if (rd32(cpu, pa + VMCS_OFF_REVISION) != EMU_VMCS_REVISION)
		return vm_fail(cpu, VMXERR_VMPTRLD_BAD_REVISION);
	cpu->current_vmcs = pa;
	return vm_succeed();
}

struct emu_vmx_result emu_vmptrst(struct emu_vmx_cpu *cpu, uint64_t *pa)
{
	if (!cpu->in_vmx)
		return fault(EMU_FAULT_UD);
	*pa = cpu->current_vmcs;
	return vm_succeed();
}

struct emu_vmx_result emu_vmread(struct emu_vmx_cpu *cpu, uint64_t enc,
				 uint64_t *val)
{
	if (!cpu->in_vmx)
		return fault(EMU_FAULT_UD);
	if (cpu->current_vmcs == EMU_VMCS_NONE)
		return vm_fail_invalid();
	int idx = field_lookup(enc);
	if (idx < 0)
		return vm_fail(cpu, VMXERR_UNSUPPORTED_FIELD);
	uint64_t v = rd64(cpu, field_pa(cpu, idx));
	*val = VMCS_ENC_HIGH(enc) ? v >> 32 : v;
	return vm_succeed();
}

struct emu_vmx_result emu_vmwrite(struct emu_vmx_cpu *cpu, uint64_t enc,
				  uint64_t val)
{
	if (!cpu->in_vmx)
		return fault(EMU_FAULT_UD);
	if (cpu->current_vmcs == EMU_VMCS_NONE)
		return vm_fail_invalid();
	int idx = field_lookup(enc);
	if (idx < 0)
		return vm_fail(cpu, VMXERR_UNSUPPORTED_FIELD);
	/* IA32_VMX_MISC bit 29 (VMWRITE to exit-information fields) is 0 in
	 * this model, so the read-only fields stay read-only. */
	if (VMCS_ENC_TYPE(enc) == VMCS_TYPE_READ_ONLY)
		return vm_fail(cpu, VMXERR_WRITE_READONLY_FIELD);
	uint64_t pa = field_pa(cpu, idx);
	uint32_t full = (uint32_t)enc & ~1u;
	if (VMCS_ENC_HIGH(enc))
		val = (rd64(cpu, pa) & 0xffffffffull) | (val << 32);
	wr64(cpu, pa, val & width_mask(full));
	return vm_succeed();
}

bool emu_eptp_valid(const struct emu_vmx_cpu *cpu, uint64_t eptp)
{
	uint64_t memtype = eptp & 7;
	if (!((memtype == EPTP_MEMTYPE_UC && (emu_ept_cap & EPT_CAP_MEMTYPE_UC)) ||
	      (memtype == EPTP_MEMTYPE_WB && (emu_ept_cap & EPT_CAP_MEMTYPE_WB))))
		return false;
	if (((eptp >> 3) & 7) != 3)	/* page-walk length 4 */
		return false;
	/* Bit 6 (accessed/dirty flags) needs IA32_VMX_EPT_VPID_CAP bit 21,
	 * which this model does not report; bits 11:7 are reserved. */
	if (eptp & 0xfc0)
		return false;
	unsigned w = cpu->m->phys_addr_bits;
	return w >= 64 || (eptp >> w) == 0;
}

struct emu_vmx_result emu_invept(struct emu_vmx_cpu *cpu, uint64_t type,
				 const uint64_t desc[2])
{
	if (!cpu->in_vmx || !(emu_ept_cap & EPT_CAP_INVEPT))
		return fault(EMU_FAULT_UD);
	bool supported =
		(type == INVEPT_SINGLE_CONTEXT && (emu_ept_cap & EPT_CAP_INVEPT_SINGLE)) ||
		(type == INVEPT_ALL_CONTEXT && (emu_ept_cap & EPT_CAP_INVEPT_ALL));
	if (!supported)
		return vm_fail(cpu, VMXERR_INVEPT_INVVPID_OPERAND);
	/* The SDM requires descriptor bits 127:64 to be 0; Bochs 2.7 does not
	 * look at them. We follow the SDM (the kernel always passes 0). */
	if (desc[1] != 0)
		return vm_fail(cpu, VMXERR_INVEPT_INVVPID_OPERAND);
	if (type == INVEPT_SINGLE_CONTEXT && !emu_eptp_valid(cpu, desc[0]))
		return vm_fail(cpu, VMXERR_INVEPT_INVVPID_OPERAND);
	/* The cached translations themselves live in the backend (its shadow
	 * of the EPT); the backend drops them after a successful INVEPT. */
	return vm_succeed();
}

/* Does `val` respect a control MSR (must-be-1 low, may-be-1 high)? */
static bool ctls_ok(uint64_t msr_val, uint64_t val)
{
	uint32_t must = (uint32_t)msr_val, may = (uint32_t)(msr_val >> 32);
	return (val & must) == must && (val & ~(uint64_t)may) == 0;
}

/* SDM 26.2.1: checks on the VM-execution, exit and entry controls. */
static bool controls_ok(struct emu_vmx_cpu *cpu)
{
	uint64_t proc = emu_vmcs_get(cpu, CPU_BASED_VM_EXEC_CONTROL);
	uint64_t proc2 = (proc & CPU_ACTIVATE_SECONDARY) ?
		emu_vmcs_get(cpu, SECONDARY_VM_EXEC_CONTROL) : 0;
	if (!ctls_ok(emu_pin_ctls, emu_vmcs_get(cpu, PIN_BASED_VM_EXEC_CONTROL)) ||
	    !ctls_ok(emu_proc_ctls, proc) || !ctls_ok(emu_proc_ctls2, proc2) ||
	    !ctls_ok(emu_exit_ctls, emu_vmcs_get(cpu, VM_EXIT_CONTROLS)) ||
	    !ctls_ok(emu_entry_ctls, emu_vmcs_get(cpu, VM_ENTRY_CONTROLS)))
		return false;
	if (emu_vmcs_get(cpu, CR3_TARGET_COUNT) > 4)
		return false;
	if ((proc2 & SECONDARY_ENABLE_EPT) &&
	    !emu_eptp_valid(cpu, emu_vmcs_get(cpu, EPT_POINTER)))
		return false;
	/* Unrestricted guest requires EPT (SDM 26.2.1.1). */
	if ((proc2 & SECONDARY_UNRESTRICTED_GUEST) && !(proc2 & SECONDARY_ENABLE_EPT))
		return false;
	return true;
}

static bool canonical(uint64_t va)
{
	return (uint64_t)(((int64_t)(va << 16)) >> 16) == va;
}

/* SDM 26.2.2-26.2.4: the host-state checks a 64-bit host can fail. */
static bool host_state_ok(struct emu_vmx_cpu *cpu)
{
	uint64_t cr0 = emu_vmcs_get(cpu, HOST_CR0), cr4 = emu_vmcs_get(cpu, HOST_CR4);
	if ((cr0 & CR0_FIXED0) != CR0_FIXED0 || (cr4 & CR4_FIXED0) != CR4_FIXED0)
		return false;
	/* We are in IA-32e mode: the exit must return to a 64-bit host. */
	if (!(emu_vmcs_get(cpu, VM_EXIT_CONTROLS) & EXIT_HOST_ADDR_SPACE_SIZE))
		return false;
	if (!canonical(emu_vmcs_get(cpu, HOST_RIP)) ||
	    !canonical(emu_vmcs_get(cpu, HOST_FS_BASE)) ||
	    !canonical(emu_vmcs_get(cpu, HOST_GS_BASE)) ||
	    !canonical(emu_vmcs_get(cpu, HOST_TR_BASE)))
		return false;
	/* Selector RPL/TI must be 0, and CS and TR may not be null. */
	for (uint32_t f = HOST_ES_SELECTOR; f <= HOST_TR_SELECTOR; f += 2)
		if (emu_vmcs_get(cpu, f) & 7)
			return false;
	return emu_vmcs_get(cpu, HOST_CS_SELECTOR) && emu_vmcs_get(cpu, HOST_TR_SELECTOR);
}

struct emu_vmx_result emu_vmentry(struct emu_vmx_cpu *cpu, bool launch)
{
	if (!cpu->in_vmx)
		return fault(EMU_FAULT_UD);
	if (cpu->current_vmcs == EMU_VMCS_NONE)
		return vm_fail_invalid();
	bool launched = emu_vmcs_launched(cpu, cpu->current_vmcs);
	if (launch && launched)
		return vm_fail(cpu, VMXERR_VMLAUNCH_NOT_CLEAR);
	if (!launch && !launched)
		return vm_fail(cpu, VMXERR_VMRESUME_NOT_LAUNCHED);
	if (!controls_ok(cpu))
		return vm_fail(cpu, VMXERR_ENTRY_BAD_CONTROLS);
	if (!host_state_ok(cpu))
		return vm_fail(cpu, VMXERR_ENTRY_BAD_HOST_STATE);
	/* Guest-state checks (SDM 26.3.1) fail the entry with a VM exit, not
	 * a VMfail. The one modelled: the VMCS link pointer must be all ones
	 * when VMCS shadowing is off. */
	if (emu_vmcs_get(cpu, VMCS_LINK_POINTER) != ~0ull) {
		struct emu_vmexit_info e = {
			.reason = EXIT_REASON_ENTRY_BAD_GUEST | EXIT_REASON_ENTRY_FAILED,
			.guest_rip = emu_vmcs_get(cpu, GUEST_RIP),
			.guest_rsp = emu_vmcs_get(cpu, GUEST_RSP),
			.guest_rflags = emu_vmcs_get(cpu, GUEST_RFLAGS),
		};
		emu_vmexit(cpu, &e);
		return vm_succeed();
	}
	if (launch)
		wr32(cpu, cpu->current_vmcs + VMCS_OFF_LAUNCH, VMCS_LAUNCHED);
	cpu->in_guest = true;
	return vm_succeed();
}

void emu_vmexit(struct emu_vmx_cpu *cpu, const struct emu_vmexit_info *e)
{
	emu_vmcs_set(cpu, VM_EXIT_REASON, e->reason);
	emu_vmcs_set(cpu, EXIT_QUALIFICATION, e->qualification);
	emu_vmcs_set(cpu, GUEST_LINEAR_ADDRESS, e->guest_linear);
	emu_vmcs_set(cpu, GUEST_PHYSICAL_ADDRESS, e->guest_physical);
	emu_vmcs_set(cpu, VM_EXIT_INTR_INFO, e->intr_info);
	emu_vmcs_set(cpu, VM_EXIT_INTR_ERROR_CODE, e->intr_error);
	emu_vmcs_set(cpu, VM_EXIT_INSTRUCTION_LEN, e->instr_len);
	emu_vmcs_set(cpu, GUEST_RIP, e->guest_rip);
	emu_vmcs_set(cpu, GUEST_RSP, e->guest_rsp);
	emu_vmcs_set(cpu, GUEST_RFLAGS, e->guest_rflags);
	cpu->in_guest = false;
}
