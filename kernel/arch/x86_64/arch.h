/*
 * arch.h: one-line wrappers around the x86-64 instructions the core kernel
 * needs. Everything else in kernel/ stays instruction-free so that it reads
 * as plain C; anything with an `asm` in it lives under kernel/arch/x86_64/.
 */
#ifndef KERNEL_ARCH_X86_64_ARCH_H
#define KERNEL_ARCH_X86_64_ARCH_H

#include <stdint.h>
#include <stdbool.h>

/* Where the kernel image lives: linked here, loaded at physical 1 MiB. */
#define KERNEL_VMA_BASE 0xffffffff80000000ull
#define KERNEL_LOAD_PHYS 0x100000ull

/* RFLAGS.IF: set when maskable interrupts are enabled. */
#define RFLAGS_IF (1ull << 9)

/* Control-register and EFER bits the kernel touches by name. */
#define CR0_PE (1ull << 0)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_VMXE (1ull << 13)
#define MSR_EFER 0xc0000080u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_NXE (1ull << 11)

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	/* No lfence: callers that need ordering add it; the emulators are in-order. */
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t read_rflags(void)
{
	uint64_t f;
	asm volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

/* The "memory" clobbers keep the compiler from moving loads and stores
 * across the points where interrupts change state. */
static inline void cli(void) { asm volatile("cli" ::: "memory"); }
static inline void sti(void) { asm volatile("sti" ::: "memory"); }
static inline void hlt(void) { asm volatile("hlt" ::: "memory"); }
static inline void cpu_pause(void) { asm volatile("pause" ::: "memory"); }

static inline bool irqs_enabled(void)
{
	return (read_rflags() & RFLAGS_IF) != 0;
}

/* irq_save() disables interrupts and returns the previous state for
 * irq_restore(), so nested sections restore exactly what they found. */
static inline uint64_t irq_save(void)
{
	uint64_t f = read_rflags();
	cli();
	return f & RFLAGS_IF;
}

static inline void irq_restore(uint64_t saved)
{
	if (saved & RFLAGS_IF)
		sti();
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

#define DEFINE_CR_ACCESSORS(n)                                           \
	static inline uint64_t read_cr##n(void)                          \
	{                                                                \
		uint64_t v;                                              \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v));            \
		return v;                                                \
	}                                                                \
	static inline void write_cr##n(uint64_t v)                       \
	{                                                                \
		asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory");  \
	}
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

static inline void invlpg(uintptr_t va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;
	asm volatile("cpuid"
		     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(subleaf));
	return r;
}

/* The initial APIC ID of the calling CPU (CPUID.1:EBX[31:24]). Needs no
 * per-CPU state or LAPIC mapping, so panic and trap reports can name the
 * CPU at any point of boot. */
static inline unsigned cpu_initial_apic_id(void)
{
	return cpuid(1, 0).ebx >> 24;
}

/* The operand of lgdt/lidt: a 16-bit limit then a 64-bit linear base. */
struct __attribute__((packed)) desc_ptr {
	uint16_t limit;
	uint64_t base;
};

static inline void lgdt(const struct desc_ptr *p)
{
	asm volatile("lgdt %0" : : "m"(*p) : "memory");
}

static inline void lidt(const struct desc_ptr *p)
{
	asm volatile("lidt %0" : : "m"(*p) : "memory");
}

static inline void ltr(uint16_t sel)
{
	asm volatile("ltr %0" : : "r"(sel) : "memory");
}

/* Stop this CPU for good: interrupts off, then halt in a loop (an NMI would
 * otherwise resume after a lone hlt). */
static inline __attribute__((noreturn)) void halt_forever(void)
{
	for (;;) {
		cli();
		hlt();
	}
}

#endif
