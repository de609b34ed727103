/*
 * kmalloc.c: small objects from size-class slabs, large ones from pages.
 *
 * A slab is one page: a header, then objects of one size. The header keeps
 * a bitmap of the objects in use instead of a free list threaded through
 * the free objects, for two reasons: a freed object can be poisoned whole
 * (a free-list pointer would overwrite its first 8 bytes, and a stale
 * pointer read from there would be a valid kernel address instead of
 * 0x6b6b6b6b6b6b6b6b), and a second kfree of the same object finds its bit
 * already clear, which is the double-free check.
 *
 * Like the page allocator, each slab hands out its objects next-fit, so a
 * freed object is reused as late as possible and the addresses depend only
 * on the order of calls.
 *
 * An empty slab stays with its size class rather than going back to the
 * page allocator: kmalloc's footprint is its peak use, and a stale pointer
 * into a freed object keeps reading poison instead of some page table that
 * took the page over.
 */
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"

#define SLAB_MAGIC 0x51ab51abu
#define SLAB_HEADER_SIZE 64
#define SLAB_MAX_OBJS 256
#define KMALLOC_MIN 16

static const uint16_t class_size[] = { 16, 32, 64, 128, 256, 512, 1024 };
#define NCLASSES (sizeof class_size / sizeof class_size[0])

struct slab {
	uint32_t magic;
	uint16_t obj_size;
	uint16_t nobjs;
	uint16_t nfree;
	uint16_t cursor;       /* where the next search for a free object starts */
	uint32_t unused;
	struct slab *next;     /* next slab of the same class */
	uint64_t used[SLAB_MAX_OBJS / 64];
};
_Static_assert(sizeof(struct slab) <= SLAB_HEADER_SIZE, "slab header too big");
_Static_assert((PAGE_SIZE - SLAB_HEADER_SIZE) / KMALLOC_MIN <= SLAB_MAX_OBJS,
	       "slab bitmap too small");

static struct spinlock kmalloc_lock = SPINLOCK_INIT("kmalloc");
static struct slab *slabs[NCLASSES];

static char *slab_obj(struct slab *s, unsigned i)
{
	return (char *)s + SLAB_HEADER_SIZE + (size_t)i * s->obj_size;
}

static bool obj_used(const struct slab *s, unsigned i)
{
	return (s->used[i / 64] >> (i % 64)) & 1;
}

static struct slab *slab_new(unsigned cls)
{
	struct slab *s = mm_alloc_run(1, PAGE_OWNER_SLAB);

	if (!s)
		return NULL;
	s->magic = SLAB_MAGIC;
	s->obj_size = class_size[cls];
	s->nobjs = (uint16_t)((PAGE_SIZE - SLAB_HEADER_SIZE) / class_size[cls]);
	s->nfree = s->nobjs;
	s->cursor = 0;
	/* Never-used objects read as poison too, so reading memory nobody
	 * wrote looks the same whether or not it was used before. */
	memset(slab_obj(s, 0), POISON_BYTE, PAGE_SIZE - SLAB_HEADER_SIZE);
	s->next = slabs[cls];
	slabs[cls] = s;
	return s;
}

static void *slab_alloc(unsigned cls)
{
	struct slab *s;

	for (s = slabs[cls]; s && s->nfree == 0; s = s->next)
		;
	if (!s && !(s = slab_new(cls)))
		return NULL;
	for (unsigned k = 0; k < s->nobjs; k++) {
		unsigned i = (s->cursor + k) % s->nobjs;
		if (!obj_used(s, i)) {
			s->used[i / 64] |= 1ull << (i % 64);
			s->nfree--;
			s->cursor = (uint16_t)((i + 1) % s->nobjs);
			return slab_obj(s, i);
		}
	}
	panic("kmalloc: slab %p of %u-byte objects counts %u free but has none",
	      s, s->obj_size, s->nfree);
}

void *kmalloc(size_t n)
{
	if (n > KMALLOC_MAX_SLAB)
		return mm_alloc_run((n + PAGE_SIZE - 1) / PAGE_SIZE, PAGE_OWNER_KMALLOC);

	unsigned cls = 0;
	while (class_size[cls] < n)
		cls++;
	uint64_t flags = spin_lock_irqsave(&kmalloc_lock);
	void *p = slab_alloc(cls);
	spin_unlock_irqrestore(&kmalloc_lock, flags);
	return p;
}

void *kzmalloc(size_t n)
{
	void *p = kmalloc(n);

	/* Large allocations come zeroed from the page allocator already. */
	if (p && n <= KMALLOC_MAX_SLAB)
		memset(p, 0, n);
	return p;
}

/* Which slab object p is, or why it is not a live one. Called with
 * kmalloc_lock held. */
static const char *slab_problem(const void *p, struct slab **sp, unsigned *ip)
{
	struct slab *s = (struct slab *)((uintptr_t)p & ~(PAGE_SIZE - 1));
	enum page_owner owner;
	size_t npages;

	if (!mm_run_owner(s, &owner, &npages) || owner != PAGE_OWNER_SLAB ||
	    s->magic != SLAB_MAGIC)
		return "not an address kmalloc returned";
	uintptr_t off = (uintptr_t)p - (uintptr_t)slab_obj(s, 0);
	if ((uintptr_t)p < (uintptr_t)slab_obj(s, 0) || off % s->obj_size ||
	    off / s->obj_size >= s->nobjs)
		return "not the start of a kmalloc object";
	unsigned i = (unsigned)(off / s->obj_size);
	if (!obj_used(s, i))
		return "double free (the object is already free)";
	*sp = s;
	*ip = i;
	return NULL;
}

const char *kfree_check(const void *p)
{
	struct slab *s;
	unsigned i;

	if (!p)
		return NULL;
	/* Slab objects never start at a page boundary (the header is
	 * there), so a page-aligned pointer can only be a whole-page kmalloc. */
	if (((uintptr_t)p & (PAGE_SIZE - 1)) == 0)
		return mm_free_run_check(p, PAGE_OWNER_KMALLOC);
	uint64_t flags = spin_lock_irqsave(&kmalloc_lock);
	const char *why = slab_problem(p, &s, &i);
	spin_unlock_irqrestore(&kmalloc_lock, flags);
	return why;
}

void kfree(void *p)
{
	struct slab *s;
	unsigned i;
	const char *why;

	if (!p)
		return;
	if (((uintptr_t)p & (PAGE_SIZE - 1)) == 0) {
		why = mm_free_run(p, PAGE_OWNER_KMALLOC);
		if (why)
			panic("kfree(%p): %s", p, why);
		return;
	}
	uint64_t flags = spin_lock_irqsave(&kmalloc_lock);
	why = slab_problem(p, &s, &i);
	if (!why) {
		memset(p, POISON_BYTE, s->obj_size);
		s->used[i / 64] &= ~(1ull << (i % 64));
		s->nfree++;
	}
	spin_unlock_irqrestore(&kmalloc_lock, flags);
	if (why)
		panic("kfree(%p): %s", p, why);
}
