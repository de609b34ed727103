/*
 * smp_boot.S: the AP trampoline, from the real mode a STARTUP IPI leaves an
 * AP in, to ap_main(core) in 64-bit mode in the higher half.
 *
 * smp.c copies the bytes between ap_trampoline and ap_trampoline_end to
 * physical TRAMPOLINE_PHYS (0x8000; the STARTUP IPI's vector 0x08 makes the
 * AP start at CS:IP = 0x0800:0000, i.e. there) and fills the data block at
 * its end (struct trampoline_data in smp.c: keep the two in step) before
 * each AP is started. Everything here runs at its copied address, so every
 * absolute address is written T(label): the label's offset in the
 * trampoline plus TRAMPOLINE_PHYS.
 *
 * The steps are those of boot.S, on a smaller scale: a GDT of our own,
 * protected mode, PAE + the kernel's CR3 + EFER.LME, paging, then a far
 * jump to 64-bit code. The kernel's page tables identity-map low memory,
 * so the code keeps running at 0x8000 once paging is on; the final jump
 * goes through a register to the higher half.
 */

#define TRAMPOLINE_PHYS 0x8000
#define T(x) (TRAMPOLINE_PHYS + (x) - ap_trampoline)

#define SEG_CODE32 0x08
#define SEG_DATA   0x10
#define SEG_CODE64 0x18

	.section .rodata.ap_trampoline, "a"
	.globl ap_trampoline, ap_trampoline_end, ap_trampoline_data
	.code16
ap_trampoline:
	cli
	cld
	/* DS = 0, so T(...) addresses are linear addresses. */
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl T(tramp_gdtr)
	movl %cr0, %eax
	orl $1, %eax                        /* CR0.PE */
	movl %eax, %cr0
	ljmpl $SEG_CODE32, $T(tramp32)

	.code32
tramp32:
	movw $SEG_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $(1 << 5), %eax                 /* CR4.PAE */
	movl %eax, %cr4
	movl T(td_cr3), %eax
	movl %eax, %cr3
	/* EFER as the boot CPU has it (LME, and NXE if the kernel uses NX):
	 * the page tables are shared, so their bits must mean the same here. */
	movl $0xc0000080, %ecx
	movl T(td_efer), %eax
	xorl %edx, %edx
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16)), %eax  /* CR0.PG | CR0.WP */
	movl %eax, %cr0
	ljmpl $SEG_CODE64, $T(tramp64)

	.code64
tramp64:
	movq T(td_stack), %rsp
	movq T(td_arg), %rdi
	movq T(td_entry), %rax
	/* RBP = 0 and a zero return address end every backtrace here. */
	xorl %ebp, %ebp
	pushq $0
	jmp *%rax

	.balign 8
tramp_gdt:
	.quad 0                     /* 0x00 null */
	.quad 0x00cf9a000000ffff    /* 0x08 code, 32-bit, flat */
	.quad 0x00cf92000000ffff    /* 0x10 data, flat */
	.quad 0x00af9a000000ffff    /* 0x18 code, 64-bit */
tramp_gdt_end:
	.balign 8
	.word 0
tramp_gdtr:
	.word tramp_gdt_end - tramp_gdt - 1
	.long T(tramp_gdt)

	/* struct trampoline_data (smp.c). */
	.balign 8
ap_trampoline_data:
td_cr3:   .quad 0
td_efer:  .quad 0
td_stack: .quad 0
td_entry: .quad 0
td_arg:   .quad 0
ap_trampoline_end:

	.section .note.GNU-stack, "", @progbits
