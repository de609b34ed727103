/*
 * vmx_fail.c: naming a VMfail. Every VMX wrapper turns VMfailInvalid and
 * VMfailValid into `ud2` (kernel/arch/x86_64/vmx_asm.h), as Akaros did, so
 * a failed VMX instruction is an "Invalid Opcode" in the kernel. This file
 * tells the report which instruction it was and why: the ud2's address is
 * in the .vmx_fail_sites table, the flags in the trap frame say whether it
 * was VMfailInvalid (CF) or VMfailValid (ZF), and for VMfailValid the
 * VM-instruction error is read from the current VMCS, as the SDM says.
 */
#include "vmx/vmx.h"
#include "vmx/backend.h"
#include "vmx/vmx_arch.h"
#include "vmx/vmcs_fields.h"
#include "kernel/arch/x86_64/vmx_asm.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/trap.h"
#include "trace/trace.h"

extern const struct vmx_fail_site __vmx_fail_sites_start[], __vmx_fail_sites_end[];

/* The fail sites' numbers are the trace's vmx_insn values. */
_Static_assert(VMXI_VMXON == TRACE_vmx_insn_VMXON && VMXI_VMCLEAR == TRACE_vmx_insn_VMCLEAR &&
	       VMXI_VMPTRLD == TRACE_vmx_insn_VMPTRLD && VMXI_VMREAD == TRACE_vmx_insn_VMREAD &&
	       VMXI_VMWRITE == TRACE_vmx_insn_VMWRITE && VMXI_INVEPT == TRACE_vmx_insn_INVEPT &&
	       VMXI_VMLAUNCH == TRACE_vmx_insn_VMLAUNCH &&
	       VMXI_VMRESUME == TRACE_vmx_insn_VMRESUME,
	       "VMXI_* (vmx_asm.h) and the vmx_insn enum (events.def) must agree");

/* The exit reasons vmx_arch.h knows are the trace's, number for number,
 * and the trace names no other (kernel/trace_enums.c does the same for
 * the core kernel's enums). */
