/*
 * trace_enums.c: the trace's names for kernel values agree with the kernel.
 *
 * The host tools never read kernel/ (HACKING.md), so every enum that a
 * trace field carries exists twice: in the kernel's header and as
 * TRACE_ENUM_VAL lines in trace/events.def. Nothing here runs: each check
 * is a _Static_assert, so the build fails the moment the two differ.
 * Every kernel value needs its TRACE_ENUM_VAL with the same number, and
 * the trace's enum may hold no value the kernel lacks. A reason added in
 * the middle of PROC_REF_REASONS, say, would otherwise renumber every
 * later reason in the kernel and leave every tool labelling refs wrongly.
 *
 * System calls are checked in kernel/syscall.c, VMX instructions and exit
 * reasons in vmx/vmx_fail.c, beside their own tables.
 */
#include "kernel/kmsg.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "kernel/arch/x86_64/vectors.h"
#include "trace/events.h"

#define SAME(trace_value, kernel_value)                                  \
	_Static_assert((int)(trace_value) == (int)(kernel_value),         \
		       "trace/events.def: " #trace_value " is not " #kernel_value)

/* How many TRACE_ENUM_VAL lines an enum has: TRACE_NVALS_<enum>. */
enum trace_enum_nvals {
	TRACE_NVALS_proc_state = 0
#define TRACE_ENUM_VAL(e, v, x) + (TRACE_ENUM_##e == TRACE_ENUM_proc_state)
#include "trace/events.def"
	, TRACE_NVALS_ref_reason = 0
#define TRACE_ENUM_VAL(e, v, x) + (TRACE_ENUM_##e == TRACE_ENUM_ref_reason)
#include "trace/events.def"
	, TRACE_NVALS_kmsg_type = 0
#define TRACE_ENUM_VAL(e, v, x) + (TRACE_ENUM_##e == TRACE_ENUM_kmsg_type)
#include "trace/events.def"
	, TRACE_NVALS_signal = 0
#define TRACE_ENUM_VAL(e, v, x) + (TRACE_ENUM_##e == TRACE_ENUM_signal)
#include "trace/events.def"
	, TRACE_NVALS_vector = 0
#define TRACE_ENUM_VAL(e, v, x) + (TRACE_ENUM_##e == TRACE_ENUM_vector)
#include "trace/events.def"
};

/* Process states and ref reasons: from the kernel's own X-macros. */
#define X(s) SAME(TRACE_proc_state_##s, PROC_##s);
PROC_STATES(X)
#undef X
_Static_assert((int)TRACE_NVALS_proc_state == (int)NR_PROC_STATES,
	       "trace/events.def names a proc_state that kernel/proc.h does not have");

#define X(r) SAME(TRACE_ref_reason_##r, PROC_REF_##r);
PROC_REF_REASONS(X)
#undef X
_Static_assert((int)TRACE_NVALS_ref_reason == (int)NR_PROC_REF_REASONS,
	       "trace/events.def names a ref_reason that kernel/proc.h does not have");

/* Kernel messages (kernel/kmsg.h). */
SAME(TRACE_kmsg_type_immediate, KMSG_IMMEDIATE);
SAME(TRACE_kmsg_type_routine, KMSG_ROUTINE);
_Static_assert(TRACE_NVALS_kmsg_type == 2, "trace/events.def: kmsg_type has a value kmsg.h lacks");

/* The signals the kernel implements (signal.c: signal_valid). */
SAME(TRACE_signal_SIGINT, SIGINT);
SAME(TRACE_signal_SIGKILL, SIGKILL);
SAME(TRACE_signal_SIGTERM, SIGTERM);
_Static_assert(TRACE_NVALS_signal == 3, "trace/events.def: signal has a value signal.h lacks");

/* The interrupt vectors an irq event can carry (vectors.h). */
SAME(TRACE_vector_timer, IRQ_TIMER_VECTOR);
SAME(TRACE_vector_kmsg, IPI_KMSG_VECTOR);
SAME(TRACE_vector_stop, IPI_STOP_VECTOR);
SAME(TRACE_vector_spurious, SPURIOUS_VECTOR);
_Static_assert(TRACE_NVALS_vector == 4, "trace/events.def: vector has a value vectors.h lacks");

/* CPU exceptions: the architecture's numbers, as vectors.h spells them. */
SAME(TRACE_trap_vector_DE, T_DIVIDE);
SAME(TRACE_trap_vector_DB, T_DEBUG);
SAME(TRACE_trap_vector_NMI, T_NMI);
SAME(TRACE_trap_vector_BP, T_BREAKPOINT);
SAME(TRACE_trap_vector_OF, T_OVERFLOW);
SAME(TRACE_trap_vector_BR, T_BOUND);
SAME(TRACE_trap_vector_UD, T_INVALID_OP);
SAME(TRACE_trap_vector_NM, T_NO_DEVICE);
SAME(TRACE_trap_vector_DF, T_DOUBLE_FAULT);
SAME(TRACE_trap_vector_TS, T_INVALID_TSS);
SAME(TRACE_trap_vector_NP, T_SEG_NOT_PRESENT);
SAME(TRACE_trap_vector_SS, T_STACK_FAULT);
SAME(TRACE_trap_vector_GP, T_GP_FAULT);
SAME(TRACE_trap_vector_PF, T_PAGE_FAULT);
SAME(TRACE_trap_vector_MF, T_X87_FP);
SAME(TRACE_trap_vector_AC, T_ALIGNMENT);
SAME(TRACE_trap_vector_MC, T_MACHINE_CHECK);
SAME(TRACE_trap_vector_XM, T_SIMD_FP);
SAME(TRACE_trap_vector_VE, T_VIRT);
