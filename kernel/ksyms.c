/*
 * ksyms.c: symbolise kernel addresses and walk frame-pointer chains.
 *
 * The table comes from the kernel's own ELF symbols (mk/gen-ksyms.sh), laid
 * out as sorted addresses plus name offsets, so a lookup is a binary search
 * with no allocation: usable in a panic with a broken heap.
 *
 * Every kernel file is built with -fno-omit-frame-pointer, so each frame
 * starts with [saved rbp][return address]; boot.S starts the chain with
 * rbp = 0, which ends the walk.
 */
#include "kernel/ksyms.h"
#include "kernel/printk.h"
#include "kernel/string.h"

extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addrs[];
extern const uint32_t ksyms_offsets[];
extern const char ksyms_names[];
extern const char __text_start[], __text_end[];
extern const char __kernel_start[], __kernel_end[];

/* Deep enough for any real kernel call chain; stops a cycle in a corrupt one. */
#define BACKTRACE_MAX_FRAMES 32

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	/* Only text is symbolised; .boot.text sits just below __text_start. */
	if (addr < (uint64_t)__kernel_start || addr >= (uint64_t)__text_end)
		return NULL;
	if (ksyms_count == 0 || addr < ksyms_addrs[0])
		return NULL;

	/* The last symbol whose address is <= addr. */
	uint64_t lo = 0, hi = ksyms_count;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (ksyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (offset)
		*offset = addr - ksyms_addrs[lo];
	return &ksyms_names[ksyms_offsets[lo]];
}

void ksym_format(char *buf, size_t size, uint64_t addr)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);
	if (name)
		snprintf(buf, size, "%016lx <%s+0x%lx>", addr, name, off);
	else
		snprintf(buf, size, "%016lx", addr);
}

/* A frame the walk may read: 16 bytes inside memory that is always mapped,
 * i.e. the kernel image (the boot stack) or the boot direct map of the
 * first 4 GiB (stacks from the page allocator). Anything else ends the walk
 * instead of faulting inside a panic report. */
#define DIRECT_MAP_BASE 0xffff800000000000ull
#define DIRECT_MAP_BOOT_END (DIRECT_MAP_BASE + (4ull << 30))

static int frame_ok(uint64_t rbp)
{
	if (rbp & 7)
		return 0;
	if (rbp >= (uint64_t)__kernel_start && rbp + 16 <= (uint64_t)__kernel_end)
		return 1;
	return rbp >= DIRECT_MAP_BASE && rbp + 16 <= DIRECT_MAP_BOOT_END;
}

/* One backtrace line for return address ret. ret points after the call;
 * ret-1 is inside the call instruction, so a call that ends a function
 * still names the caller. */
static void print_return_frame(int depth, uint64_t ret)
{
	char line[128];
	uint64_t off;
	const char *name = ksym_lookup(ret - 1, &off);
	if (name)
		snprintf(line, sizeof line, "  #%d %016lx <%s+0x%lx>", depth, ret,
			 name, off + 1);
	else
		snprintf(line, sizeof line, "  #%d %016lx", depth, ret);
	printk("%s\n", line);
}

/* Does ret look like a return address: inside kernel text, right after a
 * call (e8 rel32, or ff /2 with a 2..7-byte operand)? */
static int looks_like_return(uint64_t ret)
{
	if (!ksym_lookup(ret - 1, NULL) || ret < (uint64_t)__kernel_start + 8)
		return 0;
	const uint8_t *p = (const uint8_t *)ret;
	if (p[-5] == 0xe8)
		return 1;
	for (int len = 2; len <= 7; len++)
		if (p[-len] == 0xff && ((p[1 - len] >> 3) & 7) == 2)
			return 1;
	return 0;
}

/* The return address of the function containing rip when that function
 * has not (or never) set up its own frame, or 0 when its frame is set up
 * and the normal walk from rbp finds the caller.
 *
 * GCC keeps frame pointers (-fno-omit-frame-pointer) but still gives leaf
 * functions that need no stack no frame at all; and a fault can hit a
 * function before its `push %rbp; mov %rsp,%rbp`. In both cases rbp is
 * still the caller's frame, and the caller itself would be missing from
 * the trace: its return address is on the stack at rsp instead. */
static uint64_t frameless_return(uint64_t rip, uint64_t rsp)
{
	static const uint8_t prologue[4] = { 0x55, 0x48, 0x89, 0xe5 };
	uint64_t off;
	if (!rsp || !ksym_lookup(rip, &off) || !frame_ok(rsp))
		return 0;
	const uint8_t *fn = (const uint8_t *)(rip - off);
	const uint64_t *stack = (const uint64_t *)rsp;

	if (memcmp(fn, prologue, sizeof prologue) == 0) {
		if (off == 0)
			return stack[0];        /* nothing pushed yet */
		if (off < sizeof prologue)
			return stack[1];        /* rbp pushed, not yet moved */
		return 0;                       /* frame set up */
	}
	/* No frame pointer: the function may have pushed callee-saved
	 * registers, so take the first word that looks like a return. */
	for (int i = 0; i < 8 && frame_ok(rsp + 8 * i); i++)
		if (looks_like_return(stack[i]))
			return stack[i];
	return 0;
}

void backtrace_print(uint64_t rip, uint64_t rsp, uint64_t rbp)
{
	char line[128];
	int depth = 0;

	printk("Backtrace:\n");
	if (rip) {
		ksym_format(line, sizeof line, rip);
		printk("  #%d %s\n", depth++, line);
		uint64_t ret = frameless_return(rip, rsp);
		if (ret)
			print_return_frame(depth++, ret);
	}
	for (; depth < BACKTRACE_MAX_FRAMES; depth++) {
		if (!frame_ok(rbp))
			return;
		const uint64_t *frame = (const uint64_t *)rbp;
		uint64_t ret = frame[1];
		if (ret == 0)
			return;
		print_return_frame(depth, ret);
		uint64_t next = frame[0];
		/* Stacks grow down: callers' frames are at higher addresses. */
		if (next <= rbp)
			return;
		rbp = next;
	}
	printk("  ... (more frames)\n");
}
