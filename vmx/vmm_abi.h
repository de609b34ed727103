/*
 * vmm_abi.h: what a VMM process and the kernel's VMX layer agree on: the
 * exit report of sys_vmm_run and the guests' hypercall numbers. Included
 * by vmx/ and by kernel/user/vmm*.c; plain C types only.
 */
#ifndef VMX_VMM_ABI_H
#define VMX_VMM_ABI_H

#include <stdint.h>

/*
 * sys_vmm_map(gpa, src, len)          back guest-physical [gpa, gpa+len) with
 *                                      fresh pages, copied from src (or zero)
 * sys_vmm_gpc_create(gpcid, rip, rsp)  a guest pcore starting at rip
 * sys_vmm_run(gpcid, struct vmm_exit *) run it until an exit the VMM must
 *                                      see; returns the exit reason (below
 *                                      0: -errno), details in *exit
 * External interrupts are the kernel's: sys_vmm_run returns one (reason 1)
 * only when the VMM has a signal to handle.
 */
struct vmm_exit {
	uint32_t reason;		/* basic exit reason (vmx/vmx_arch.h) */
	uint32_t gpcid;
	uint64_t qualification;
	uint64_t guest_rip;		/* of the exiting instruction */
	uint64_t guest_phys;		/* EPT violation: the address */
	uint64_t rax, rbx, rcx, rdx;	/* guest registers: hypercall arguments */
};

/* Hypercalls: VMCALL with the number in EAX, the argument in EBX. The VMM
 * resumes the guest after the VMCALL. */
#define HC_PROGRESS	1	/* EBX: a counter the guest reached */
#define HC_PUTS		2	/* EBX: guest-physical address of a NUL-terminated string */

#endif
