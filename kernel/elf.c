/*
 * elf.c: ELF64 loading of the user programs linked into the kernel.
 *
 * The images are ours, but the loader still checks every header field it
 * relies on: a broken build should fail as -ENOEXEC, not as a kernel fault.
 */
#include "kernel/elf.h"
#include "kernel/proc.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/string.h"
#include "kernel/arch/x86_64/paging.h"

#define EI_NIDENT 16
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define PF_W 2

struct elf64_ehdr {
	uint8_t e_ident[EI_NIDENT];
	uint16_t e_type, e_machine;
	uint32_t e_version;
	uint64_t e_entry, e_phoff, e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type, p_flags;
	uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

const struct user_image *user_image_find(const char *name)
{
	for (uint64_t i = 0; i < user_images_count; i++)
		if (!strcmp(user_images[i].name, name))
			return &user_images[i];
	return NULL;
}

static bool header_ok(const struct user_image *img, const struct elf64_ehdr *eh)
{
	static const uint8_t magic[4] = { 0x7f, 'E', 'L', 'F' };

	return img->size >= sizeof(*eh) && !memcmp(eh->e_ident, magic, 4) &&
	       eh->e_ident[4] == 2 /* 64-bit */ && eh->e_ident[5] == 1 /* LE */ &&
	       eh->e_type == ET_EXEC && eh->e_machine == EM_X86_64 &&
	       eh->e_phentsize == sizeof(struct elf64_phdr) &&
	       eh->e_phoff <= img->size &&
	       (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr) <= img->size - eh->e_phoff;
}

/* Map [vaddr, vaddr+memsz): fresh zeroed pages, file bytes copied in. Two
 * segments may share a page (text end, data start): then the page already
 * mapped is reused. */
static int load_segment(struct proc *p, const struct user_image *img,
			const struct elf64_phdr *ph)
{
	uint64_t start = ph->p_vaddr & ~(PAGE_SIZE - 1);
	uint64_t end = ph->p_vaddr + ph->p_memsz;

	if (ph->p_memsz < ph->p_filesz || ph->p_offset > img->size ||
	    ph->p_filesz > img->size - ph->p_offset ||
	    ph->p_vaddr < USER_ADDR_MIN || end < ph->p_vaddr || end > USER_STACK_TOP)
		return -ENOEXEC;
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		uint8_t *page = paging_user_addr(p->pml4, va, false);
		if (!page) {
			page = page_alloc();
			if (!page)
				return -ENOMEM;
			/* Writable for every segment: the loader shares pages
			 * between segments; protection is not what this kernel
			 * teaches. */
			int ret = paging_map_user_page(p->pml4, va, page, true);
			if (ret < 0) {
				page_free(page);
				return ret;
			}
		}
		/* The part of the file that falls in this page. */
		uint64_t lo = va > ph->p_vaddr ? va : ph->p_vaddr;
		uint64_t hi = va + PAGE_SIZE;
		if (hi > ph->p_vaddr + ph->p_filesz)
			hi = ph->p_vaddr + ph->p_filesz;
		if (lo < hi)
			memcpy(page + (lo - va), img->data + ph->p_offset + (lo - ph->p_vaddr), hi - lo);
	}
	return 0;
}

int elf_load_user_image(struct proc *p, const char *name, uint64_t *entry)
{
	const struct user_image *img = user_image_find(name);
	const struct elf64_ehdr *eh;
	int ret;

	if (!img)
		return -ENOENT;
	eh = (const struct elf64_ehdr *)img->data;
	if (!header_ok(img, eh))
		return -ENOEXEC;
	for (int i = 0; i < eh->e_phnum; i++) {
		const struct elf64_phdr *ph =
			(const struct elf64_phdr *)(img->data + eh->e_phoff) + i;
		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		ret = load_segment(p, img, ph);
		if (ret < 0)
			return ret;
	}
	if (!paging_user_addr(p->pml4, eh->e_entry, false))
		return -ENOEXEC;
	*entry = eh->e_entry;
	return 0;
}

int user_stack_init(struct proc *p, const char *name, const char *args,
		    uint64_t *sp, uint64_t *argp)
{
	uint64_t base = USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE;
	size_t nlen = strlen(name), alen = args ? strlen(args) : 0;
	size_t total = nlen + (alen ? 1 + alen : 0) + 1;
	uint8_t *top_page = NULL;

	/* The string goes in the top page, below a 16-byte-aligned RSP. */
	if (total > PAGE_SIZE / 2)
		return -E2BIG;
	for (uint64_t va = base; va < USER_STACK_TOP; va += PAGE_SIZE) {
		uint8_t *page = page_alloc();
		if (!page)
			return -ENOMEM;
		int ret = paging_map_user_page(p->pml4, va, page, true);
		if (ret < 0) {
			page_free(page);
			return ret;
		}
		top_page = page;
	}
	uint64_t str = (USER_STACK_TOP - total) & ~0xfull;
	char *k = (char *)top_page + (str - (USER_STACK_TOP - PAGE_SIZE));
	memcpy(k, name, nlen);
	if (alen) {
		k[nlen] = ' ';
		memcpy(k + nlen + 1, args, alen);
	}
	k[total - 1] = 0;
	*argp = str;
	/* As after a call: RSP = 16n - 8 at _start's first instruction. */
	*sp = str - 8;
	p->user_stack_top = USER_STACK_TOP;
	return 0;
}
