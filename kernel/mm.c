/*
 * mm.c: the physical page allocator.
 *
 * One byte-sized state per physical page (struct page_info, an array
 * placed in the first free RAM above the kernel) says whether the page is
 * reserved, free, the first page of an allocated run, or a later page of
 * one. The first page also records the run's length and who allocated it
 * (page_alloc or kmalloc), so a free of the wrong kind, a free of the
 * middle of a run and a double free are all caught by looking at one
 * entry.
 *
 * Allocation is next-fit: the search starts where the last one ended and
 * wraps. Freed pages are therefore reused as late as possible, so their
 * poison stays visible for a long time after a free, and the addresses
 * depend only on the order of calls (deterministic runs).
 */
#include "kernel/mm.h"
#include "kernel/multiboot.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/arch/x86_64/arch.h"

/* Low memory (BIOS data, EBDA, the AP trampoline at 0x8000, option ROMs)
 * is never handed out. */
#define ALLOC_MIN_PHYS 0x100000ull

enum page_state {
	PG_RESERVED = 0,  /* not RAM, or the kernel's own: never allocated */
	PG_FREE,
	PG_HEAD,          /* first page of an allocated run */
	PG_TAIL,          /* a later page of an allocated run */
};

struct page_info {
	uint8_t state;    /* enum page_state */
	uint8_t owner;    /* enum page_owner, for PG_HEAD */
	uint16_t unused;
	uint32_t npages;  /* run length, for PG_HEAD */
};

extern char __kernel_end[];

static struct spinlock mm_lock = SPINLOCK_INIT("mm");
static struct page_info *pages;      /* indexed by physical page number */
static size_t max_pfn;               /* pages[] covers [0, max_pfn) */
static size_t min_pfn;               /* nothing below is ever free */
static size_t cursor;                /* next-fit: where the next search starts */
static size_t total_pages, free_pages;

