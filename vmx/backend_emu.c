/*
 * backend_emu.c: the emulated VMX backend, for CPUs without VMX (QEMU TCG).
 *
 * The VMX instructions are executed by the architectural model
 * (vmx/emu_model.c), whose VMfail comes back as CF/ZF: the wrappers load
 * those flags and end in the very `ja 1f; ud2` tail of the hardware
 * wrappers, so a modelled VMfail traps where a real one would.
 *
 * The guest runs de-privileged (trap and emulate): in ring 3, in
 * compatibility mode on the 32-bit user code segment, in an address space
 * built from the EPT. That address space is this core's cache of EPT
 * translations, a "TLB" filled on demand when the guest page-faults and
 * flushed only by INVEPT, as the hardware's is. Traps from the guest come
 * back through trap.c (vmx_emu_guest_trap) and become VM exits:
 *   #UD or #GP on VMCALL (0f 01 c1)     exit 18, VMCALL
 *   #GP on HLT (f4) at CPL 3            exit 12, HLT
 *   #PF the EPT maps                    no exit: fill the shadow, resume
 *   #PF the EPT does not map            exit 48, EPT violation
 *   an interrupt                        exit 1, external interrupt
 *   an NMI                              the host's handler runs, no exit
 *   any other exception                 exit 0 (the bitmap has every bit)
 * VMCALL outside VMX operation is #UD on the CPU and under TCG; on a KVM
 * host of the kvm_pvm kind it arrives as #GP(0) (measured: interruption
 * info 0x80000b0d at the VMCALL), so either fault on those bytes is one.
 * Supported guests: what vmcs_setup.c writes (flat 32-bit protected mode,
 * no paging, EPT on). Anything else is refused at entry with a panic that
 * says so, never run wrongly.
 */
#include "vmx/backend.h"
#include "vmx/emu_model.h"
#include "vmx/ept.h"
#include "vmx/gpc.h"
#include "vmx/vmx.h"
#include "vmx/vmx_arch.h"
#include "vmx/vmcs_fields.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/vmx_asm.h"
#include "kernel/mm.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/trap.h"
#include "trace/trace.h"
#include "trace/kernel/trap_events.h"

/* ---- the machine the model sees: all of RAM, the host's MAXPHYADDR ---- */

static void *emu_map(void *ctx, uint64_t pa)
{
	(void)ctx;
	return pa < PHYS_MAP_SIZE ? P2V(pa) : NULL;
}

static struct emu_vmx_machine machine = { emu_map, NULL, 36 };

/* Per core: the model's state, and the guest's cached translations. */
#define SHADOWS_PER_CORE 4
struct emu_shadow {
	uint64_t eptp;			/* 0: slot empty */
	uint64_t *pml4;			/* guest-linear -> host-physical */
};

static struct emu_core {
	struct emu_vmx_cpu cpu;
	struct emu_shadow shadow[SHADOWS_PER_CORE];
	unsigned next_victim;
	struct guest_pcore *gpc;	/* in the guest: whose */
	uint64_t host_cr3;
	/* An interrupt taken from the guest, for take_interrupt(). */
	trap_handler_t irq_handler;
	struct trapframe *irq_tf;
} emu_cores[MAX_CPUS];

static struct emu_core *me(void)
{
	return &emu_cores[core_id()];
}

/* A modelled fault: #UD is a real ud2 (outside the fail-site table, so it
 * reports as a plain Invalid Opcode, as a VMX instruction outside VMX
 * operation would); #GP(0) cannot be raised with its error code from
 * software, so it is a panic that says what the CPU would have done. */
static void model_fault(struct emu_vmx_result r, const char *insn)
{
	if (r.fault == EMU_FAULT_UD)
		asm volatile("ud2");
	if (r.fault == EMU_FAULT_GP)
		panic("emulated VMX: %s raises #GP(0)", insn);
}

#define EMU_INSN(expr, ID, NAME) do {					\
		struct emu_vmx_result r_ = (expr);			\
		model_fault(r_, NAME);					\
		VMX_EMU_FAIL_TAIL(r_.rflags, ID);			\
	} while (0)

