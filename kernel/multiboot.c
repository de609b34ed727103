/*
 * multiboot.c: copy the memory map and the ACPI RSDP out of the boot
 * loader's information block (layouts from the Multiboot 0.6.96 and
 * Multiboot2 1.6 specifications).
 */
#include "kernel/multiboot.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "kernel/string.h"

#define MB1_BOOT_MAGIC 0x2badb002u
#define MB2_BOOT_MAGIC 0x36d76289u

/* Multiboot1 info block: flags bit 0 = mem_lower/mem_upper (KiB) valid,
 * bit 6 = mmap_length/mmap_addr valid. */
#define MB1_INFO_MEM (1u << 0)
#define MB1_INFO_MMAP (1u << 6)
#define MB1_OFF_FLAGS 0
#define MB1_OFF_MEM_UPPER 8
#define MB1_OFF_MMAP_LENGTH 44
#define MB1_OFF_MMAP_ADDR 48

/* Multiboot2 tags: u32 type, u32 size, payload; 8-byte aligned. */
#define MB2_TAG_END 0
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

/* RSDP v2 is 36 bytes; v1 is the first 20. */
#define RSDP_MAX 36

static struct mem_region regions[MEM_REGIONS_MAX];
static size_t nregions;
static uint8_t rsdp_copy[RSDP_MAX];
static int have_rsdp;

static uint32_t rd32(uint64_t pa)
{
	return *(const volatile uint32_t *)P2V(pa);
}

static uint64_t rd64(uint64_t pa)
{
	return *(const volatile uint64_t *)P2V(pa);
}

static void add_region(uint64_t base, uint64_t len, uint32_t type)
{
	if (nregions == MEM_REGIONS_MAX) {
		printk("multiboot: more than %d memory regions; ignoring the rest\n",
		       MEM_REGIONS_MAX);
		return;
	}
	regions[nregions].base = base;
	regions[nregions].len = len;
	regions[nregions].type = type;
	nregions++;
}

static void parse_mb1(uint64_t mbi)
{
	uint32_t flags = rd32(mbi + MB1_OFF_FLAGS);

	if (flags & MB1_INFO_MMAP) {
		uint64_t p = rd32(mbi + MB1_OFF_MMAP_ADDR);
		uint64_t end = p + rd32(mbi + MB1_OFF_MMAP_LENGTH);
		/* Each entry: u32 size (not counting itself), u64 base,
		 * u64 length, u32 type. */
		while (p + 24 <= end) {
			uint32_t size = rd32(p);
			add_region(rd64(p + 4), rd64(p + 12), rd32(p + 20));
			p += (uint64_t)size + 4;
		}
	} else if (flags & MB1_INFO_MEM) {
		/* No map: mem_upper KiB of RAM start at 1 MiB. */
		add_region(0x100000, (uint64_t)rd32(mbi + MB1_OFF_MEM_UPPER) * 1024,
			   MEM_USABLE);
	}
}

static void parse_mb2(uint64_t mbi)
{
	uint64_t p = mbi + 8, end = mbi + rd32(mbi);

	while (p + 8 <= end) {
		uint32_t type = rd32(p), size = rd32(p + 4);
		if (type == MB2_TAG_END || size < 8)
			break;
		if (type == MB2_TAG_MMAP && size >= 16) {
			/* u32 entry_size, u32 entry_version, then entries of
			 * u64 base, u64 length, u32 type, u32 reserved. */
			uint32_t esize = rd32(p + 8);
			for (uint64_t e = p + 16; esize >= 20 && e + esize <= p + size; e += esize)
				add_region(rd64(e), rd64(e + 8), rd32(e + 16));
		} else if (type == MB2_TAG_ACPI_NEW ||
			   (type == MB2_TAG_ACPI_OLD && !have_rsdp)) {
			/* Prefer the ACPI 2.0 copy (it has the XSDT). */
			size_t n = size - 8 < RSDP_MAX ? size - 8 : RSDP_MAX;
			memcpy(rsdp_copy, P2V(p + 8), n);
			have_rsdp = 1;
		}
		p += (size + 7) & ~7u;
	}
}

void multiboot_init(uint32_t magic, uint64_t mbi_phys)
{
	if (magic == MB1_BOOT_MAGIC)
		parse_mb1(mbi_phys);
	else if (magic == MB2_BOOT_MAGIC)
		parse_mb2(mbi_phys);
	else
		panic("multiboot: unknown boot magic %x", magic);
	if (nregions == 0)
		panic("multiboot: the boot loader gave no memory map");
}

const struct mem_region *multiboot_mem_regions(size_t *n)
{
	*n = nregions;
	return regions;
}

const void *multiboot_rsdp(void)
{
	return have_rsdp ? rsdp_copy : NULL;
}
