/*
 * vmx.h: what the rest of the kernel calls in vmx/.
 *
 * Boot: vmx_init() once on the boot CPU, after the APs are up: it chooses
 * the backend, registers the process-model hooks, and does VMXON on every
 * core (the APs through immediate KMSGs).
 * The process model reaches vmx_clear_vmcs() and the GPC teardown through
 * proc_register_vmx_ops() (kernel/arch/x86_64/proc_arch.h), not through
 * this header.
 */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include <stdint.h>
#include <stdbool.h>

struct trapframe;
typedef void (*trap_handler_t)(struct trapframe *tf);

void vmx_init(void);
/* vmx_fault=...: fail a VMX instruction on purpose (vmx_ktest.c); called
 * by vmx_init once every core is in VMX operation. */
void vmx_fault_test_run(void);
/* The physical address of a core's VMXON region. */
uint64_t vmx_vmxon_pa(uint32_t core);
/* "hardware" or "emulated"; NULL before vmx_init. */
const char *vmx_backend_name(void);

/* trap.c: a trap taken while the emulated backend's de-privileged guest
 * ran (the only code on the 32-bit user code segment). It is a VM exit,
 * or a fault the backend resolves and resumes from. For an interrupt,
 * handler is the host's handler of its vector (or NULL): it runs when the
 * exit path lets the interrupt in, as on hardware. Never returns. */
void vmx_emu_guest_trap(struct trapframe *tf, trap_handler_t handler)
	__attribute__((noreturn));

/* If tf is the ud2 of a VMX wrapper: trace the instruction's failure
 * (its invept record for an INVEPT, then vmx_insn_fail). trap.c calls it
 * before it traces the trap, so the cause comes before the effect. */
void vmx_trace_fail(const struct trapframe *tf);
/* trap.c's fatal report: if tf is the ud2 of a VMX wrapper, print which
 * instruction failed and how (VMfailInvalid, or VMfailValid with the
 * VM-instruction error), and return true. */
bool vmx_report_fail(const struct trapframe *tf);

/* The VMM's system calls (sys_vmm_map, sys_vmm_gpc_create, sys_vmm_run)
 * are in kernel/syscall.def and vmexit.c; their ABI in vmx/vmm_abi.h. */

#endif