/* ---- the instructions ---- */

static void emu_enable(void)
{
	struct emu_core *c = me();
	uint32_t maxphys = cpuid(0x80000000, 0).eax >= 0x80000008 ?
			   (cpuid(0x80000008, 0).eax & 0xff) : 36;

	machine.phys_addr_bits = maxphys;
	emu_vmx_cpu_init(&c->cpu, &machine);
	/* IA32_FEATURE_CONTROL and CR4.VMXE are the model's: setting the real
	 * CR4.VMXE hangs QEMU 7.2 TCG. CR0's fixed bits are real ones. */
	c->cpu.feature_control_ok = true;
	c->cpu.cr4_vmxe = true;
	write_cr0(read_cr0() | emu_vmx_rdmsr(MSR_IA32_VMX_CR0_FIXED0));
}

static uint64_t emu_host_cr0(void)
{
	return read_cr0();
}

static uint64_t emu_host_cr4(void)
{
	return read_cr4() | (me()->cpu.cr4_vmxe ? CR4_VMXE : 0);
}

static void emu_do_vmxon(uint64_t pa)
{
	vmx_note_insn(VMXI_VMXON, pa);
	EMU_INSN(emu_vmxon(&me()->cpu, pa), VMXI_VMXON, "VMXON");
}

static void emu_do_vmclear(uint64_t pa)
{
	vmx_note_insn(VMXI_VMCLEAR, pa);
	EMU_INSN(emu_vmclear(&me()->cpu, pa), VMXI_VMCLEAR, "VMCLEAR");
}

static void emu_do_vmptrld(uint64_t pa)
{
	vmx_note_insn(VMXI_VMPTRLD, pa);
	EMU_INSN(emu_vmptrld(&me()->cpu, pa), VMXI_VMPTRLD, "VMPTRLD");
}

static uint64_t emu_do_vmread(uint32_t field)
{
	uint64_t v = 0;
	vmx_note_insn(VMXI_VMREAD, field);
	EMU_INSN(emu_vmread(&me()->cpu, field, &v), VMXI_VMREAD, "VMREAD");
	return v;
}

static void emu_do_vmwrite(uint32_t field, uint64_t val)
{
	vmx_note_insn(VMXI_VMWRITE, field);
	EMU_INSN(emu_vmwrite(&me()->cpu, field, val), VMXI_VMWRITE, "VMWRITE");
}

static void shadow_drop(struct emu_shadow *s);

static void emu_do_invept(uint64_t type, uint64_t eptp)
{
	struct emu_core *c = me();
	uint64_t desc[2] = { eptp, 0 };

	vmx_note_insn(VMXI_INVEPT, eptp);
	EMU_INSN(emu_invept(&c->cpu, type, desc), VMXI_INVEPT, "INVEPT");
	/* Succeeded: drop this core's cached translations, as the CPU does. */
	for (unsigned i = 0; i < SHADOWS_PER_CORE; i++)
		if (c->shadow[i].eptp && (type == INVEPT_ALL_CONTEXT ||
					  (c->shadow[i].eptp & EPT_ADDR_MASK) == (eptp & EPT_ADDR_MASK)))
			shadow_drop(&c->shadow[i]);
}

/* ---- the guest's address space: a cache of EPT translations ---- */

#define PTE_P	(1ull << 0)
#define PTE_W	(1ull << 1)
#define PTE_U	(1ull << 2)
#define PTE_ADDR 0x000ffffffffff000ull

/* Levels: 3 PML4, 2 PDPT, 1 PD, 0 PT. The PT's entries point at guest
 * pages, which the EPT owns; the PML4's upper half is the kernel's, copied
 * and not owned. */
static void shadow_free_table(uint64_t *table, int level)
{
	unsigned n = level == 3 ? 256 : 512;

	if (level > 0)
		for (unsigned i = 0; i < n; i++)
			if (table[i] & PTE_P)
				shadow_free_table(P2V(table[i] & PTE_ADDR), level - 1);
	page_free(table);
}

