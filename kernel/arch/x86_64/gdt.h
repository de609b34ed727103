/*
 * gdt.h: segment selectors, the GDT and the per-CPU TSS.
 *
 * One GDT serves every CPU; it holds one TSS descriptor per CPU, because
 * `ltr` marks its descriptor busy and a busy TSS cannot be loaded again.
 *
 * The order of the user segments is fixed by SYSRET: with STAR[63:48] =
 * GDT_USER_BASE it loads CS = base+16 (64-bit code) or base (32-bit code)
 * and SS = base+8.
 *
 * The selector values are Linux's (0x10/0x18 kernel, 0x23/0x2b/0x33 user),
 * on purpose: a hypervisor that runs guest user code natively with the
 * host's own GDT (PVM, a KVM for hosts without VMX/SVM) accepts only a
 * STAR whose user selectors are the host's, and on Linux hosts those are
 * these. 0x08 and 0x38 stay null.
 *
 * The selectors are usable from assembly (syscall_entry.S).
 */
#ifndef KERNEL_ARCH_X86_64_GDT_H
#define KERNEL_ARCH_X86_64_GDT_H

#define GDT_KCODE    0x10          /* kernel code, 64-bit */
#define GDT_KDATA    0x18          /* kernel data / stack */
#define GDT_UCODE32  (0x20 | 3)    /* user code, 32-bit (compat-mode guests) */
#define GDT_UDATA    (0x28 | 3)    /* user data / stack */
#define GDT_UCODE    (0x30 | 3)    /* user code, 64-bit */
#define GDT_TSS_BASE 0x40          /* then one 16-byte TSS descriptor per CPU */
#define GDT_TSS(cpu) (GDT_TSS_BASE + 16 * (cpu))
/* SYSCALL/SYSRET selector bases, for the STAR MSR. */
#define GDT_STAR_KERNEL_BASE GDT_KCODE
#define GDT_STAR_USER_BASE   0x20

/* As many TSSes as kernel/percpu.h's MAX_CPUS. */
#define GDT_MAX_CPUS 8

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Interrupt stack table slots (TSS.IST1..7) used by the IDT. Faults that
 * can hit with a bad RSP get their own known-good stack. */
#define IST_DOUBLE_FAULT 1
#define IST_NMI          2
#define IST_MACHINE_CHECK 3
#define IST_STACK_SIZE   8192

/* The 64-bit TSS: only the stack pointers matter in long mode. */
struct __attribute__((packed)) tss {
	uint32_t reserved0;
	uint64_t rsp[3];     /* stack loaded on a change to ring 0..2 */
	uint64_t reserved1;
	uint64_t ist[7];     /* IST1..IST7 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base; /* past the limit: no I/O permission bitmap */
};

/* Build the GDT and all TSSes, then load them on the boot CPU (CPU 0).
 * Called once, early in kmain. */
void gdt_init(void);

/* Load the GDT and CPU `cpu`'s TSS on the calling CPU, and reload CS, DS,
 * ES and SS. FS and GS are left alone (their bases are per-CPU state), so
 * an AP may call this before or after setting its GS base. */
void gdt_load_cpu(unsigned cpu);

/* Kernel stack the CPU switches to when an interrupt or exception arrives
 * in user mode on CPU `cpu` (TSS.RSP0). The process code sets it whenever
 * it switches to a process. */
void tss_set_rsp0(unsigned cpu, uint64_t rsp0);
struct tss *tss_of(unsigned cpu);
#endif /* __ASSEMBLER__ */

#endif
