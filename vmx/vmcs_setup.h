/*
 * vmcs_setup.h: the fields of a GPC's VMCS (vmcs_setup.c). Written while the
 * VMCS is current on this core.
 */
#ifndef VMX_VMCS_SETUP_H
#define VMX_VMCS_SETUP_H

#include <stdint.h>

struct guest_pcore;

/* Controls, core-independent host state and the guest's initial state: a
 * flat 32-bit protected-mode guest without paging (unrestricted guest,
 * EPT), starting at rip with stack rsp. */
void vmcs_setup_gpc(struct guest_pcore *gpc, uint64_t rip, uint64_t rsp);
/* The host state that differs between cores (TSS, GS base, GDT, IDT):
 * after every VMPTRLD, since the VMCS may have moved core. */
void vmcs_setup_host_pcpu(void);
/* The host state that differs between entries: the address space the
 * exit returns to, and the kernel stack it lands on. */
void vmcs_setup_host_entry(uint64_t host_rsp);

#endif