static void shadow_drop(struct emu_shadow *s)
{
	shadow_free_table(s->pml4, 3);
	s->eptp = 0;
	s->pml4 = NULL;
}

static struct emu_shadow *shadow_for(uint64_t eptp)
{
	struct emu_core *c = me();
	struct emu_shadow *s;

	for (unsigned i = 0; i < SHADOWS_PER_CORE; i++)
		if (c->shadow[i].eptp == eptp)
			return &c->shadow[i];
	/* A TLB may drop any entry at any time: evict round-robin. */
	s = &c->shadow[c->next_victim++ % SHADOWS_PER_CORE];
	if (s->eptp)
		shadow_drop(s);
	s->pml4 = page_alloc();
	if (!s->pml4)
		panic("emulated VMX: no memory for the guest's address space");
	/* The kernel half, so that traps from the guest reach the kernel. */
	memcpy(s->pml4 + 256, (uint64_t *)P2V(read_cr3() & PTE_ADDR) + 256, 256 * 8);
	s->eptp = eptp;
	return s;
}

/* Map guest page gla -> hpa in the shadow, writable if the EPT allows. */
static void shadow_fill(struct emu_shadow *s, uint64_t gla, uint64_t ept_leaf)
{
	uint64_t *table = s->pml4;
	for (int level = 3; level > 0; level--) {
		uint64_t *e = &table[(gla >> (12 + 9 * level)) & 511];
		if (!(*e & PTE_P)) {
			void *next = page_alloc();
			if (!next)
				panic("emulated VMX: no memory for the guest's address space");
			*e = V2P(next) | PTE_P | PTE_W | PTE_U;
		}
		table = P2V(*e & PTE_ADDR);
	}
	table[(gla >> 12) & 511] = (ept_leaf & EPT_ADDR_MASK) | PTE_P | PTE_U |
				   ((ept_leaf & EPT_W) ? PTE_W : 0);
	invlpg(gla);
}

/* ---- entry ---- */

#define GUEST_FLAGS_MASK 0xcd5ull	/* CF PF AF ZF SF DF OF: the guest's own */

static __attribute__((noreturn)) void emu_enter(struct guest_pcore *gpc, bool launch)
{
	struct emu_core *c = me();
	struct emu_vmx_cpu *cpu = &c->cpu;

	vmx_note_insn(launch ? VMXI_VMLAUNCH : VMXI_VMRESUME, 0);
	struct emu_vmx_result r = emu_vmentry(cpu, launch);
	model_fault(r, launch ? "VMLAUNCH" : "VMRESUME");
	if (launch)
		VMX_EMU_FAIL_TAIL(r.rflags, VMXI_VMLAUNCH);
	else
		VMX_EMU_FAIL_TAIL(r.rflags, VMXI_VMRESUME);
	if (!cpu->in_guest)		/* the entry failed on guest state: an exit */
		vmx_vmexit(gpc);

	uint64_t proc2 = emu_vmcs_get(cpu, SECONDARY_VM_EXEC_CONTROL);
	uint64_t cr0 = emu_vmcs_get(cpu, GUEST_CR0);
	if (!(proc2 & SECONDARY_ENABLE_EPT) || (cr0 & CR0_PG) || !(cr0 & CR0_PE) ||
	    !(emu_vmcs_get(cpu, GUEST_CS_AR_BYTES) & (1u << 14)) ||
	    emu_vmcs_get(cpu, GUEST_CS_BASE) || emu_vmcs_get(cpu, GUEST_DS_BASE) ||
	    emu_vmcs_get(cpu, GUEST_SS_BASE))
		panic("emulated VMX: only flat 32-bit guests without paging, under EPT");

	struct emu_shadow *s = shadow_for(emu_vmcs_get(cpu, EPT_POINTER));
	c->gpc = gpc;
	c->host_cr3 = emu_vmcs_get(cpu, HOST_CR3);
	write_cr3(V2P(s->pml4));

	uint64_t flags = emu_vmcs_get(cpu, GUEST_RFLAGS);
	struct trapframe tf = {
		.rax = gpc->regs.rax, .rbx = gpc->regs.rbx, .rcx = gpc->regs.rcx,
		.rdx = gpc->regs.rdx, .rsi = gpc->regs.rsi, .rdi = gpc->regs.rdi,
		.rbp = gpc->regs.rbp, .r8 = gpc->regs.r8, .r9 = gpc->regs.r9,
		.r10 = gpc->regs.r10, .r11 = gpc->regs.r11, .r12 = gpc->regs.r12,
		.r13 = gpc->regs.r13, .r14 = gpc->regs.r14, .r15 = gpc->regs.r15,
		.rip = emu_vmcs_get(cpu, GUEST_RIP),
		.cs = GDT_UCODE32,
		/* Interrupts stay on in the real RFLAGS: with external-interrupt
		 * exiting, the guest's IF does not block them (SDM 25.2). */
		.rflags = (flags & GUEST_FLAGS_MASK) | RFLAGS_IF | 2,
		.rsp = emu_vmcs_get(cpu, GUEST_RSP),
		.ss = GDT_UDATA,
	};
	/* Compatibility mode uses DS and ES: give the guest flat user data. */
	asm volatile("movw %w0, %%ds; movw %w0, %%es" : : "r"(GDT_UDATA));
	trap_return(&tf);
}

