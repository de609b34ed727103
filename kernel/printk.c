/*
 * printk.c: the kernel's formatted console output, and panic().
 *
 * One formatting engine (vsnprintf) serves printk and snprintf. printk
 * formats into a buffer on the stack first and then writes the whole buffer
 * under a console lock, so one call is one uninterrupted piece of output
 * even with several CPUs: deterministic runs depend on that.
 */
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/exit.h"
#include "kernel/ksyms.h"
#include "kernel/arch/x86_64/arch.h"
#include "kernel/arch/x86_64/serial.h"
#include "trace/trace.h"
#include <stdint.h>
#include <stdbool.h>

/* ---- The formatting engine. ---- */

/* Output cursor: writes past the end are counted but dropped, so the return
 * value is the untruncated length, as C's snprintf. */
struct fmt_out {
	char *buf;
	size_t size;
	size_t len;
};

static void out_char(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct fmt_out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

/* Print an unsigned value in base 10 or 16, with the sign already decided
 * by the caller, honouring width, '0' and '-'. */
static void out_number(struct fmt_out *o, uint64_t v, int base, bool upper,
		       bool negative, int width, bool zero_pad, bool left)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);

	int len = n + (negative ? 1 : 0);
	if (!left && !zero_pad)
		out_pad(o, ' ', width - len);
	if (negative)
		out_char(o, '-');
	if (!left && zero_pad)
		out_pad(o, '0', width - len);
	while (n)
		out_char(o, tmp[--n]);
	if (left)
		out_pad(o, ' ', width - len);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = { buf, size, 0 };

	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			out_char(&o, *p);
			continue;
		}
		p++;

		bool zero_pad = false, left = false;
		for (;; p++) {
			if (*p == '0')
				zero_pad = true;
			else if (*p == '-')
				left = true;
			else
				break;
		}
		int width = 0;
		if (*p == '*') {
			width = va_arg(ap, int);
			p++;
		} else {
			while (*p >= '0' && *p <= '9')
				width = width * 10 + (*p++ - '0');
		}
		/* l, ll and z all mean 64 bits on x86-64; none means int. */
		bool lng = false;
		while (*p == 'l' || *p == 'z') {
			lng = true;
			p++;
		}

		switch (*p) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			bool neg = v < 0;
			/* Negate in unsigned arithmetic: INT64_MIN has no positive twin. */
			uint64_t mag = neg ? -(uint64_t)v : (uint64_t)v;
			out_number(&o, mag, 10, false, neg, width, zero_pad, left);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
			out_number(&o, v, *p == 'u' ? 10 : 16, *p == 'X', false,
				   width, zero_pad, left);
			break;
		}
		case 'p': {
			uint64_t v = (uintptr_t)va_arg(ap, void *);
			out_char(&o, '0');
			out_char(&o, 'x');
			out_number(&o, v, 16, false, false, 16, true, false);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			int len = (int)strlen(s);
			if (!left)
				out_pad(&o, ' ', width - len);
			while (*s)
				out_char(&o, *s++);
			if (left)
				out_pad(&o, ' ', width - len);
			break;
		}
		case 'c':
			if (!left)
				out_pad(&o, ' ', width - 1);
			out_char(&o, (char)va_arg(ap, int));
			if (left)
				out_pad(&o, ' ', width - 1);
			break;
		case '%':
			out_char(&o, '%');
			break;
		case '\0':
			/* A lone '%' at the end: print it, stop. */
			out_char(&o, '%');
			p--;
			break;
		default:
			/* Unknown conversion: show it verbatim so the bug is visible. */
			out_char(&o, '%');
			out_char(&o, *p);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* ---- The console. ---- */

volatile int printk_panicking;

/* A plain test-and-set lock rather than kernel/spinlock.h: printk must work
 * before per-CPU state exists and from inside the spinlock code's own
 * panics. Interrupts are off while it is held, so an interrupt handler's
 * printk cannot deadlock against the code it interrupted. */
static volatile int console_lock;

static void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* Terminals want CR LF; logs read fine either way. */
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

void vprintk(const char *fmt, va_list ap)
{
	char buf[PRINTK_MAX];
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;

	uint64_t flags = irq_save();
	bool locked = false;
	while (!printk_panicking) {
		if (!__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE)) {
			locked = true;
			break;
		}
		cpu_pause();
	}
	console_write(buf, len);
	if ((size_t)n >= sizeof buf)
		console_write("[...]\n", 6);
	if (locked)
		__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
	irq_restore(flags);
}

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

/* ---- Panic. ---- */

/* Which CPU is panicking, by its initial APIC ID (CPUID.1:EBX[31:24]):
 * known without per-CPU state, so this works at any point of boot. */
static volatile int panic_cpu = -1;

int panic_begin(void)
{
	cli();
	int me = (int)cpu_initial_apic_id();
	int none = -1;
	if (__atomic_compare_exchange_n(&panic_cpu, &none, me, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		printk_panicking = 1;
		return 1;
	}
	if (panic_cpu == me) {
		/* A fault inside our own report: the report cannot finish, so
		 * leave now with what got out, without the steps (stopping the
		 * other CPUs) that may be what faulted. */
		printk("PANIC: fault while panicking; exiting\n");
		machine_exit(EXIT_PANIC);
	}
	/* Another CPU is reporting and will exit the machine. */
	return 0;
}

void panic_finish(void)
{
	/* The other cores halt before the exit, so nothing they print or
	 * trace lands after the report. */
	smp_stop_others();
	machine_exit(EXIT_PANIC);
}

void panic(const char *fmt, ...)
{
	if (!panic_begin())
		halt_forever();
	trace_panic(__builtin_return_address(0));

	char msg[PRINTK_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	printk("PANIC: %s\n", msg);
	backtrace_print(0, 0, (uint64_t)__builtin_frame_address(0));
	panic_finish();
}
