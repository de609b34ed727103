/*
 * boot.S: from the boot loader's 32-bit protected mode to kmain() in 64-bit
 * long mode, running in the higher half.
 *
 * Two loaders reach _start:
 *   - QEMU -kernel (multiboot1 only; it refuses ELF64, so the build makes an
 *     elf32-i386 copy of the same image): EAX = 0x2badb002, EBX = mbi.
 *   - GRUB (multiboot2 from an ISO): EAX = 0x36d76289, EBX = mbi.
 * Both leave us in flat 32-bit protected mode with paging off, but with
 * their own GDTs, which differ: we load ours before touching any segment.
 *
 * The image is linked at KERNEL_VMA (0xffffffff80100000) and loaded at
 * physical 0x100000, so until paging is on every absolute address in this
 * file is written as `symbol - KERNEL_OFFSET` (its physical address).
 *
 * Early page tables (2 MiB pages, statically built below) map physical
 * 0..4 GiB at three places:
 *   - identity (PML4[0]): the code here keeps running after CR0.PG is set,
 *     and an AP trampoline can turn paging on; page 0 is left out, so a
 *     NULL pointer dereference faults instead of reading the BIOS area;
 *   - PHYS_MAP_BASE 0xffff800000000000 (PML4[256]): the direct map;
 *   - 0xffffffff80000000 (PML4[511], PDPT[510]): the first GiB, where the
 *     kernel is linked.
 * The 3..4 GiB range (the PCI/LAPIC/IOAPIC hole) is mapped uncached.
 */

#define KERNEL_OFFSET 0xffffffff80000000

#define MB1_MAGIC       0x1badb002
#define MB1_FLAGS       0x00000003 /* align modules to pages, give memory info */
#define MB2_MAGIC       0xe85250d6
#define MB2_ARCH_I386   0

#define SEG_KCODE64 0x08
#define SEG_KDATA   0x10

#define PTE_P   0x001
#define PTE_W   0x002
#define PTE_PWT 0x008
#define PTE_PCD 0x010
#define PTE_PS  0x080

#define BOOT_STACK_SIZE 16384

/* ---- Boot-loader headers: first bytes of the image (see kernel.ld). ---- */
	.section .boot.header, "a"
	/* Multiboot1: 4-byte aligned, within the first 8 KiB of the file. */
	.balign 4
mb1_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)

	/* Multiboot2: 8-byte aligned, within the first 32 KiB of the file. */
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* Entry address tag (type 3): the physical entry point, so GRUB need
	 * not translate the ELF64 entry itself. */
	.balign 8
	.word 3, 0
	.long 12
	.long _start - KERNEL_OFFSET
	/* End tag. */
	.balign 8
	.word 0, 0
	.long 8
mb2_header_end:

/* ---- 32-bit entry, running at its physical address. ---- */
	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	/* Keep the loader's magic and info pointer for kmain(magic, mbi). */
	movl %eax, %ebp
	movl %ebx, %esi

	/* Our GDT first: GRUB's and QEMU's GDTs differ (DESIGN.md). CS keeps
	 * its cached flat descriptor until the far jump into long mode. */
	lgdt (boot_gdtr32 - KERNEL_OFFSET)
	movw $SEG_KDATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl $(boot_stack_top - KERNEL_OFFSET), %esp

	/* Zero .bss: the loaders do it, but nothing here depends on that. */
	movl $(__bss_start - KERNEL_OFFSET), %edi
	movl $(__bss_end - KERNEL_OFFSET), %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	/* No long mode: say so on COM1 and stop rather than triple-fault. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx
	jz no_long_mode

	/* PAE paging with our tables, then EFER.LME, then CR0.PG: the CPU is
	 * in compatibility mode until the far jump loads a 64-bit CS. */
	movl %cr4, %eax
	orl $(1 << 5), %eax                     /* CR4.PAE */
	movl %eax, %cr4
	movl $(boot_pml4 - KERNEL_OFFSET), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx                  /* EFER */
	rdmsr
	orl $(1 << 8), %eax                     /* EFER.LME */
	wrmsr
	movl %cr0, %eax
	/* Caches on (a loader may leave CR0.CD/NW set: Bochs + GRUB do). */
	andl $~((1 << 30) | (1 << 29)), %eax
	orl $((1 << 31) | (1 << 16) | 1), %eax  /* CR0.PG | CR0.WP | CR0.PE */
	movl %eax, %cr0
	ljmp $SEG_KCODE64, $(long_mode_low - KERNEL_OFFSET)

no_long_mode:
	movl $(no_lm_msg - KERNEL_OFFSET), %esi
	movw $0x3f8, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	cli
	hlt
	jmp 2b

/* ---- 64-bit, still at the physical (identity-mapped) address. ---- */
	.code64
long_mode_low:
	/* Jump to the link address; absolute, hence through a register. */
	movabsq $long_mode_high, %rax
	jmp *%rax

	.text
	/* CFI for debuggers: this is the outermost frame (no return address),
	 * so GDB's backtrace ends here. .debug_frame: kernel.ld drops .eh_frame. */
	.cfi_sections .debug_frame
	.globl long_mode_high
