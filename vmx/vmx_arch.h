/*
 * vmx_arch.h: the architectural numbers of VMX that both backends and the
 * emulated model agree on (Intel SDM vol. 3, chapters 24-31 and appendices
 * A-C). Pure definitions, no code: it is included by the kernel and by the
 * host unit tests of the model alike.
 */
#ifndef VMX_VMX_ARCH_H
#define VMX_VMX_ARCH_H

/* --- VMX capability and control MSRs (SDM appendix A) --- */
#define MSR_IA32_FEATURE_CONTROL	0x03a
#define FEATURE_CONTROL_LOCKED		(1ull << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX	(1ull << 2)
#define MSR_IA32_VMX_BASIC		0x480
#define MSR_IA32_VMX_PINBASED_CTLS	0x481
#define MSR_IA32_VMX_PROCBASED_CTLS	0x482
#define MSR_IA32_VMX_EXIT_CTLS		0x483
#define MSR_IA32_VMX_ENTRY_CTLS		0x484
#define MSR_IA32_VMX_MISC		0x485
#define MSR_IA32_VMX_CR0_FIXED0		0x486
#define MSR_IA32_VMX_CR0_FIXED1		0x487
#define MSR_IA32_VMX_CR4_FIXED0		0x488
#define MSR_IA32_VMX_CR4_FIXED1		0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2	0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP	0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS	0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS	0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS	0x490

/* IA32_VMX_BASIC: bits 30:0 revision id, 44:32 region size, 53:50 memory
 * type, bit 55 "TRUE" control MSRs exist. */
#define VMX_BASIC_REVISION(b)		((uint32_t)(b) & 0x7fffffffu)
#define VMX_BASIC_TRUE_CTLS		(1ull << 55)

/* IA32_VMX_EPT_VPID_CAP bits the kernel and the model check. */
#define EPT_CAP_WALK_LENGTH_4		(1ull << 6)
#define EPT_CAP_MEMTYPE_UC		(1ull << 8)
#define EPT_CAP_MEMTYPE_WB		(1ull << 14)
#define EPT_CAP_INVEPT			(1ull << 20)
#define EPT_CAP_INVEPT_SINGLE		(1ull << 25)
#define EPT_CAP_INVEPT_ALL		(1ull << 26)

/* CPUID.1:ECX.VMX */
#define CPUID1_ECX_VMX			(1u << 5)

/* --- VM-instruction error numbers (SDM 31.4, table 31-1) --- */
enum vmx_insn_error {
	VMXERR_NONE = 0,
	VMXERR_VMCALL_IN_ROOT = 1,
	VMXERR_VMCLEAR_BAD_ADDR = 2,
	VMXERR_VMCLEAR_VMXON_PTR = 3,
	VMXERR_VMLAUNCH_NOT_CLEAR = 4,
	VMXERR_VMRESUME_NOT_LAUNCHED = 5,
	VMXERR_VMRESUME_AFTER_VMXOFF = 6,
	VMXERR_ENTRY_BAD_CONTROLS = 7,
	VMXERR_ENTRY_BAD_HOST_STATE = 8,
	VMXERR_VMPTRLD_BAD_ADDR = 9,
	VMXERR_VMPTRLD_VMXON_PTR = 10,
	VMXERR_VMPTRLD_BAD_REVISION = 11,
	VMXERR_UNSUPPORTED_FIELD = 12,
	VMXERR_WRITE_READONLY_FIELD = 13,
	VMXERR_VMXON_IN_ROOT = 15,
	VMXERR_ENTRY_MOVSS_BLOCKING = 26,
	VMXERR_INVEPT_INVVPID_OPERAND = 28,
};

/* What a VMX instruction reports in RFLAGS (SDM 31.2): VMsucceed clears
 * CF and ZF; VMfailInvalid (no current VMCS to hold an error number) sets
 * CF; VMfailValid sets ZF and stores the number in the current VMCS. */
#define RFLAGS_CF			(1ull << 0)
#define RFLAGS_ZF			(1ull << 6)

/* INVEPT types (SDM 30.3, "INVEPT"). */
#define INVEPT_SINGLE_CONTEXT		1
#define INVEPT_ALL_CONTEXT		2

/* --- Basic exit reasons (SDM appendix C) ---
 * The trace names them from TRACE_ENUM(vm_exit_reason) in events.def;
 * vmx/vmx_fail.c checks that the two lists agree. */
#define VMX_EXIT_REASONS(X)        \
	X(EXCEPTION_NMI, 0)        \
	X(EXTERNAL_INTERRUPT, 1)   \
	X(TRIPLE_FAULT, 2)         \
	X(INTERRUPT_WINDOW, 7)     \
	X(CPUID, 10)               \
	X(HLT, 12)                 \
	X(VMCALL, 18)              \
	X(CR_ACCESS, 28)           \
	X(IO, 30)                  \
	X(RDMSR, 31)               \
	X(WRMSR, 32)               \
	X(ENTRY_BAD_GUEST, 33)     \
	X(EPT_VIOLATION, 48)       \
	X(EPT_MISCONFIG, 49)
enum vmx_exit_reason {
#define X(name, n) EXIT_REASON_##name = (n),
	VMX_EXIT_REASONS(X)
#undef X
};
#define EXIT_REASON_ENTRY_FAILED	(1u << 31)

/* EPT-violation exit qualification (SDM 28.2.3.2): the access that
 * faulted, then what the EPT entry allowed. */
#define EPT_QUAL_READ			(1ull << 0)
#define EPT_QUAL_WRITE			(1ull << 1)
#define EPT_QUAL_FETCH			(1ull << 2)
#define EPT_QUAL_READABLE		(1ull << 3)
#define EPT_QUAL_WRITABLE		(1ull << 4)
#define EPT_QUAL_EXECUTABLE		(1ull << 5)
#define EPT_QUAL_LINEAR_VALID		(1ull << 7)

/* EPT paging-structure entries (SDM 28.2.2). */
#define EPT_R				(1ull << 0)
#define EPT_W				(1ull << 1)
#define EPT_X				(1ull << 2)
#define EPT_RWX				(EPT_R | EPT_W | EPT_X)
#define EPT_MEMTYPE_WB			(6ull << 3)	/* leaf entries */
#define EPT_ADDR_MASK			0x000ffffffffff000ull

/* EPTP (SDM 24.6.11): memory type in 2:0, walk length - 1 in 5:3. */
#define EPTP_MEMTYPE_UC			0ull
#define EPTP_MEMTYPE_WB			6ull
#define EPTP_WALK_4			(3ull << 3)

#endif
