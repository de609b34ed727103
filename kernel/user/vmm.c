/*
 * vmm [spin|halt|ept|ud2] [N]: a virtual machine monitor. It gives a guest
 * one page of code and one of stack in guest-physical memory (its EPT,
 * built by the kernel through sys_vmm_map), creates one guest pcore, and
 * runs it (sys_vmm_run) until a signal: SIGINT or SIGTERM make it destroy
 * itself from its handler, as Akaros's VMM did on ctrl-c (sys_proc_destroy
 * on itself: step 2 of the abandon-core chain, in
 * labs/abandon-core/INSTRUCTOR.md).
 *
 * The guests are 32-bit code, flat, without paging (vmx/vmcs_setup.c):
 *   spin  counts forever; every 2^22 iterations it reports the count
 *         (hypercall HC_PROGRESS). The VMM prints every 4th report.
 *   halt  says hello, then halts in a loop; the VMM sleeps a tick per HLT.
 *   ept   writes to guest-physical memory nobody mapped: EPT violation,
 *         the kernel kills the VM and the VMM reports it and exits 3.
 *   ud2   executes an invalid instruction: an exception exit, which the
 *         kernel reports and kills the VM for; the VMM exits 2.
 * Each guest starts with a greeting (HC_PUTS), so the console shows the
 * VMCALL path working before anything else.
 *
 * With N, the VMM sends itself SIGINT after the guest's Nth progress
 * report: a run that ends the same way on every emulator (tests compare
 * the VMX events of the two backends with it).
 */
#include "kernel/user/lib/ulib.h"
#include "vmx/vmm_abi.h"
#include "vmx/vmx_arch.h"

#define GUEST_CODE	0x1000u		/* guest-physical load address */
#define GUEST_STACK_PAGE 0x7000u
#define GUEST_STACK_TOP	0x8000u
#define GUEST_UNMAPPED	0x400000u	/* the ept guest writes here */
#define PROGRESS_SHIFT	22

/*
 * The guests, assembled as 32-bit code into .rodata; the VMM copies one
 * into the guest's memory at GUEST_CODE. Addresses inside a guest are
 * computed from GUEST_CODE, since that is where it runs.
 */
#define STR(x) #x
#define XSTR(x) STR(x)
asm(".pushsection .rodata\n"
    ".code32\n"
    /* spin */
    ".globl guest_spin, guest_spin_end\n"
    "guest_spin:\n"
    "	movl $" XSTR(HC_PUTS) ", %eax\n"
    "	movl $(1f - guest_spin + " XSTR(GUEST_CODE) "), %ebx\n"
    "	vmcall\n"
    "	xorl %esi, %esi\n"
    "2:	incl %esi\n"
    "	testl $((1 << " XSTR(PROGRESS_SHIFT) ") - 1), %esi\n"
    "	jnz 2b\n"
    "	movl $" XSTR(HC_PROGRESS) ", %eax\n"
    "	movl %esi, %ebx\n"
    "	vmcall\n"
    "	jmp 2b\n"
    "1:	.asciz \"guest: spinning, counting\"\n"
    "guest_spin_end:\n"
    /* halt */
    ".globl guest_halt, guest_halt_end\n"
    "guest_halt:\n"
    "	movl $" XSTR(HC_PUTS) ", %eax\n"
    "	movl $(1f - guest_halt + " XSTR(GUEST_CODE) "), %ebx\n"
    "	vmcall\n"
    "2:	hlt\n"
    "	jmp 2b\n"
    "1:	.asciz \"guest: halting\"\n"
    "guest_halt_end:\n"
    /* ept */
    ".globl guest_ept, guest_ept_end\n"
    "guest_ept:\n"
    "	movl $" XSTR(HC_PUTS) ", %eax\n"
    "	movl $(1f - guest_ept + " XSTR(GUEST_CODE) "), %ebx\n"
    "	vmcall\n"
    "	movl $0x1234, " XSTR(GUEST_UNMAPPED) "\n"
    "2:	hlt\n"
    "	jmp 2b\n"
    "1:	.asciz \"guest: writing to memory my VMM never gave me\"\n"
    "guest_ept_end:\n"
    /* ud2 */
    ".globl guest_ud2, guest_ud2_end\n"
    "guest_ud2:\n"
    "	movl $" XSTR(HC_PUTS) ", %eax\n"
    "	movl $(1f - guest_ud2 + " XSTR(GUEST_CODE) "), %ebx\n"
    "	vmcall\n"
    "	ud2\n"
    "1:	.asciz \"guest: executing ud2\"\n"
    "guest_ud2_end:\n"
    ".code64\n"
    ".popsection\n");

