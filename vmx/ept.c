/*
 * ept.c: extended page tables, 4 levels of 512 entries like the ordinary
 * ones (SDM 28.2.2), with read/write/execute bits instead of present/user.
 * Non-leaf entries allow everything; leaves are RWX write-back 4 KiB pages.
 *
 * The EPT pointer lives in struct proc (p->eptp), because Akaros read it
 * through gpc->proc: __proc_free must leave it 0 in the freed slot.
 */
#include "vmx/ept.h"
#include "vmx/vmx_arch.h"
#include "kernel/mm.h"
#include "kernel/proc.h"
#include "trace/trace.h"

#define EPT_LEVELS 4

static unsigned ept_index(uint64_t gpa, int level)
{
	return (gpa >> (12 + 9 * level)) & 511;
}

static uint64_t *ept_root(uint64_t eptp)
{
	return P2V(eptp & EPT_ADDR_MASK);
}

void *ept_map_new_page(struct proc *p, uint64_t gpa)
{
	if (!p->eptp) {
		void *pml4 = page_alloc();
		if (!pml4)
			return NULL;
		p->eptp = V2P(pml4) | EPTP_MEMTYPE_WB | EPTP_WALK_4;
	}
	uint64_t *table = ept_root(p->eptp);
	for (int level = EPT_LEVELS - 1; level > 0; level--) {
		uint64_t *e = &table[ept_index(gpa, level)];
		if (!(*e & EPT_RWX)) {
			void *next = page_alloc();
			if (!next)
				return NULL;
			*e = V2P(next) | EPT_RWX;
		}
		table = P2V(*e & EPT_ADDR_MASK);
	}
	uint64_t *leaf = &table[ept_index(gpa, 0)];
	if (*leaf & EPT_RWX)
		return NULL;
	void *page = page_alloc();
	if (!page)
		return NULL;
	*leaf = V2P(page) | EPT_RWX | EPT_MEMTYPE_WB;
	trace_ept_map(p->pid, gpa & ~0xfffull, V2P(page), p->eptp);
	return page;
}

uint64_t ept_lookup(uint64_t eptp, uint64_t gpa)
{
	uint64_t *table = ept_root(eptp);
	for (int level = EPT_LEVELS - 1; level >= 0; level--) {
		uint64_t e = table[ept_index(gpa, level)];
		if (!(e & EPT_RWX))
			return 0;
		if (level == 0)
			return e;
		table = P2V(e & EPT_ADDR_MASK);
	}
	return 0;
}

static void ept_free_level(uint64_t *table, int level)
{
	for (unsigned i = 0; i < 512; i++) {
		if (!(table[i] & EPT_RWX))
			continue;
		void *next = P2V(table[i] & EPT_ADDR_MASK);
		if (level > 0)
			ept_free_level(next, level - 1);
		else
			page_free(next);	/* a guest page */
	}
	page_free(table);
}

void ept_free(struct proc *p)
{
	if (!p->eptp)
		return;
	ept_free_level(ept_root(p->eptp), EPT_LEVELS - 1);
	p->eptp = 0;
}
