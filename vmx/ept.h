/*
 * ept.h: the VMM process's extended page tables (SDM 28.2), built through
 * sys_vmm_map: guest-physical pages backed by kernel-allocated pages.
 */
#ifndef VMX_EPT_H
#define VMX_EPT_H

#include <stdint.h>
#include <stdbool.h>

struct proc;

/* Back guest-physical page gpa with a fresh zeroed page, creating the EPT
 * (and p->eptp) on first use. Returns the page (kernel address), or NULL
 * if gpa is already mapped or memory ran out. */
void *ept_map_new_page(struct proc *p, uint64_t gpa);
/* Walk the EPT whose EPTP is eptp (the hardware's walk, for the emulated
 * backend): the leaf entry for gpa, or 0 if not present at some level. */
uint64_t ept_lookup(uint64_t eptp, uint64_t gpa);
/* Free the EPT and every guest page (from __proc_free); p->eptp = 0. */
void ept_free(struct proc *p);

#endif