long_mode_high:
	.cfi_startproc
	.cfi_undefined rip
	/* Reload the GDTR with the virtual base so it survives the identity
	 * map being torn down, then the data segments (null is legal in
	 * 64-bit mode for DS/ES/FS/GS). */
	lgdt boot_gdtr64(%rip)
	movw $SEG_KDATA, %ax
	movw %ax, %ss
	xorl %eax, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movq $boot_stack_top, %rsp

	/* kmain(magic, mbi_phys). The upper halves of the registers are
	 * undefined after the mode switch, so the 32-bit moves (which
	 * zero-extend) matter. RBP = 0 ends every frame-pointer backtrace. */
	movl %ebp, %edi
	movl %esi, %esi
	xorl %ebp, %ebp
	call kmain
	/* kmain does not return; if it ever did, stop here. */
1:	cli
	hlt
	jmp 1b
	.cfi_endproc

	.section .rodata
no_lm_msg:
	.asciz "tkern: this CPU has no long mode; stopping\r\n"

	/* Boot GDT: just enough to enter long mode. gdt.c installs the full
	 * one (user segments, TSS) from C. Selectors match gdt.h. */
	.balign 16
boot_gdt:
	.quad 0                     /* 0x00 null */
	.quad 0x00af9a000000ffff    /* 0x08 kernel code, 64-bit (L=1) */
	.quad 0x00cf92000000ffff    /* 0x10 kernel data, flat */
boot_gdt_end:

	.balign 8
	.word 0
boot_gdtr32:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt - KERNEL_OFFSET
	.balign 8
	.word 0
boot_gdtr64:
	.word boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

/* ---- Early page tables: built by the assembler, no code to fill them. ---- */
	.data
	.balign 4096
	.globl boot_pml4
boot_pml4:
	.quad boot_pdpt_ident - KERNEL_OFFSET + (PTE_P | PTE_W) /* [0] identity */
	.fill 255, 8, 0
	.quad boot_pdpt_low - KERNEL_OFFSET + (PTE_P | PTE_W)   /* [256] direct map */
	.fill 254, 8, 0
	.quad boot_pdpt_high - KERNEL_OFFSET + (PTE_P | PTE_W)  /* [511] kernel */

	/* Identity 0..4 GiB, as the direct map except for the first 2 MiB,
	 * which go through a page table that leaves page 0 unmapped. */
	.balign 4096
boot_pdpt_ident:
	.quad boot_pd_ident0 - KERNEL_OFFSET + (PTE_P | PTE_W)
	.quad boot_pd - KERNEL_OFFSET + 0x1000 + (PTE_P | PTE_W)
	.quad boot_pd - KERNEL_OFFSET + 0x2000 + (PTE_P | PTE_W)
	.quad boot_pd - KERNEL_OFFSET + 0x3000 + (PTE_P | PTE_W)
	.fill 508, 8, 0

	.balign 4096
boot_pd_ident0:
	.quad boot_pt_ident0 - KERNEL_OFFSET + (PTE_P | PTE_W)
	.set pa, 0x200000
	.rept 511
	.quad pa + (PTE_P | PTE_W | PTE_PS)
	.set pa, pa + 0x200000
	.endr

	.balign 4096
boot_pt_ident0:
	.quad 0                     /* page 0: not present */
	.set pa, 0x1000
	.rept 511
	.quad pa + (PTE_P | PTE_W)
	.set pa, pa + 0x1000
	.endr

	/* 0..4 GiB for the direct map (and, through boot_pd, the kernel). */
	.balign 4096
boot_pdpt_low:
	.quad boot_pd - KERNEL_OFFSET + 0x0000 + (PTE_P | PTE_W)
	.quad boot_pd - KERNEL_OFFSET + 0x1000 + (PTE_P | PTE_W)
	.quad boot_pd - KERNEL_OFFSET + 0x2000 + (PTE_P | PTE_W)
	.quad boot_pd - KERNEL_OFFSET + 0x3000 + (PTE_P | PTE_W)
	.fill 508, 8, 0

	/* 0xffffffff80000000 -> physical 0..1 GiB (entry 510). */
	.balign 4096
boot_pdpt_high:
	.fill 510, 8, 0
	.quad boot_pd - KERNEL_OFFSET + (PTE_P | PTE_W)
	.quad 0

	/* Four page directories of 2 MiB pages: 0..3 GiB ordinary RAM,
	 * 3..4 GiB the MMIO hole, mapped with caching off. */
	.balign 4096
	.globl boot_pd
boot_pd:
	.set pa, 0
	.rept 512 * 3
	.quad pa + (PTE_P | PTE_W | PTE_PS)
	.set pa, pa + 0x200000
	.endr
	.rept 512
	.quad pa + (PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT)
	.set pa, pa + 0x200000
	.endr

	.bss
	.balign 16
	.globl boot_stack, boot_stack_top
boot_stack:
	.skip BOOT_STACK_SIZE
boot_stack_top:
