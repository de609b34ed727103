#!/bin/sh
# tools/mkiso.sh KERNEL ISO [CMDLINE]: a GRUB (multiboot2) boot ISO for KERNEL.
#
# The kernel command line is written into grub.cfg, so one ISO carries one
# command line (the scripted runner makes its own ISO per run for Bochs).
# GRUB waits for nothing (timeout=0) and prints nothing on the serial port:
# COM1 belongs to the kernel, so console.log holds only the kernel's output.
set -eu
if [ $# -lt 2 ]; then
	echo "usage: tools/mkiso.sh KERNEL ISO [CMDLINE]" >&2
	exit 2
fi
kernel=$1 iso=$2 cmdline=${3:-}
[ -f "$kernel" ] || { echo "mkiso.sh: no kernel at $kernel (run make)" >&2; exit 1; }
command -v grub-mkrescue >/dev/null 2>&1 && command -v xorriso >/dev/null 2>&1 || {
	echo "mkiso.sh: grub-mkrescue/xorriso missing: run tools/setup.sh iso" >&2; exit 1; }
[ -d /usr/lib/grub/i386-pc ] || {
	echo "mkiso.sh: GRUB's i386-pc modules missing (package grub-pc-bin): run tools/setup.sh iso" >&2; exit 1; }
case "$cmdline" in *'"'*|*'\'*|*'$'*)
	echo "mkiso.sh: the command line may not hold \" \\ or \$ (GRUB quoting): $cmdline" >&2; exit 1 ;;
esac

stage=$(mktemp -d "${TMPDIR:-/tmp}/tkern-iso.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"
cp "$kernel" "$stage/boot/tkern.elf"
cat > "$stage/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
menuentry "tkern" {
	multiboot2 /boot/tkern.elf $cmdline
	boot
}
CFG
mkdir -p "$(dirname "$iso")"
# Only the BIOS (i386-pc) image: both emulators boot it, and it is smaller.
if ! grub-mkrescue -d /usr/lib/grub/i386-pc -o "$iso.tmp" "$stage" >"$stage.log" 2>&1; then
	cat "$stage.log" >&2; rm -f "$stage.log" "$iso.tmp"
	echo "mkiso.sh: grub-mkrescue failed" >&2; exit 1
fi
rm -f "$stage.log"
mv "$iso.tmp" "$iso"
