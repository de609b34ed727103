/*
 * kaddr2line: kernel addresses to "function+0xoff (file:line)" with
 * elfutils' libdwfl, reading build/kernel.elf (symbols and DWARF lines).
 *
 * Call sites in the trace are return addresses (__builtin_return_address(0)),
 * which point just after the call instruction; the line is looked up at
 * addr - 1 so that it names the line of the call, while function+offset is
 * given for the address itself, as a backtrace would.
 */
#ifndef TOOLS_KADDR2LINE_H
#define TOOLS_KADDR2LINE_H

#include <stdint.h>

struct kaddr2line;

/* Opens an ELF file; NULL (and a message on stderr) if it cannot be read. */
struct kaddr2line *kaddr2line_open(const char *elf_path);
void kaddr2line_close(struct kaddr2line *k);

/*
 * The text for addr, cached and owned by k: "proc_decref+0x1c (kernel/proc.c:88)",
 * "proc_decref+0x1c" without line info, or "0xffffffff80101234" if no symbol
 * covers it. k may be NULL: then always the hex form.
 */
const char *kaddr2line_lookup(struct kaddr2line *k, uint64_t addr);

/* Only the function name ("proc_decref"), or NULL if unknown. */
const char *kaddr2line_func(struct kaddr2line *k, uint64_t addr);

#endif
