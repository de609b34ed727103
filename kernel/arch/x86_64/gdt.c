/*
 * gdt.c: the long-mode GDT and the TSSes (layout in gdt.h).
 *
 * In 64-bit mode the CPU ignores base and limit of code and data segments;
 * what matters is the L bit (64-bit code), D (32-bit code), the DPL and the
 * type. The TSS descriptor is 16 bytes: its base is a full 64-bit address.
 */
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/percpu.h"

/* One TSS per CPU the kernel can run: an AP beyond GDT_MAX_CPUS would have
 * no TSS to load. */
_Static_assert(GDT_MAX_CPUS >= MAX_CPUS, "gdt.h: GDT_MAX_CPUS below MAX_CPUS");

#define GDT_ENTRIES (GDT_TSS_BASE / 8 + 2 * GDT_MAX_CPUS)

/* Access byte bits. */
#define SEG_P      (1u << 7)
#define SEG_DPL(d) ((uint32_t)(d) << 5)
#define SEG_S      (1u << 4)    /* code/data (not system) */
#define SEG_CODE   (0xau)       /* execute/read */
#define SEG_DATA   (0x2u)       /* read/write */
#define SEG_TSS64  (0x9u)       /* available 64-bit TSS */
/* Flag nibble bits. */
#define SEG_G      (1u << 3)    /* 4 KiB granularity */
#define SEG_DB     (1u << 2)    /* 32-bit default operand size */
#define SEG_L      (1u << 1)    /* 64-bit code */

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
static struct tss tss[GDT_MAX_CPUS] __attribute__((aligned(16)));
static uint8_t ist_stacks[GDT_MAX_CPUS][3][IST_STACK_SIZE] __attribute__((aligned(16)));

/* A flat code or data descriptor: base 0, limit 4 GiB (ignored in 64-bit). */
static uint64_t seg_desc(uint32_t access, uint32_t flags)
{
	return 0xffffull | (0xfull << 48) | ((uint64_t)access << 40) |
	       ((uint64_t)flags << 52);
}

static void set_tss_desc(unsigned cpu)
{
	uint64_t base = (uint64_t)&tss[cpu];
	uint64_t limit = sizeof(struct tss) - 1;
	unsigned i = GDT_TSS(cpu) / 8;

	gdt[i] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		 ((uint64_t)(SEG_P | SEG_TSS64) << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[i + 1] = base >> 32;
}

void gdt_init(void)
{
	gdt[0] = 0;
	gdt[GDT_KCODE / 8] = seg_desc(SEG_P | SEG_S | SEG_CODE, SEG_G | SEG_L);
	gdt[GDT_KDATA / 8] = seg_desc(SEG_P | SEG_S | SEG_DATA, SEG_G | SEG_DB);
	gdt[GDT_UCODE32 / 8] = seg_desc(SEG_P | SEG_DPL(3) | SEG_S | SEG_CODE, SEG_G | SEG_DB);
	gdt[GDT_UDATA / 8] = seg_desc(SEG_P | SEG_DPL(3) | SEG_S | SEG_DATA, SEG_G | SEG_DB);
	gdt[GDT_UCODE / 8] = seg_desc(SEG_P | SEG_DPL(3) | SEG_S | SEG_CODE, SEG_G | SEG_L);

	for (unsigned cpu = 0; cpu < GDT_MAX_CPUS; cpu++) {
		memset(&tss[cpu], 0, sizeof tss[cpu]);
		/* Stacks grow down: IST entries point at the top. */
		tss[cpu].ist[IST_DOUBLE_FAULT - 1] = (uint64_t)&ist_stacks[cpu][0][IST_STACK_SIZE];
		tss[cpu].ist[IST_NMI - 1] = (uint64_t)&ist_stacks[cpu][1][IST_STACK_SIZE];
		tss[cpu].ist[IST_MACHINE_CHECK - 1] = (uint64_t)&ist_stacks[cpu][2][IST_STACK_SIZE];
		tss[cpu].iomap_base = sizeof(struct tss);
		set_tss_desc(cpu);
	}
	gdt_load_cpu(0);
}

void gdt_load_cpu(unsigned cpu)
{
	if (cpu >= GDT_MAX_CPUS)
		panic("gdt_load_cpu: cpu %u >= GDT_MAX_CPUS %d", cpu, GDT_MAX_CPUS);

	struct desc_ptr p = { .limit = sizeof gdt - 1, .base = (uint64_t)gdt };
	lgdt(&p);

	/* CS can only be reloaded by a far transfer: return to the next
	 * instruction through lretq with the new selector. */
	asm volatile("pushq %[cs]\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "movw %w[ds], %%ss\n\t"
		     "movw %w[null], %%ds\n\t"
		     "movw %w[null], %%es"
		     :
		     : [cs] "i"(GDT_KCODE), [ds] "r"(GDT_KDATA), [null] "r"(0)
		     : "rax", "memory");

	ltr(GDT_TSS(cpu));
}

void tss_set_rsp0(unsigned cpu, uint64_t rsp0)
{
	tss[cpu].rsp[0] = rsp0;
}

struct tss *tss_of(unsigned cpu)
{
	return &tss[cpu];
}