extern const char guest_spin[], guest_spin_end[];
extern const char guest_halt[], guest_halt_end[];
extern const char guest_ept[], guest_ept_end[];
extern const char guest_ud2[], guest_ud2_end[];

static const struct guest {
	const char *name;
	const char *start, *end;
} guests[] = {
	{ "spin", guest_spin, guest_spin_end },
	{ "halt", guest_halt, guest_halt_end },
	{ "ept", guest_ept, guest_ept_end },
	{ "ud2", guest_ud2, guest_ud2_end },
};

static long vmm_map(uint64_t gpa, const void *src, uint64_t len)
{
	return syscall6(SYS_vmm_map, (long)gpa, (long)src, (long)len, 0, 0, 0);
}

static long vmm_gpc_create(int gpcid, uint64_t rip, uint64_t rsp)
{
	return syscall6(SYS_vmm_gpc_create, gpcid, (long)rip, (long)rsp, 0, 0, 0);
}

static long vmm_run(int gpcid, struct vmm_exit *e)
{
	return syscall6(SYS_vmm_run, gpcid, (long)e, 0, 0, 0, 0);
}

/* Akaros's VMM on ctrl-c: destroy ourselves from the handler. */
static void on_signal(int sig)
{
	printf("vmm: signal %d: destroying myself (pid %d)\n", sig, getpid());
	proc_destroy(getpid(), 128 + sig);
}

/* The guest's memory is what we copied in: read a string back from our
 * own copy of the image. */
static const char *guest_string(const struct guest *g, uint64_t gpa)
{
	uint64_t len = (uint64_t)(g->end - g->start);

	if (gpa < GUEST_CODE || gpa >= GUEST_CODE + len)
		return "(outside the guest image)";
	return g->start + (gpa - GUEST_CODE);
}

int main(int argc, char **argv)
{
	const struct guest *g = &guests[0];
	struct vmm_exit e;
	unsigned long progress = 0, halts = 0;
	long stop_after = argc > 2 ? atol(argv[2]) : 0;
	long r;

	for (unsigned i = 0; argc > 1 && i < sizeof(guests) / sizeof(guests[0]); i++)
		if (!strcmp(argv[1], guests[i].name))
			g = &guests[i];
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if ((r = vmm_map(GUEST_CODE, g->start, (uint64_t)(g->end - g->start))) < 0 ||
	    (r = vmm_map(GUEST_STACK_PAGE, NULL, 4096)) < 0 ||
	    (r = vmm_gpc_create(0, GUEST_CODE, GUEST_STACK_TOP)) < 0) {
		printf("vmm: setting up the guest failed: %ld\n", r);
		return 1;
	}
	printf("vmm: pid %d runs guest '%s'\n", getpid(), g->name);
	for (;;) {
		r = vmm_run(0, &e);
		switch (r) {
		case EXIT_REASON_VMCALL:
			if (e.rax == HC_PUTS)
				printf("%s\n", guest_string(g, e.rbx));
			else if (e.rax == HC_PROGRESS && ++progress % 4 == 0)
				printf("vmm: guest progress %lu (count %lu)\n", progress,
				       (unsigned long)e.rbx);
			if (stop_after && e.rax == HC_PROGRESS && progress == (unsigned long)stop_after)
				kill(getpid(), SIGINT);
			break;
		case EXIT_REASON_HLT:
			if (++halts <= 3)
				printf("vmm: guest halted at rip %lx\n", (unsigned long)e.guest_rip);
			sleep_ticks(1);
			break;
		case EXIT_REASON_EXTERNAL_INTERRUPT:
			/* A signal was delivered; its handler did not end us. */
			break;
		case EXIT_REASON_EPT_VIOLATION:
			printf("vmm: EPT violation at guest-physical %lx (rip %lx): the VM is dead\n",
			       (unsigned long)e.guest_phys, (unsigned long)e.guest_rip);
			return 3;
		default:
			printf("vmm: guest stopped: sys_vmm_run returned %ld\n", r);
			return 2;
		}
	}
}
