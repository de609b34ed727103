/*
 * paging.h: user address spaces (x86-64 4-level page tables).
 *
 * Every process has its own PML4. Its lower half (entries 0..255) maps the
 * process's pages with 4 KiB pages only; its upper half is a copy of the
 * kernel's entries, so the kernel (direct map, image) is mapped identically
 * in every address space and never needs to be copied again.
 */
#ifndef KERNEL_ARCH_X86_64_PAGING_H
#define KERNEL_ARCH_X86_64_PAGING_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

/* First address past user space (the lower canonical half). */
#define USER_ADDR_END 0x0000800000000000ull
/* User programs are linked at 0x400000 (kernel/user/user.ld); nothing of
 * theirs may sit below this. */
#define USER_ADDR_MIN 0x0000000000400000ull
/* The stack: USER_STACK_PAGES pages ending here. */
#define USER_STACK_TOP 0x0000700000000000ull
#define USER_STACK_PAGES 8

/* A fresh PML4 with the kernel's upper half: kernel VA and physical
 * address. Returns 0, or -ENOMEM. */
int paging_new_user_pml4(uint64_t **pml4, uint64_t *cr3);
/* Map the page at kernel address page (from page_alloc) at user address va.
 * The page then belongs to the address space and is freed with it.
 * Returns 0, -EINVAL (va not a page-aligned user address, already mapped)
 * or -ENOMEM. */
int paging_map_user_page(uint64_t *pml4, uintptr_t va, void *page, bool writable);
/* Kernel address of the byte at user address va, if va is mapped with the
 * user bit (and writable, if write): what copy_to/from_user use, so that a
 * bad pointer is an error, never a kernel fault. NULL otherwise. */
void *paging_user_addr(uint64_t *pml4, uintptr_t va, bool write);
/* Free every user page and page-table page, then the PML4 itself. */
void paging_free_user(uint64_t *pml4);

#endif
