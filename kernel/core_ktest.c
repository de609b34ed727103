/*
 * core_ktest.c: self-tests (ktest=...) for the core layer
 * basics: the formatter behind printk/snprintf, the string
 * routines, the command line, the symbol table and the trap round trip.
 */
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/cmdline.h"
#include "kernel/ksyms.h"
#include "kernel/trap.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/vectors.h"

/* Format with snprintf and compare with the expected text. */
#define KT_FMT(expect, ...)                                                   \
	do {                                                                  \
		char kt_buf_[96];                                             \
		int kt_n_ = snprintf(kt_buf_, sizeof kt_buf_, __VA_ARGS__);   \
		if (strcmp(kt_buf_, (expect)) != 0 ||                         \
		    kt_n_ != (int)strlen(expect)) {                           \
			ktest_fail(kt, __FILE__, __LINE__,                    \
				   "got \"%s\" (%d), want \"%s\"", kt_buf_,   \
				   kt_n_, (expect));                          \
			return;                                               \
		}                                                             \
	} while (0)

KTEST(snprintf_integers)
{
	KT_FMT("0 -5 42", "%d %i %u", 0, -5, 42u);
	KT_FMT("4294967295", "%u", 4294967295u);
	KT_FMT("-2147483648", "%d", (int)0x80000000);
	KT_FMT("18446744073709551615", "%lu", (unsigned long)-1);
	KT_FMT("-9223372036854775808", "%ld", (long)0x8000000000000000ull);
	KT_FMT("deadbeef DEADBEEF", "%x %X", 0xdeadbeefu, 0xdeadbeefu);
	KT_FMT("ffffffff80100000", "%lx", 0xffffffff80100000ul);
	KT_FMT("123456789abcdef0", "%llx", 0x123456789abcdef0ull);
}

KTEST(snprintf_width_and_padding)
{
	KT_FMT("   42|42   |00042", "%5d|%-5d|%05d", 42, 42, 42);
	KT_FMT("-0042", "%05d", -42);
	KT_FMT("  -42", "%5d", -42);
	KT_FMT("000000ff", "%08x", 0xffu);
	KT_FMT("0000000000001000", "%016lx", 0x1000ul);
	KT_FMT("123456", "%3d", 123456);
	KT_FMT("  ab|ab  |x", "%4s|%-4s|%c", "ab", "ab", 'x');
	KT_FMT("0xffffffff80100000", "%p", (void *)0xffffffff80100000ul);
	/* volatile: hide the NULL from the compiler's format checker. */
	const char *volatile nothing = NULL;
	KT_FMT("(null) 100%", "%s 100%%", nothing);
}

KTEST(snprintf_truncates_and_counts)
{
	char buf[8];
	memset(buf, 'z', sizeof buf);
	int n = snprintf(buf, sizeof buf, "%s-%d", "abcdef", 1234);
	KT_EQ(n, 11);
	KT_ASSERT(strcmp(buf, "abcdef-") == 0);
	KT_EQ(snprintf(NULL, 0, "%x", 0x1234u), 4);
}

KTEST(string_routines)
{
	char buf[16] = "abcdefgh";
	memmove(buf + 2, buf, 6);               /* overlap, dst above src */
	KT_ASSERT(memcmp(buf, "ababcdef", 8) == 0);
	memmove(buf, buf + 2, 6);               /* overlap, dst below src */
	KT_ASSERT(memcmp(buf, "abcdefef", 8) == 0);

	char small[4];
	KT_EQ(strlcpy(small, "hello", sizeof small), 5);
	KT_ASSERT(strcmp(small, "hel") == 0);
	KT_ASSERT(strncmp("abcX", "abcY", 3) == 0);
	KT_ASSERT(strncmp("abcX", "abcY", 4) < 0);
	KT_ASSERT(strcmp("b", "a") > 0);
	KT_EQ(strlen(""), 0);
	KT_ASSERT(strchr("key=val", '=') != NULL);
	KT_ASSERT(strchr("key", '=') == NULL);
}

/* Runs with ktest=... on the command line, so that option is there. */
KTEST(cmdline_lookup)
{
	char val[64];
	KT_ASSERT(cmdline_has("ktest"));
	KT_ASSERT(cmdline_get("ktest", val, sizeof val));
	KT_ASSERT(strlen(val) > 0);
	/* A prefix of an option name is not the option. */
	KT_ASSERT(!cmdline_has("ktes"));
	KT_ASSERT(!cmdline_get("kt", val, sizeof val));
	KT_EQ(cmdline_u64("no_such_option_here", 77), 77);
}

extern void kmain(uint32_t magic, uint64_t mbi_phys);

KTEST(ksyms_lookup)
{
	uint64_t off = 99;
	const char *name = ksym_lookup((uint64_t)kmain, &off);
	KT_ASSERT(name != NULL);
	KT_ASSERT(strcmp(name, "kmain") == 0);
	KT_EQ(off, 0);
	name = ksym_lookup((uint64_t)ksym_lookup + 3, &off);
	KT_ASSERT(name != NULL && strcmp(name, "ksym_lookup") == 0);
	KT_EQ(off, 3);
	/* Data is not text. */
	static int not_code;
	KT_ASSERT(ksym_lookup((uint64_t)&not_code, &off) == NULL);
}

/* The trap round trip: an interrupt into trapentry.S, trap_dispatch, a
 * handler that edits the frame, back through trap_return's iretq. The
 * interrupt is a fixed IPI to this core, not `int n`: a software interrupt
 * is an instruction some hypervisors must emulate and cannot (KVM without
 * VMX/SVM in the host), while an interrupt from the LAPIC is delivered by
 * every one. It is held off (IF=0) until the asm below has RAX and RBX
 * loaded, then taken at the first instruction after STI's shadow. */
#define KTEST_TRAP_MAGIC 0x5a5a1234ull
static volatile int ktest_trap_hits;
static volatile uint64_t ktest_trap_vector, ktest_trap_cs;

static void ktest_trap_handler(struct trapframe *tf)
{
	ktest_trap_hits++;
	ktest_trap_vector = tf->vector;
	ktest_trap_cs = tf->cs;
	tf->rax ^= KTEST_TRAP_MAGIC;    /* must come back in RAX */
	lapic_eoi();
}

KTEST(trap_round_trip)
{
	trap_register(KTEST_TRAP_VECTOR, ktest_trap_handler);
	uint64_t rax = 0x1111, rbx = 0x2222;
	uint64_t flags = irq_save();

	lapic_send_ipi(lapic_id(), KTEST_TRAP_VECTOR);
	asm volatile("sti\n"
		     "1:\tcmpl $0, %[hits]\n\t"
		     "je 1b\n\t"
		     "cli"
		     : "+a"(rax), "+b"(rbx)
		     : [hits] "m"(ktest_trap_hits)
		     : "memory");
	irq_restore(flags);
	KT_EQ(ktest_trap_hits, 1);
	KT_EQ(ktest_trap_vector, KTEST_TRAP_VECTOR);
	KT_EQ(ktest_trap_cs, GDT_KCODE);
	KT_EQ(rax, 0x1111 ^ KTEST_TRAP_MAGIC);
	KT_EQ(rbx, 0x2222);
	KT_ASSERT(strcmp(trap_name(T_INVALID_OP), "Invalid Opcode") == 0);
	KT_ASSERT(strcmp(trap_name(T_PAGE_FAULT), "Page Fault") == 0);
	KT_ASSERT(strcmp(trap_name(T_GP_FAULT), "General Protection") == 0);
}