uint64_t mm_v2p(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (v >= PHYS_MAP_BASE && v < PHYS_MAP_BASE + PHYS_MAP_SIZE)
		return v - PHYS_MAP_BASE;
	if (v >= KERNEL_VMA_BASE)
		return v - KERNEL_VMA_BASE;
	panic("V2P: %p is neither a direct-map nor a kernel-image address", va);
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* Mark [base, base+len) with state, clipped to the pages[] range and to
 * whole pages inside it (a partial page of usable RAM is not usable). */
static void mark_range(uint64_t base, uint64_t len, enum page_state state)
{
	uint64_t lo, hi;

	if (state == PG_FREE) {
		lo = align_up(base, PAGE_SIZE) >> PAGE_SHIFT;
		hi = (base + len) >> PAGE_SHIFT;
	} else {
		lo = base >> PAGE_SHIFT;
		hi = align_up(base + len, PAGE_SIZE) >> PAGE_SHIFT;
	}
	if (hi > max_pfn)
		hi = max_pfn;
	for (uint64_t pfn = lo; pfn < hi; pfn++)
		pages[pfn].state = (uint8_t)state;
}

void mm_init(void)
{
	size_t n;
	const struct mem_region *r = multiboot_mem_regions(&n);
	uint64_t kernel_end = V2P(__kernel_end);
	uint64_t top = 0;

	for (size_t i = 0; i < n; i++)
		if (r[i].type == MEM_USABLE && r[i].base + r[i].len > top)
			top = r[i].base + r[i].len;
	if (top > PHYS_MAP_SIZE) {
		printk("mm: using the first %llu MiB of RAM (the direct map's size)\n",
		       PHYS_MAP_SIZE >> 20);
		top = PHYS_MAP_SIZE;
	}
	max_pfn = top >> PAGE_SHIFT;

	/* The page_info array goes at the start of the first usable region
	 * above the kernel that can hold it. */
	uint64_t need = align_up(max_pfn * sizeof(struct page_info), PAGE_SIZE);
	uint64_t at = 0;
	for (size_t i = 0; i < n && !at; i++) {
		uint64_t lo = align_up(r[i].base, PAGE_SIZE), hi = r[i].base + r[i].len;
		if (r[i].type != MEM_USABLE)
			continue;
		if (lo < align_up(kernel_end, PAGE_SIZE))
			lo = align_up(kernel_end, PAGE_SIZE);
		if (lo + need <= hi && lo + need <= top)
			at = lo;
	}
	if (!at)
		panic("mm: no room for the page table of %zu pages", max_pfn);
	pages = P2V(at);
	memset(pages, 0, need);   /* all PG_RESERVED */

	/* Usable RAM first, then anything the map also calls something else
	 * (maps may overlap), then our own memory. */
	for (size_t i = 0; i < n; i++)
		if (r[i].type == MEM_USABLE)
			mark_range(r[i].base, r[i].len, PG_FREE);
	for (size_t i = 0; i < n; i++)
		if (r[i].type != MEM_USABLE)
			mark_range(r[i].base, r[i].len, PG_RESERVED);
	mark_range(0, ALLOC_MIN_PHYS, PG_RESERVED);
	mark_range(KERNEL_LOAD_PHYS, kernel_end - KERNEL_LOAD_PHYS, PG_RESERVED);
	mark_range(at, need, PG_RESERVED);

	min_pfn = ALLOC_MIN_PHYS >> PAGE_SHIFT;
	cursor = min_pfn;
	for (size_t pfn = 0; pfn < max_pfn; pfn++)
		if (pages[pfn].state == PG_FREE)
			total_pages++;
	free_pages = total_pages;
	if (total_pages == 0)
		panic("mm: no usable memory above 1 MiB");
	printk("mm: %zu pages (%zu MiB) free for allocation\n",
	       total_pages, total_pages >> (20 - PAGE_SHIFT));
}

/* First pfn of n free pages in [lo, hi), or 0 (pfn 0 is never free). */
static size_t find_run(size_t lo, size_t hi, size_t n)
{
	size_t run = 0;

	for (size_t pfn = lo; pfn < hi; pfn++) {
		if (pages[pfn].state != PG_FREE) {
			run = 0;
			continue;
		}
		if (++run == n)
			return pfn + 1 - n;
	}
	return 0;
}

void *mm_alloc_run(size_t n, enum page_owner owner)
{
	size_t pfn;

	if (n == 0 || !pages)
		return NULL;
	uint64_t flags = spin_lock_irqsave(&mm_lock);
	pfn = find_run(cursor, max_pfn, n);
	if (!pfn)
		pfn = find_run(min_pfn, max_pfn, n);
	if (!pfn) {
		spin_unlock_irqrestore(&mm_lock, flags);
		return NULL;
	}
	pages[pfn].state = PG_HEAD;
	pages[pfn].owner = (uint8_t)owner;
	pages[pfn].npages = (uint32_t)n;
	for (size_t i = 1; i < n; i++)
		pages[pfn + i].state = PG_TAIL;
	free_pages -= n;
	cursor = pfn + n < max_pfn ? pfn + n : min_pfn;
	spin_unlock_irqrestore(&mm_lock, flags);

	/* Nobody else can reach the run now, so zero it outside the lock. */
	void *va = P2V((uint64_t)pfn << PAGE_SHIFT);
	memset(va, 0, n * PAGE_SIZE);
	return va;
}

/* The pfn of a direct-map address inside pages[], or 0 if it is not one. */
static size_t pfn_of(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (v < PHYS_MAP_BASE || v >= PHYS_MAP_BASE + ((uint64_t)max_pfn << PAGE_SHIFT))
		return 0;
	return (v - PHYS_MAP_BASE) >> PAGE_SHIFT;
}

/* Called with mm_lock held. */
static const char *free_problem(const void *va, enum page_owner owner)
{
	size_t pfn = pfn_of(va);

	if ((uintptr_t)va & (PAGE_SIZE - 1))
		return "not page-aligned";
	if (!pfn)
		return "not an address the page allocator manages";
	switch (pages[pfn].state) {
	case PG_FREE:
		return "double free (the page is already free)";
	case PG_RESERVED:
		return "reserved memory, never allocated";
	case PG_TAIL:
		return "inside an allocated run, not at its start";
	default:
		break;
	}
	if (pages[pfn].owner != owner) {
		static const char *const wrong[] = {
			[PAGE_OWNER_PAGE] = "allocated by page_alloc",
			[PAGE_OWNER_SLAB] = "a kmalloc slab page",
			[PAGE_OWNER_KMALLOC] = "allocated by kmalloc",
		};
		return wrong[pages[pfn].owner];
	}
	return NULL;
}

const char *mm_free_run_check(const void *va, enum page_owner owner)
{
	uint64_t flags = spin_lock_irqsave(&mm_lock);
	const char *why = free_problem(va, owner);
	spin_unlock_irqrestore(&mm_lock, flags);
	return why;
}

const char *mm_free_run(void *va, enum page_owner owner)
{
	uint64_t flags = spin_lock_irqsave(&mm_lock);
	const char *why = free_problem(va, owner);
	if (!why) {
		size_t pfn = pfn_of(va), n = pages[pfn].npages;
		/* Poison before the pages become free: once they are, another
		 * CPU may allocate and zero them. */
		memset(va, POISON_BYTE, n * PAGE_SIZE);
		for (size_t i = 0; i < n; i++)
			pages[pfn + i].state = PG_FREE;
		pages[pfn].npages = 0;
		free_pages += n;
	}
	spin_unlock_irqrestore(&mm_lock, flags);
	return why;
}

bool mm_run_owner(const void *va, enum page_owner *owner, size_t *npages)
{
	size_t pfn = pfn_of(va);
	bool ok = false;

	uint64_t flags = spin_lock_irqsave(&mm_lock);
	if (pfn && !((uintptr_t)va & (PAGE_SIZE - 1)) && pages[pfn].state == PG_HEAD) {
		*owner = (enum page_owner)pages[pfn].owner;
		*npages = pages[pfn].npages;
		ok = true;
	}
	spin_unlock_irqrestore(&mm_lock, flags);
	return ok;
}

void *page_alloc(void)
{
	return mm_alloc_run(1, PAGE_OWNER_PAGE);
}

void *page_alloc_n(size_t n)
{
	return mm_alloc_run(n, PAGE_OWNER_PAGE);
}

void page_free(void *va)
{
	const char *why = mm_free_run(va, PAGE_OWNER_PAGE);
	if (why)
		panic("page_free(%p): %s", va, why);
}

const char *page_free_check(const void *va)
{
	return mm_free_run_check(va, PAGE_OWNER_PAGE);
}

size_t mm_total_pages(void)
{
	return total_pages;
}

size_t mm_free_pages(void)
{
	return free_pages;
}
