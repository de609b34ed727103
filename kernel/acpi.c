/*
 * acpi.c: find the MADT and read the processor entries from it.
 *
 * Layouts from the ACPI 6.x specification, 5.2: RSDP (5.2.5), the system
 * description table header (5.2.6), RSDT/XSDT (5.2.7-8) and the MADT with
 * its Processor Local APIC entries (5.2.12, 5.2.12.2). Every table is
 * checksummed before use: a table that does not sum to zero is ignored
 * rather than trusted.
 */
#include "kernel/acpi.h"
#include "kernel/mm.h"
#include "kernel/multiboot.h"
#include "kernel/printk.h"
#include "kernel/string.h"

struct __attribute__((packed)) rsdp {
	char signature[8];      /* "RSD PTR " */
	uint8_t checksum;       /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;       /* 0: ACPI 1.0 (no XSDT); 2: ACPI 2.0+ */
	uint32_t rsdt_addr;
	uint32_t length;        /* ACPI 2.0+: the whole structure */
	uint64_t xsdt_addr;
	uint8_t ext_checksum;
	uint8_t reserved[3];
};

struct __attribute__((packed)) sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
};

struct __attribute__((packed)) madt {
	struct sdt_header h;
	uint32_t lapic_addr;
	uint32_t flags;
	uint8_t entries[];
};

#define MADT_LOCAL_APIC 0
#define MADT_LOCAL_X2APIC 9
#define MADT_CPU_ENABLED (1u << 0)

/* Where the BIOS keeps the EBDA's segment, and the BIOS ROM area; the RSDP
 * is on a 16-byte boundary in the EBDA's first KiB or in the ROM area. */
#define BDA_EBDA_SEGMENT 0x40e
#define BIOS_ROM_START 0xe0000
#define BIOS_ROM_END 0x100000

static uint8_t sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return s;
}

static const struct rsdp *rsdp_scan(uint64_t lo, uint64_t hi)
{
	for (uint64_t pa = lo; pa + 20 <= hi; pa += 16) {
		const struct rsdp *r = P2V(pa);
		if (memcmp(r->signature, "RSD PTR ", 8) == 0 && sum(r, 20) == 0)
			return r;
	}
	return NULL;
}

static const struct rsdp *rsdp_find(void)
{
	const struct rsdp *r = multiboot_rsdp();

	if (r && memcmp(r->signature, "RSD PTR ", 8) == 0 && sum(r, 20) == 0)
		return r;
	uint64_t ebda = (uint64_t)*(const volatile uint16_t *)P2V(BDA_EBDA_SEGMENT) << 4;
	if (ebda >= 0x80000 && ebda < 0xa0000 && (r = rsdp_scan(ebda, ebda + 1024)))
		return r;
	return rsdp_scan(BIOS_ROM_START, BIOS_ROM_END);
}

static const struct sdt_header *table_at(uint64_t pa, const char *sig)
{
	if (pa == 0 || pa >= PHYS_MAP_SIZE)
		return NULL;
	const struct sdt_header *h = P2V(pa);
	if (memcmp(h->signature, sig, 4) != 0 || h->length < sizeof *h ||
	    sum(h, h->length) != 0)
		return NULL;
	return h;
}

static const struct madt *madt_find(void)
{
	const struct rsdp *r = rsdp_find();
	const struct sdt_header *root;
	size_t width;

	if (!r)
		return NULL;
	/* The XSDT (64-bit entries) where there is one, else the RSDT. */
	if (r->revision >= 2 && (root = table_at(r->xsdt_addr, "XSDT")))
		width = 8;
	else if ((root = table_at(r->rsdt_addr, "RSDT")))
		width = 4;
	else
		return NULL;

	const uint8_t *e = (const uint8_t *)(root + 1);
	size_t n = (root->length - sizeof *root) / width;
	for (size_t i = 0; i < n; i++) {
		uint64_t pa = 0;
		memcpy(&pa, e + i * width, width);
		const struct sdt_header *h = table_at(pa, "APIC");
		if (h)
			return (const struct madt *)h;
	}
	return NULL;
}

int acpi_madt_cpus(uint32_t *apic_ids, int max)
{
	const struct madt *m = madt_find();
	int n = 0;

	if (!m)
		return 0;
	const uint8_t *p = m->entries, *end = (const uint8_t *)m + m->h.length;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		uint32_t id = 0, flags = 0;
		bool cpu = false;
		if (p[0] == MADT_LOCAL_APIC && p[1] >= 8) {
			/* u8 processor uid, u8 APIC ID, u32 flags */
			id = p[3];
			memcpy(&flags, p + 4, 4);
			cpu = true;
		} else if (p[0] == MADT_LOCAL_X2APIC && p[1] >= 16) {
			/* u16 reserved, u32 x2APIC ID, u32 flags, u32 uid.
			 * Only IDs below 255 are reachable in xAPIC mode. */
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
			cpu = id < 0xff;
		}
		if (cpu && (flags & MADT_CPU_ENABLED)) {
			if (n < max)
				apic_ids[n] = id;
			n++;
		}
		p += p[1];
	}
	return n;
}
