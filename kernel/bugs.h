/*
 * bugs.h: bug-injection flags (see kernel/bugs.def).
 *
 * bug_on(BUG_X) is true when `bugs=...,x,...` was on the command line. It is
 * read at the single place where the bug is put back, e.g.
 *     if (bug_on(BUG_ABANDON_CORE)) vmx_clear_vmcs();
 */
#ifndef KERNEL_BUGS_H
#define KERNEL_BUGS_H

#include <stdbool.h>
#include <stdint.h>

enum bug_flag {
#define BUG(NAME, name, desc) BUG_##NAME,
#include "kernel/bugs.def"
#undef BUG
	NR_BUG_FLAGS
};

/* Set once at boot by bugs_init() and never changed, so no lock. */
extern uint64_t bug_flags_set;

static inline bool bug_on(enum bug_flag f)
{
	return (bug_flags_set >> f) & 1;
}

/* Parse `bugs=a,b` from the command line; an unknown name panics (a lab
 * run with a misspelt flag would silently test the fixed kernel). */
void bugs_init(void);
/* Print the flags in effect, one line, for the boot banner. */
void bugs_print_banner(void);
/* Name and description of a flag, for the banner and the shell's help. */
const char *bug_name(enum bug_flag f);
const char *bug_description(enum bug_flag f);

#endif
