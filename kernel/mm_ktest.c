/*
 * mm_ktest.c: self-tests of the page allocator and kmalloc.
 *
 * The double-free and bad-pointer checks panic in page_free and kfree, so
 * the tests ask page_free_check / kfree_check, which are the same checks
 * without the panic.
 */
#include "kernel/ktest.h"
#include "kernel/mm.h"
#include "kernel/string.h"
#include "kernel/arch/x86_64/arch.h"

static bool all_bytes(const void *p, uint8_t v, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

KTEST(page_alloc_zeroed_and_aligned)
{
	size_t before = mm_free_pages();
	uint8_t *p = page_alloc();

	KT_ASSERT(p != NULL);
	KT_EQ((uintptr_t)p & (PAGE_SIZE - 1), 0);
	KT_ASSERT((uintptr_t)p >= PHYS_MAP_BASE);
	KT_EQ(P2V(V2P(p)), p);
	KT_ASSERT(all_bytes(p, 0, PAGE_SIZE));
	KT_EQ(mm_free_pages(), before - 1);
	page_free(p);
	KT_EQ(mm_free_pages(), before);
}

KTEST(v2p_of_kernel_image_and_direct_map)
{
	static uint64_t in_bss;
	uint64_t pa = V2P(&in_bss);

	/* The kernel image is at its link address and in the direct map. */
	KT_EQ(pa, (uintptr_t)&in_bss - KERNEL_VMA_BASE);
	KT_EQ(V2P(P2V(pa)), pa);
	in_bss = 0x1234;
	KT_EQ(*(volatile uint64_t *)P2V(pa), 0x1234);
}

KTEST(page_free_poisons_and_catches_double_free)
{
	uint64_t *p = page_alloc();

	KT_ASSERT(p != NULL);
	p[0] = (uint64_t)(uintptr_t)p;    /* a pointer, as a freed object would hold */
	KT_ASSERT(page_free_check(p) == NULL);
	page_free(p);
	/* The stale pointer reads back as the non-canonical poison. */
	KT_EQ(p[0], POISON_QWORD);
	KT_ASSERT(all_bytes(p, POISON_BYTE, PAGE_SIZE));
	KT_ASSERT(page_free_check(p) != NULL);
}

KTEST(page_free_rejects_foreign_addresses)
{
	static char not_from_the_allocator[16];
	uint8_t *p = page_alloc();

	KT_ASSERT(p != NULL);
	KT_ASSERT(page_free_check(not_from_the_allocator) != NULL);
	KT_ASSERT(page_free_check(p + 8) != NULL);
	KT_ASSERT(page_free_check(P2V(0x1000)) != NULL);   /* low memory: reserved */
	void *k = kmalloc(PAGE_SIZE * 2);
	KT_ASSERT(k != NULL);
	KT_ASSERT(page_free_check(k) != NULL);   /* kmalloc's, not page_alloc's */
	kfree(k);
	page_free(p);
}

KTEST(page_alloc_next_fit_delays_reuse)
{
	/* A freed page is not handed out again by the next allocation: its
	 * poison stays visible (deterministic use-after-free reports). */
	uint8_t *a = page_alloc();
	KT_ASSERT(a != NULL);
	page_free(a);
	uint8_t *b = page_alloc();
	KT_ASSERT(b != NULL);
	KT_ASSERT(a != b);
	KT_EQ(a[100], POISON_BYTE);
	page_free(b);
}

KTEST(page_alloc_n_contiguous_run)
{
	size_t before = mm_free_pages();
	uint8_t *p = page_alloc_n(4);

	KT_ASSERT(p != NULL);
	KT_EQ(mm_free_pages(), before - 4);
	KT_EQ(V2P(p + 3 * PAGE_SIZE), V2P(p) + 3 * PAGE_SIZE);
	KT_ASSERT(all_bytes(p, 0, 4 * PAGE_SIZE));
	/* Only the start of the run may be freed; freeing it frees all. */
	KT_ASSERT(page_free_check(p + PAGE_SIZE) != NULL);
	page_free(p);
	KT_EQ(mm_free_pages(), before);
	KT_ASSERT(all_bytes(p, POISON_BYTE, 4 * PAGE_SIZE));
	KT_ASSERT(page_free_check(p + 3 * PAGE_SIZE) != NULL);
}

KTEST(kmalloc_sizes_alignment_and_separation)
{
	static const size_t sizes[] = { 1, 8, 16, 17, 100, 500, 1000, 1024 };
	void *p[8];

	for (size_t i = 0; i < 8; i++) {
		p[i] = kmalloc(sizes[i]);
		KT_ASSERT(p[i] != NULL);
		KT_EQ((uintptr_t)p[i] & 15, 0);
		memset(p[i], (int)i + 1, sizes[i]);
	}
	/* Writing each object whole disturbed none of the others. */
	for (size_t i = 0; i < 8; i++) {
		KT_ASSERT(all_bytes(p[i], (uint8_t)(i + 1), sizes[i]));
		kfree(p[i]);
	}
}

KTEST(kfree_poisons_and_catches_double_free)
{
	uint64_t *p = kmalloc(64);

	KT_ASSERT(p != NULL);
	p[0] = (uint64_t)(uintptr_t)p;
	KT_ASSERT(kfree_check(p) == NULL);
	kfree(p);
	KT_EQ(p[0], POISON_QWORD);
	KT_ASSERT(all_bytes(p, POISON_BYTE, 64));
	KT_ASSERT(kfree_check(p) != NULL);
}

KTEST(kfree_rejects_bad_pointers)
{
	static uint64_t not_from_kmalloc[4];
	char *p = kmalloc(128);

	KT_ASSERT(p != NULL);
	KT_ASSERT(kfree_check(p + 8) != NULL);       /* inside an object */
	KT_ASSERT(kfree_check(not_from_kmalloc) != NULL);
	void *pg = page_alloc();
	KT_ASSERT(pg != NULL);
	KT_ASSERT(kfree_check(pg) != NULL);          /* page_alloc's, not kmalloc's */
	KT_ASSERT(kfree_check((char *)pg + 64) != NULL);
	page_free(pg);
	KT_ASSERT(kfree_check(NULL) == NULL);
	kfree(p);
}

KTEST(kmalloc_large_uses_whole_pages)
{
	size_t before = mm_free_pages();
	uint8_t *p = kmalloc(3 * PAGE_SIZE + 1);

	KT_ASSERT(p != NULL);
	KT_EQ((uintptr_t)p & (PAGE_SIZE - 1), 0);
	KT_EQ(mm_free_pages(), before - 4);
	kfree(p);
	KT_EQ(mm_free_pages(), before);
	KT_ASSERT(all_bytes(p, POISON_BYTE, 4 * PAGE_SIZE));
	KT_ASSERT(kfree_check(p) != NULL);
}

KTEST(kzmalloc_zeroes_reused_memory)
{
	uint8_t *p = kmalloc(200);

	KT_ASSERT(p != NULL);
	/* Fresh kmalloc memory holds poison, not zeroes. */
	KT_EQ(p[0], POISON_BYTE);
	kfree(p);
	uint8_t *q = kzmalloc(200);
	KT_ASSERT(q != NULL);
	KT_ASSERT(all_bytes(q, 0, 200));
	kfree(q);
}

KTEST(kmalloc_many_objects_span_slabs)
{
	/* More 32-byte objects than one slab holds: a second slab appears,
	 * and every object is distinct. */
	enum { N = 300 };
	static uint64_t *objs[N];

	for (int i = 0; i < N; i++) {
		objs[i] = kmalloc(32);
		KT_ASSERT(objs[i] != NULL);
		*objs[i] = (uint64_t)i;
	}
	for (int i = 0; i < N; i++)
		KT_EQ(*objs[i], i);
	KT_ASSERT(((uintptr_t)objs[0] & ~(PAGE_SIZE - 1)) !=
		  ((uintptr_t)objs[N - 1] & ~(PAGE_SIZE - 1)));
	for (int i = 0; i < N; i++)
		kfree(objs[i]);
	for (int i = 0; i < N; i++)
		KT_ASSERT(kfree_check(objs[i]) != NULL);
}
