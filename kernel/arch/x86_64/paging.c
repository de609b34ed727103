/*
 * paging.c: building and tearing down user address spaces (paging.h).
 */
#include "kernel/arch/x86_64/paging.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/mm.h"
#include "kernel/errno.h"
#include "kernel/printk.h"

#define PTE_P  0x001ull
#define PTE_W  0x002ull
#define PTE_U  0x004ull
#define PTE_PS 0x080ull
#define PTE_ADDR_MASK 0x000ffffffffff000ull

#define PML4_USER_ENTRIES 256

extern uint64_t boot_pml4[];

static inline unsigned idx(uintptr_t va, int level)
{
	return (va >> (12 + 9 * level)) & 0x1ff;
}

static inline uint64_t *table_of(uint64_t e)
{
	return (uint64_t *)P2V(e & PTE_ADDR_MASK);
}

int paging_new_user_pml4(uint64_t **pml4, uint64_t *cr3)
{
	uint64_t *t = page_alloc();

	if (!t)
		return -ENOMEM;
	/* The kernel half: the same PDPTs as every other address space. */
	for (int i = PML4_USER_ENTRIES; i < 512; i++)
		t[i] = boot_pml4[i];
	*pml4 = t;
	*cr3 = V2P(t);
	return 0;
}

/* The entry for va at the last level, creating tables on the way down
 * when `create`. Upper levels get U|W|P: the leaf decides. */
static uint64_t *walk(uint64_t *pml4, uintptr_t va, bool create)
{
	uint64_t *t = pml4;

	for (int level = 3; level > 0; level--) {
		uint64_t *e = &t[idx(va, level)];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			uint64_t *n = page_alloc();
			if (!n)
				return NULL;
			*e = V2P(n) | PTE_P | PTE_W | PTE_U;
		} else if (*e & PTE_PS) {
			return NULL; /* never in a user half we built */
		}
		t = table_of(*e);
	}
	return &t[idx(va, 0)];
}

int paging_map_user_page(uint64_t *pml4, uintptr_t va, void *page, bool writable)
{
	uint64_t *pte;

	if ((va & (PAGE_SIZE - 1)) || va < USER_ADDR_MIN || va >= USER_ADDR_END)
		return -EINVAL;
	pte = walk(pml4, va, true);
	if (!pte)
		return -ENOMEM;
	if (*pte & PTE_P)
		return -EINVAL;
	*pte = V2P(page) | PTE_P | PTE_U | (writable ? PTE_W : 0);
	return 0;
}

void *paging_user_addr(uint64_t *pml4, uintptr_t va, bool write)
{
	uint64_t *pte;

	if (va < USER_ADDR_MIN || va >= USER_ADDR_END)
		return NULL;
	pte = walk(pml4, va, false);
	if (!pte || !(*pte & PTE_P) || !(*pte & PTE_U) || (write && !(*pte & PTE_W)))
		return NULL;
	return (uint8_t *)P2V(*pte & PTE_ADDR_MASK) + (va & (PAGE_SIZE - 1));
}

static void free_level(uint64_t *t, int level)
{
	for (int i = 0; i < 512; i++) {
		if (!(t[i] & PTE_P))
			continue;
		void *next = table_of(t[i]);
		if (level > 1)
			free_level(next, level - 1);
		else
			page_free(next); /* a user page */
		t[i] = 0;
	}
	page_free(t);
}

void paging_free_user(uint64_t *pml4)
{
	if (!pml4)
		return;
	for (int i = 0; i < PML4_USER_ENTRIES; i++) {
		if (pml4[i] & PTE_P)
			free_level(table_of(pml4[i]), 3);
		pml4[i] = 0;
	}
	page_free(pml4);
}