#define X(name, n)                                                            \
	_Static_assert((int)TRACE_vm_exit_reason_##name == (n),               \
		       "trace/events.def: vm_exit_reason " #name " is not " #n);
VMX_EXIT_REASONS(X)
#undef X
enum {
	EXIT_REASONS_KNOWN = 0
#define X(name, n) + 1
	VMX_EXIT_REASONS(X)
#undef X
	, EXIT_REASONS_TRACED = 0
#define TRACE_ENUM_VAL(e, v, x) + (TRACE_ENUM_##e == TRACE_ENUM_vm_exit_reason)
#include "trace/events.def"
};
_Static_assert(EXIT_REASONS_KNOWN == EXIT_REASONS_TRACED,
	       "trace/events.def names a vm_exit_reason that vmx/vmx_arch.h does not have");

/* The operand of the VMX instruction in progress on each core. */
static struct {
	unsigned insn;
	uint64_t operand;
	int pid;		/* whose GPC it serves, as read through gpc->proc */
	void *site;		/* who asked (vmx_clear_vmcs's caller) */
} insn_note[MAX_CPUS];

void vmx_note_insn(unsigned insn, uint64_t operand)
{
	insn_note[core_id()].insn = insn;
	insn_note[core_id()].operand = operand;
}

void vmx_note_owner(int pid, void *site)
{
	insn_note[core_id()].pid = pid;
	insn_note[core_id()].site = site;
}

static const char *insn_name(unsigned insn)
{
	static const char *const names[] = {
		[VMXI_VMXON] = "VMXON", [VMXI_VMCLEAR] = "VMCLEAR",
		[VMXI_VMPTRLD] = "VMPTRLD", [VMXI_VMREAD] = "VMREAD",
		[VMXI_VMWRITE] = "VMWRITE", [VMXI_INVEPT] = "INVEPT",
		[VMXI_VMLAUNCH] = "VMLAUNCH", [VMXI_VMRESUME] = "VMRESUME",
	};
	return insn < sizeof(names) / sizeof(names[0]) && names[insn] ? names[insn] : "?";
}

/* SDM 31.4, table 31-1: the errors this kernel can meet. */
static const char *vm_error_text(uint32_t err)
{
	switch (err) {
	case VMXERR_VMCALL_IN_ROOT: return "VMCALL executed in VMX root operation";
	case VMXERR_VMCLEAR_BAD_ADDR: return "VMCLEAR with invalid physical address";
	case VMXERR_VMCLEAR_VMXON_PTR: return "VMCLEAR with VMXON pointer";
	case VMXERR_VMLAUNCH_NOT_CLEAR: return "VMLAUNCH with non-clear VMCS";
	case VMXERR_VMRESUME_NOT_LAUNCHED: return "VMRESUME with non-launched VMCS";
	case VMXERR_VMRESUME_AFTER_VMXOFF: return "VMRESUME after VMXOFF";
	case VMXERR_ENTRY_BAD_CONTROLS: return "VM entry with invalid control field(s)";
	case VMXERR_ENTRY_BAD_HOST_STATE: return "VM entry with invalid host-state field(s)";
	case VMXERR_VMPTRLD_BAD_ADDR: return "VMPTRLD with invalid physical address";
	case VMXERR_VMPTRLD_VMXON_PTR: return "VMPTRLD with VMXON pointer";
	case VMXERR_VMPTRLD_BAD_REVISION: return "VMPTRLD with incorrect VMCS revision identifier";
	case VMXERR_UNSUPPORTED_FIELD: return "VMREAD/VMWRITE from/to unsupported VMCS component";
	case VMXERR_WRITE_READONLY_FIELD: return "VMWRITE to read-only VMCS component";
	case VMXERR_VMXON_IN_ROOT: return "VMXON executed in VMX root operation";
	case VMXERR_ENTRY_MOVSS_BLOCKING: return "VM entry with events blocked by MOV SS";
	case VMXERR_INVEPT_INVVPID_OPERAND: return "invalid operand to INVEPT/INVVPID";
	default: return "see SDM table 31-1";
	}
}

/* The wrapper whose ud2 raised tf, or NULL if tf is no VMX failure. */
static const struct vmx_fail_site *fail_site(const struct trapframe *tf)
{
	const struct vmx_fail_site *s;

	if (tf->vector != 6 || trap_from_user(tf) || !vmx_be)
		return NULL;
	for (s = __vmx_fail_sites_start; s < __vmx_fail_sites_end; s++)
		if (s->rip == tf->rip)
			return s;
	return NULL;
}

/* How the failed instruction failed, from the flags its tail trapped on. */
static bool failed_valid(const struct trapframe *tf, uint32_t *err)
{
	bool valid = (tf->rflags & RFLAGS_ZF) && !(tf->rflags & RFLAGS_CF);
	uint32_t me = core_id();
	typeof(insn_note[0]) failed = insn_note[me];

	/* VMfailValid guarantees a current VMCS, so this VMREAD succeeds. It
	 * notes itself as the instruction in progress: put the failed one's
	 * note back. */
	*err = valid ? (uint32_t)vmcs_read(VM_INSTRUCTION_ERROR) : 0;
	insn_note[me] = failed;
	return valid;
}

/* The one place the invept event is emitted, for the INVEPT this core
 * just ran: its operand (vmx_note_insn), whose GPC and who asked
 * (vmx_note_owner), how it ended and its error number (0 but for
 * VMfailValid). */
static void trace_invept_outcome(unsigned how, uint32_t err)
{
	uint32_t me = core_id();

	trace_invept(insn_note[me].pid, insn_note[me].operand, err, insn_note[me].site, how,
		     TRACE_invept_type_single_context);
}

void vmx_invept_succeeded(void)
{
	trace_invept_outcome(TRACE_vmfail_VMsucceed, 0);
}

void vmx_trace_fail(const struct trapframe *tf)
{
	const struct vmx_fail_site *s = fail_site(tf);
	uint32_t me = core_id(), err;

	if (!s)
		return;
	unsigned how = failed_valid(tf, &err) ? TRACE_vmfail_VMfailValid
					      : TRACE_vmfail_VMfailInvalid;
	if (s->insn == VMXI_INVEPT)
		trace_invept_outcome(how, err);
	trace_vmx_insn_fail(s->insn, how, err, (void *)tf->rip, insn_note[me].operand);
}

bool vmx_report_fail(const struct trapframe *tf)
{
	const struct vmx_fail_site *s = fail_site(tf);
	uint32_t err;

	if (!s)
		return false;
	bool valid = failed_valid(tf, &err);
	printk("VMX: %s failed (operand %lx): %s", insn_name((unsigned)s->insn),
	       insn_note[core_id()].operand, valid ? "VMfailValid" : "VMfailInvalid (no current VMCS)");
	if (valid)
		printk(", VM-instruction error %u: %s", err, vm_error_text(err));
	printk(" [%s backend]\n", vmx_be->name);
	return true;
}
