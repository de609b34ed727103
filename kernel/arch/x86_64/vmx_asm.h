/*
 * vmx_asm.h: the VMX instructions, one inline wrapper each (hardware
 * backend). Every wrapper ends the way Akaros's did: `ja 1f; ud2; 1:`.
 * VMsucceed leaves CF = ZF = 0 and `ja` jumps over the ud2; VMfailInvalid
 * (CF) and VMfailValid (ZF) fall into it, so any VMfail is an Invalid
 * Opcode trap in the kernel, at the instruction that failed, with the
 * flags that tell which failure it was still in the trap frame.
 *
 * Each ud2 is recorded in the `.vmx_fail_sites` section (kernel.ld) with
 * the number of its instruction, so the #UD report can say "INVEPT failed:
 * VMfailValid, error 28" (vmx/vmx_fail.c) instead of only "Invalid
 * Opcode". The
 * emulated backend's wrappers (vmx/backend_emu.c) end in the same tail.
 */
#ifndef KERNEL_ARCH_X86_64_VMX_ASM_H
#define KERNEL_ARCH_X86_64_VMX_ASM_H

/* Which instruction a fail site belongs to (vmx/vmx_fail.c names them;
 * the same numbers as the trace's vmx_insn enum). Plain defines, because
 * vmx_entry.S records its own fail sites. */
#define VMXI_VMXON	1
#define VMXI_VMCLEAR	2
#define VMXI_VMPTRLD	3
#define VMXI_VMREAD	4
#define VMXI_VMWRITE	5
#define VMXI_INVEPT	6
#define VMXI_VMLAUNCH	7
#define VMXI_VMRESUME	8

#ifndef __ASSEMBLY__

#include <stdint.h>

/* The tail every wrapper shares. %c[id] is the VMXI_* number. */
#define VMX_FAIL_TAIL						\
	"ja 1f\n"						\
	"2: ud2\n"						\
	"1:\n"							\
	".pushsection .vmx_fail_sites, \"a\"\n"			\
	".balign 8\n"						\
	".quad 2b, %c[id]\n"					\
	".popsection\n"

struct vmx_fail_site {
	uint64_t rip;		/* address of the ud2 */
	uint64_t insn;		/* VMXI_* */
};

static inline void hw_vmxon(uint64_t pa)
{
	asm volatile("vmxon %[pa]\n" VMX_FAIL_TAIL
		     : : [pa] "m"(pa), [id] "i"(VMXI_VMXON) : "cc", "memory");
}

static inline void hw_vmclear(uint64_t pa)
{
	asm volatile("vmclear %[pa]\n" VMX_FAIL_TAIL
		     : : [pa] "m"(pa), [id] "i"(VMXI_VMCLEAR) : "cc", "memory");
}

static inline void hw_vmptrld(uint64_t pa)
{
	asm volatile("vmptrld %[pa]\n" VMX_FAIL_TAIL
		     : : [pa] "m"(pa), [id] "i"(VMXI_VMPTRLD) : "cc", "memory");
}

static inline uint64_t hw_vmread(uint64_t field)
{
	uint64_t val;
	asm volatile("vmread %[field], %[val]\n" VMX_FAIL_TAIL
		     : [val] "=r"(val)
		     : [field] "r"(field), [id] "i"(VMXI_VMREAD) : "cc");
	return val;
}

static inline void hw_vmwrite(uint64_t field, uint64_t val)
{
	asm volatile("vmwrite %[val], %[field]\n" VMX_FAIL_TAIL
		     : : [field] "r"(field), [val] "r"(val), [id] "i"(VMXI_VMWRITE)
		     : "cc", "memory");
}

/* The 128-bit INVEPT descriptor: EPTP, then 64 reserved bits. */
static inline void hw_invept(uint64_t type, uint64_t eptp)
{
	struct { uint64_t eptp, reserved; } desc = { eptp, 0 };
	asm volatile("invept %[desc], %[type]\n" VMX_FAIL_TAIL
		     : : [desc] "m"(desc), [type] "r"(type), [id] "i"(VMXI_INVEPT)
		     : "cc", "memory");
}

/* The emulated backend's tail: load the model's CF/ZF into RFLAGS (the
 * other flags, IF above all, are kept) and run the same VMX_FAIL_TAIL, so
 * a modelled VMfail traps at a ud2 exactly as a real one does. */
#define VMX_EMU_FAIL_TAIL(model_rflags, ID)				\
	asm volatile("pushfq\n"					\
		     "andq $~0x41, (%%rsp)\n"				\
		     "orq %[f], (%%rsp)\n"				\
		     "popfq\n" VMX_FAIL_TAIL				\
		     : : [f] "r"((uint64_t)(model_rflags)), [id] "i"(ID)	\
		     : "cc", "memory")

/* After a VM exit caused by an NMI (NMI exiting is on), the host still
 * owes its own NMI handler a run: raise it in software, as KVM does. */
static inline void hw_deliver_nmi(void)
{
	asm volatile("int $2" ::: "memory");
}

/* The GDT and IDT bases, for the VMCS host-state area. */
static inline uint64_t sgdt_base(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d;
	asm volatile("sgdt %0" : "=m"(d));
	return d.base;
}

static inline uint64_t sidt_base(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d;
	asm volatile("sidt %0" : "=m"(d));
	return d.base;
}

#endif /* __ASSEMBLY__ */
#endif
