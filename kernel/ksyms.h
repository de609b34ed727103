/*
 * ksyms.h: the kernel's own text-symbol table (generated at build time by
 * mk/gen-ksyms.sh from a first link pass) and frame-pointer backtraces.
 */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <stdint.h>
#include <stddef.h>

/* The function containing addr: its name and addr's offset into it, or
 * NULL when addr is outside kernel text. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

/* Format "ffffffff80101234 <name+0x12>" (or just the address) into buf. */
void ksym_format(char *buf, size_t size, uint64_t addr);

/* Print "Backtrace:", then rip as frame #0 (if nonzero: the faulting
 * instruction of a trap, with rsp its stack pointer, so that a function
 * without a frame of its own still shows its caller), then the chain of
 * return addresses starting at frame pointer rbp, one symbolised line
 * each. Walks only frames inside kernel memory, so a corrupt chain ends
 * the trace instead of faulting. */
void backtrace_print(uint64_t rip, uint64_t rsp, uint64_t rbp);

#endif
