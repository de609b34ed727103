/*
 * mm.h: physical memory: address translation, the page allocator and
 * kmalloc.
 *
 * All physical memory the kernel uses is mapped at PHYS_MAP_BASE (boot.S
 * maps the first 4 GiB there), so a physical address and its kernel
 * virtual address differ by a constant. The kernel image is also reachable
 * at its link address (0xffffffff80000000 + physical); V2P accepts both.
 *
 * Freed memory is filled with POISON_BYTE. A pointer read back from freed
 * memory is 0x6b6b6b6b6b6b6b6b, which is not canonical, so following it is
 * a #GP at the same instruction every run. Allocation is deterministic: the
 * same sequence of calls returns the same addresses on every boot with the
 * same memory map.
 */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define PAGE_SIZE 4096ull
#define PAGE_SHIFT 12
#define PHYS_MAP_BASE 0xffff800000000000ull
/* How much physical memory boot.S maps at PHYS_MAP_BASE; the allocator
 * ignores RAM above it. */
#define PHYS_MAP_SIZE (4ull << 30)

#define POISON_BYTE 0x6b
#define POISON_QWORD 0x6b6b6b6b6b6b6b6bull

#define P2V(pa) ((void *)((uintptr_t)(pa) + PHYS_MAP_BASE))
#define V2P(va) mm_v2p((const void *)(uintptr_t)(va))

/* Physical address of a direct-map or kernel-image address; panics on any
 * other address (a user address here is a bug worth stopping for). */
uint64_t mm_v2p(const void *va);

/* Build the allocator from the memory map (kernel/multiboot.h): every
 * usable page above 1 MiB and outside the kernel image. */
void mm_init(void);

/* One zeroed page, as a direct-map address; NULL when memory is exhausted. */
void *page_alloc(void);
/* n physically contiguous zeroed pages (kernel stacks, slabs); NULL if no
 * run of n free pages exists. */
void *page_alloc_n(size_t n);
/* Give back what page_alloc / page_alloc_n returned (the whole run: the
 * allocator remembers its length). Fills it with POISON_BYTE. Panics on a
 * double free, or on an address page_alloc never returned. */
void page_free(void *va);
/* Why page_free(va) would panic, or NULL if it would not: lets tests check
 * the detection without panicking. */
const char *page_free_check(const void *va);

/* Pages the allocator manages, and how many of them are free now. */
size_t mm_total_pages(void);
size_t mm_free_pages(void);

/* kmalloc: size-class slabs up to KMALLOC_MAX_SLAB bytes, whole pages
 * beyond. Objects are 16-byte aligned. Fresh memory is not zeroed (it
 * holds POISON_BYTE); kzmalloc zeroes. NULL when memory is exhausted. */
#define KMALLOC_MAX_SLAB 1024
void *kmalloc(size_t n);
void *kzmalloc(size_t n);
/* Free and poison an object; kfree(NULL) does nothing. Panics on a double
 * free and on a pointer kmalloc did not return. */
void kfree(void *p);
/* Why kfree(p) would panic, or NULL if it would not. */
const char *kfree_check(const void *p);

/* ---- Between mm.c and kmalloc.c only. ---- */
enum page_owner {
	PAGE_OWNER_PAGE,      /* page_alloc / page_alloc_n */
	PAGE_OWNER_SLAB,      /* a kmalloc slab */
	PAGE_OWNER_KMALLOC,   /* a kmalloc allocation too big for a slab */
};
void *mm_alloc_run(size_t n, enum page_owner owner);
/* The owner of the allocated run starting at va; false if va is not the
 * first page of an allocated run. *npages gets the run's length. */
bool mm_run_owner(const void *va, enum page_owner *owner, size_t *npages);
/* Free a run, checking its owner; returns why not (and frees nothing) on a
 * mismatch or a double free. */
const char *mm_free_run(void *va, enum page_owner owner);
const char *mm_free_run_check(const void *va, enum page_owner owner);

#endif
