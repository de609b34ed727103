/*
 * cmdline.h: the kernel command line, parsed into named options.
 *
 * The line is words separated by spaces; a word is `key=value` or a bare
 * `key`. Every option a layer reads is declared once, next to the code that
 * reads it, with CMDLINE_OPTION(name, "what it does"); at boot any word whose
 * name nobody declared is reported, so a typo does not pass silently.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called once from kmain with the boot loader's magic and info pointer
 * (physical); understands multiboot1 (QEMU -kernel) and multiboot2 (GRUB). */
void cmdline_init(uint32_t magic, uint64_t mbi_phys);

/* The whole line as given (without QEMU's leading kernel path). */
const char *cmdline_raw(void);
/* The boot loader's name ("qemu", "GRUB 2.06...") or "" if it gave none. */
const char *cmdline_loader(void);

/* For key=value: copy value into buf (NUL-terminated, truncated to n-1)
 * and return true; false if the key is absent. A bare `key` gives "". */
bool cmdline_get(const char *key, char *buf, size_t n);
/* True if the line holds `key` bare or as key=... */
bool cmdline_has(const char *key);
/* key=N (decimal, or hex with 0x): N; dflt if absent or not a number. */
uint64_t cmdline_u64(const char *key, uint64_t dflt);

/* Print one line per word of the command line whose name no
 * CMDLINE_OPTION declares. Returns how many there were. */
int cmdline_report_unknown(void);

struct cmdline_option {
	const char *name;
	const char *help;
};

#define CMDLINE_CONCAT2(a, b) a##b
#define CMDLINE_CONCAT(a, b) CMDLINE_CONCAT2(a, b)
/* Declare an option name (at file scope). The linker gathers these into one
 * table (section .cmdline_opts, kernel.ld). */
#define CMDLINE_OPTION(optname, helptext)                                     \
	static const struct cmdline_option CMDLINE_CONCAT(cmdline_opt_, __LINE__) \
	__attribute__((used, section(".cmdline_opts"), aligned(8))) = {       \
		.name = (optname), .help = (helptext) }

/* The declared options, for listing them (e.g. a `help` command). */
extern const struct cmdline_option __cmdline_opts_start[], __cmdline_opts_end[];

#endif
