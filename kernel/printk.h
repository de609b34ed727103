/*
 * printk.h: formatted output to the console (COM1), snprintf, panic.
 *
 * Conversions: %d %i %u %x %X %p %s %c %%, with length modifiers l, ll, z
 * (so %lx %lu %ld %llx %zu), a field width, the '0' flag (zero padding) and
 * the '-' flag (left-justify). %p prints 0x and 16 hex digits.
 */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <stdarg.h>
#include <stddef.h>

#define __printf(a, b) __attribute__((format(printf, a, b)))

/* Each call reaches the console as one unit: lines of different CPUs do not
 * interleave inside a call (up to PRINTK_MAX bytes per call). */
#define PRINTK_MAX 512

void printk(const char *fmt, ...) __printf(1, 2);
void vprintk(const char *fmt, va_list ap);

/* Like C's: return the length the full output would have had. */
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Print "PANIC: <message>" with a backtrace, stop the other CPUs and leave
 * the emulator with the panic status (kernel/exit.h). */
__attribute__((noreturn)) void panic(const char *fmt, ...) __printf(1, 2);

/* Set once a panic (or a fatal trap report) has begun; printk then stops
 * waiting for the console lock, so the report gets out even if the
 * panicking CPU or a stopped one held it. */
extern volatile int printk_panicking;

/* Start a panic on this CPU (interrupts off): returns nonzero if this is
 * the first panic; zero if another CPU is already panicking (the caller
 * should then halt quietly: that CPU stops this one and exits). A fault
 * inside this CPU's own report does not return: it exits at once. Used by
 * panic() and by the fatal-trap report in trap.c. */
int panic_begin(void);
/* Finish a panic: stop the other CPUs, print the exit marker, leave. */
__attribute__((noreturn)) void panic_finish(void);

#endif
