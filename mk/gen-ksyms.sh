#!/bin/sh
# gen-ksyms.sh: turn `nm -n --defined-only kernel.elf` (on stdin) into an
# assembly file holding the kernel's text-symbol table, which the kernel links
# in to symbolise RIPs and backtraces (kernel/ksyms.h reads it).
#
# Layout, in section .ksyms:
#   ksyms_count   .quad  number of symbols
#   ksyms_addrs   .quad  address of each symbol, ascending
#   ksyms_offsets .long  offset of each name in ksyms_names
#   ksyms_names   the names, NUL-terminated, back to back
# Empty stdin gives an empty table (link pass 1).
awk '
BEGIN { n = 0 }
$2 ~ /^[tT]$/ { addr[n] = $1; name[n] = $3; n++ }
END {
	print "\t.section .ksyms, \"a\""
	print "\t.balign 8"
	print "\t.globl ksyms_count, ksyms_addrs, ksyms_offsets, ksyms_names"
	print "ksyms_count:\n\t.quad " n
	print "ksyms_addrs:"
	for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
	print "ksyms_offsets:"
	off = 0
	for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
	print "ksyms_names:"
	for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
	print "\t.section .note.GNU-stack, \"\", @progbits"
}'