/* ---- exits ---- */

static uint8_t guest_byte(uint64_t eptp, uint64_t gpa)
{
	uint64_t leaf = ept_lookup(eptp, gpa);
	return leaf ? *((uint8_t *)P2V(leaf & EPT_ADDR_MASK) + (gpa & 0xfff)) : 0;
}

static bool guest_code_is(uint64_t eptp, uint64_t rip, const uint8_t *code, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (guest_byte(eptp, rip + i) != code[i])
			return false;
	return true;
}

static void emu_take_interrupt(void)
{
	struct emu_core *c = me();

	if (!c->irq_tf)
		return;
	/* On real VMX the interrupt arrives here, in the host kernel, at the
	 * point interrupts are enabled after the exit: the handler must see a
	 * kernel-mode frame, not the guest's (a timer handler that preempts
	 * user mode would otherwise take the guest for a user context). */
	struct trapframe ktf = *c->irq_tf;
	ktf.cs = GDT_KCODE;
	ktf.ss = GDT_KDATA;
	ktf.rip = (uint64_t)(uintptr_t)emu_take_interrupt;
	ktf.rsp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
	ktf.rflags = read_rflags();
	trap_handler_t h = c->irq_handler;
	c->irq_handler = NULL;
	c->irq_tf = NULL;
	/* The events trap_dispatch writes around a handler. */
	trace_trap_enter(&ktf);
	if (h)
		h(&ktf);
	trace_trap_exit(&ktf);
}

