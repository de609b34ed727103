/*
 * trap.c: where every interrupt and exception lands (from trapentry.S).
 *
 * A vector with a registered handler goes to it. Anything else is a bug:
 * an unexpected exception or an interrupt nobody asked for. It gets a full
 * report (name, symbolised RIP, error code, CR2, registers, backtrace) and a
 * panic, so a kernel fault always ends the run loudly and the same way.
 */
#include "kernel/trap.h"
#include "kernel/printk.h"
#include "kernel/ksyms.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/syscall_arch.h"
#include "vmx/vmx.h"
#include "trace/trace.h"
#include "trace/kernel/trap_events.h"

static trap_handler_t handlers[NUM_VECTORS];
trap_handler_t user_fault_hook;

static const char *const exception_names[T_NUM_EXCEPTIONS] = {
	[T_DIVIDE] = "Divide Error",
	[T_DEBUG] = "Debug",
	[T_NMI] = "Non-Maskable Interrupt",
	[T_BREAKPOINT] = "Breakpoint",
	[T_OVERFLOW] = "Overflow",
	[T_BOUND] = "BOUND Range Exceeded",
	[T_INVALID_OP] = "Invalid Opcode",
	[T_NO_DEVICE] = "Device Not Available",
	[T_DOUBLE_FAULT] = "Double Fault",
	[T_COPROC_SEG] = "Coprocessor Segment Overrun",
	[T_INVALID_TSS] = "Invalid TSS",
	[T_SEG_NOT_PRESENT] = "Segment Not Present",
	[T_STACK_FAULT] = "Stack-Segment Fault",
	[T_GP_FAULT] = "General Protection",
	[T_PAGE_FAULT] = "Page Fault",
	[15] = "Reserved",
	[T_X87_FP] = "x87 Floating-Point Error",
	[T_ALIGNMENT] = "Alignment Check",
	[T_MACHINE_CHECK] = "Machine Check",
	[T_SIMD_FP] = "SIMD Floating-Point Exception",
	[T_VIRT] = "Virtualization Exception",
	[T_CONTROL_PROT] = "Control Protection Exception",
	[T_HV_INJECT] = "Hypervisor Injection Exception",
	[T_VMM_COMM] = "VMM Communication Exception",
	[T_SECURITY] = "Security Exception",
};

const char *trap_name(uint64_t vector)
{
	if (vector < T_NUM_EXCEPTIONS)
		return exception_names[vector] ? exception_names[vector] : "Reserved";
	if (vector == SPURIOUS_VECTOR)
		return "Spurious Interrupt";
	return "Interrupt";
}

void trap_register(uint8_t vector, trap_handler_t handler)
{
	if (handlers[vector] && handlers[vector] != handler)
		panic("trap_register: vector 0x%x already has a handler", vector);
	handlers[vector] = handler;
}

/* Page-fault error code bits (SDM Vol. 3, 4.7), spelled out for the report. */
static void print_pf_error(uint64_t err)
{
	printk("  error %lx (%s %s, %s mode%s%s)  CR2 %016lx\n", err,
	       (err & 1) ? "protection violation on" : "not-present page on",
	       (err & 16) ? "instruction fetch" : (err & 2) ? "write" : "read",
	       (err & 4) ? "user" : "kernel",
	       (err & 8) ? ", reserved bit set" : "",
	       (err & 32) ? ", protection key" : "", read_cr2());
}

static void print_report(const struct trapframe *tf)
{
	char rip[128];
	ksym_format(rip, sizeof rip, tf->rip);

	printk("PANIC: %s (vector %lu) in %s mode, APIC ID %u\n",
	       trap_name(tf->vector), tf->vector,
	       trap_from_user(tf) ? "user" : "kernel", cpu_initial_apic_id());
	printk("  RIP %s\n", rip);
	if (tf->vector == T_PAGE_FAULT)
		print_pf_error(tf->error);
	else if (tf->vector == T_DOUBLE_FAULT)
		/* Usually a fault while delivering a page fault (a stack
		 * overflow): CR2 still names the address of that first fault. */
		printk("  error %lx  CR2 %016lx (the page fault that led here, if any)\n",
		       tf->error, read_cr2());
	else if (tf->vector < T_NUM_EXCEPTIONS && ((T_ERRCODE_MASK >> tf->vector) & 1))
		printk("  error %lx\n", tf->error);
	printk("  RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n",
	       tf->rax, tf->rbx, tf->rcx, tf->rdx);
	printk("  RSI %016lx RDI %016lx RBP %016lx RSP %016lx\n",
	       tf->rsi, tf->rdi, tf->rbp, tf->rsp);
	printk("  R8  %016lx R9  %016lx R10 %016lx R11 %016lx\n",
	       tf->r8, tf->r9, tf->r10, tf->r11);
	printk("  R12 %016lx R13 %016lx R14 %016lx R15 %016lx\n",
	       tf->r12, tf->r13, tf->r14, tf->r15);
	printk("  RFLAGS %016lx CS %04lx SS %04lx\n", tf->rflags, tf->cs, tf->ss);
	printk("  CR0 %016lx CR3 %016lx CR4 %016lx\n", read_cr0(), read_cr3(), read_cr4());

	/* The faulting function itself is frame #0; its callers follow from
	 * its frame pointer. A user-mode frame chain is not ours to walk. */
	if (!trap_from_user(tf))
		backtrace_print(tf->rip, tf->rsp, tf->rbp);
}

void trap_fatal(struct trapframe *tf)
{
	if (!panic_begin())
		halt_forever();
	/* A VMX wrapper's ud2 says which instruction failed, and how (its
	 * trace records went in just before the trap's: trap_dispatch). */
	vmx_report_fail(tf);
	/* The trap itself is already in the trace (trap_dispatch); the panic
	 * record follows it, before the report and the flush. */
	trace_panic((const void *)tf->rip);
	print_report(tf);
	panic_finish();
}

void trap_dispatch(struct trapframe *tf)
{
	trap_handler_t h;

	/* Before the trace sees it: on a host whose SYSCALL stays in ring 3
	 * the system call arrives as a #PF, and is traced as what it is. */
	if (tf->vector == T_PAGE_FAULT)
		syscall_arch_finish_unprivileged_entry(tf);
	h = handlers[tf->vector & 0xff];
	/* The emulated VMX backend's guest is the only code on the 32-bit
	 * user code segment: its traps are VM exits, and an interrupt's
	 * handler runs later, where the exit lets the interrupt in, as on
	 * real VMX (vmx/backend_emu.c). */
	if (tf->cs == GDT_UCODE32)
		vmx_emu_guest_trap(tf, h);
	/* A VMX wrapper's ud2: the failed instruction's records first. */
	if (tf->vector == T_INVALID_OP)
		vmx_trace_fail(tf);
	trace_trap_enter(tf);
	if (h) {
		h(tf);
		trace_trap_exit(tf);
		return;
	}
	/* A CPU exception in ring 3 is the process's fault, not the kernel's:
	 * the process model kills the process (proc_user_fault). */
	if (trap_from_user(tf) && tf->vector < T_NUM_EXCEPTIONS && user_fault_hook)
		user_fault_hook(tf);
	trap_fatal(tf);
}
