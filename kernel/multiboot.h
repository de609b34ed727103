/*
 * multiboot.h: what the platform code needs from the boot loader's
 * information block, multiboot1 (QEMU -kernel) or multiboot2 (GRUB): the
 * physical memory map, and the ACPI RSDP when the loader passes one.
 *
 * multiboot_init() copies both out of the loader's block, because that
 * block lies in memory the page allocator later hands out. (The command
 * line is kernel/cmdline.c's, which copies it the same way.)
 */
#ifndef KERNEL_MULTIBOOT_H
#define KERNEL_MULTIBOOT_H

#include <stdint.h>
#include <stddef.h>

/* Memory types as both multiboot versions (and the BIOS E820 call) give them. */
#define MEM_USABLE 1
#define MEM_ACPI_RECLAIM 3

#define MEM_REGIONS_MAX 64

struct mem_region {
	uint64_t base;
	uint64_t len;
	uint32_t type;
};

void multiboot_init(uint32_t magic, uint64_t mbi_phys);

/* The memory map in the loader's order; *n gets the number of entries. */
const struct mem_region *multiboot_mem_regions(size_t *n);

/* The copy of the RSDP the loader passed (multiboot2 tags 14 and 15, kept
 * in kernel memory), or NULL: then the ACPI code searches the BIOS areas. */
const void *multiboot_rsdp(void);

#endif