void vmx_emu_guest_trap(struct trapframe *tf, trap_handler_t irq_handler)
{
	static const uint8_t vmcall[3] = { 0x0f, 0x01, 0xc1 }, hlt[1] = { 0xf4 };
	struct emu_core *c = me();
	struct emu_vmx_cpu *cpu = &c->cpu;
	struct guest_pcore *gpc = c->gpc;
	uint64_t eptp = emu_vmcs_get(cpu, EPT_POINTER);
	uint64_t flags = emu_vmcs_get(cpu, GUEST_RFLAGS);
	struct emu_vmexit_info e = {
		.guest_rip = (uint32_t)tf->rip,
		.guest_rsp = (uint32_t)tf->rsp,
		.guest_rflags = (flags & ~GUEST_FLAGS_MASK) | (tf->rflags & GUEST_FLAGS_MASK),
	};

	if (!cpu->in_guest || !gpc)
		panic("emulated VMX: a trap from the 32-bit user segment with no guest running");

	if (tf->vector == 2) {
		/* An NMI arrives on its IST stack, which cannot carry a VM exit
		 * (another NMI would reuse it): run the host's handler with a
		 * kernel-mode frame, as after a hardware NMI exit, and let the
		 * guest go on. Not traced as an exit: NMIs only stop cores for
		 * a panic here. */
		struct trapframe ktf = *tf;
		ktf.cs = GDT_KCODE;
		ktf.ss = GDT_KDATA;
		if (irq_handler)
			irq_handler(&ktf);
		trap_return(tf);
	}
	if (tf->vector == 14) {
		uint64_t gpa = read_cr2();
		uint64_t leaf = ept_lookup(eptp, gpa);
		bool write = tf->error & 2, fetch = tf->error & 16;
		if (leaf && (!write || (leaf & EPT_W))) {
			/* Mapped by the EPT: a miss in the cache, not an exit. */
			shadow_fill(shadow_for(eptp), gpa, leaf);
			trap_return(tf);
		}
		e.reason = EXIT_REASON_EPT_VIOLATION;
		e.qualification = (write ? EPT_QUAL_WRITE : fetch ? EPT_QUAL_FETCH : EPT_QUAL_READ) |
				  ((leaf & EPT_RWX) << 3) | EPT_QUAL_LINEAR_VALID | (1ull << 8);
		e.guest_physical = gpa;
		e.guest_linear = gpa;
	} else if ((tf->vector == 6 || tf->vector == 13) &&
		   guest_code_is(eptp, tf->rip, vmcall, 3)) {
		e.reason = EXIT_REASON_VMCALL;
		e.instr_len = 3;
	} else if (tf->vector == 13 && guest_code_is(eptp, tf->rip, hlt, 1)) {
		e.reason = EXIT_REASON_HLT;
		e.instr_len = 1;
	} else if (tf->vector >= 32) {
		/* No "acknowledge interrupt on exit": the host runs the handler
		 * when vmx_vmexit lets interrupts in (take_interrupt). */
		e.reason = EXIT_REASON_EXTERNAL_INTERRUPT;
		c->irq_handler = irq_handler;
		c->irq_tf = tf;
	} else {
		bool has_error = tf->vector < 32 && ((0x27d00u >> tf->vector) & 1);
		e.reason = EXIT_REASON_EXCEPTION_NMI;
		e.intr_info = (uint32_t)tf->vector | ((tf->vector == 2 ? 2u : 3u) << 8) |
			      (has_error ? 1u << 11 : 0) | (1u << 31);
		e.intr_error = has_error ? (uint32_t)tf->error : 0;
	}

	gpc->regs = (struct guest_regs){
		.rax = tf->rax, .rbx = tf->rbx, .rcx = tf->rcx, .rdx = tf->rdx,
		.rsi = tf->rsi, .rdi = tf->rdi, .rbp = tf->rbp, .r8 = tf->r8,
		.r9 = tf->r9, .r10 = tf->r10, .r11 = tf->r11, .r12 = tf->r12,
		.r13 = tf->r13, .r14 = tf->r14, .r15 = tf->r15,
	};
	/* The VM exit: host CR3 back, exit information into the VMCS. */
	write_cr3(c->host_cr3);
	emu_vmexit(cpu, &e);
	c->gpc = NULL;
	vmx_vmexit(gpc);
}

const struct vmx_backend vmx_backend_emu = {
	.name = "emulated",
	.trace_id = TRACE_vmx_backend_emulated,
	.rdmsr = emu_vmx_rdmsr,
	.enable = emu_enable,
	.host_cr0 = emu_host_cr0,
	.host_cr4 = emu_host_cr4,
	.vmxon = emu_do_vmxon,
	.vmclear = emu_do_vmclear,
	.vmptrld = emu_do_vmptrld,
	.vmread = emu_do_vmread,
	.vmwrite = emu_do_vmwrite,
	.invept = emu_do_invept,
	.enter = emu_enter,
	.take_interrupt = emu_take_interrupt,
};
