#!/bin/sh
# tools/setup.sh: install what tkern needs, from Debian/Ubuntu's apt.
#
#   tools/setup.sh                 install every missing package (all groups)
#   tools/setup.sh GROUP...        install the missing packages of these groups
#   tools/setup.sh --check GROUP...  only check; exit 1 naming what is missing
#   tools/setup.sh --list [GROUP...] print the packages, one a line
#
# Groups: build qemu bochs iso gdb proto elf plot test (or: all).
# Fast when everything is there: one dpkg-query, no apt. Installs with
# apt-get (one `apt-get update`, non-interactive) as root, or through sudo
# when it works without a password prompt. Anywhere else it prints the exact
# packages to install and exits non-zero. Make targets call it with the
# group they need, so a missing tool is named before anything runs.
set -eu

pkgs_of() {
	case "$1" in
	build) echo "gcc make binutils pkg-config" ;;
	qemu)  echo "qemu-system-x86" ;;
	bochs) echo "bochs bochsbios vgabios bochs-term" ;;
	iso)   echo "grub-pc-bin grub-common xorriso mtools" ;;
	gdb)   echo "gdb" ;;
	proto) echo "protobuf-c-compiler libprotobuf-c-dev protobuf-compiler python3-protobuf" ;;
	elf)   echo "libelf-dev libdw-dev elfutils" ;;
	plot)  echo "python3-matplotlib" ;;
	test)  echo "python3-pytest python3-pytest-xdist" ;;
	*)     echo "setup.sh: unknown group '$1' (groups: $ALL_GROUPS)" >&2; exit 2 ;;
	esac
}
ALL_GROUPS="build qemu bochs iso gdb proto elf plot test"

mode=install
case "${1:-}" in
--check) mode=check; shift ;;
--list)  mode=list; shift ;;
-h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

groups="$*"
if [ -z "$groups" ] || [ "$groups" = all ]; then groups=$ALL_GROUPS; fi
wanted=""
for g in $groups; do wanted="$wanted $(pkgs_of "$g")"; done
wanted=$(echo $wanted | tr ' ' '\n' | sort -u | tr '\n' ' ')

if [ $mode = list ]; then
	echo $wanted | tr ' ' '\n'
	exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "setup.sh: this is not a Debian/Ubuntu system (no dpkg-query)." >&2
	echo "setup.sh: install the equivalents of: $wanted" >&2
	exit 1
fi

missing=""
for p in $wanted; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
missing=$(echo $missing)
[ -z "$missing" ] && exit 0

if [ $mode = check ]; then
	echo "setup.sh: missing packages: $missing" >&2
	echo "setup.sh: run 'tools/setup.sh' (as root), or: apt-get install $missing" >&2
	exit 1
fi

if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	SUDO="sudo -n"
else
	echo "setup.sh: missing packages: $missing" >&2
	echo "setup.sh: not root and no password-less sudo; as root run:" >&2
	echo "    apt-get update && apt-get install -y $missing" >&2
	exit 1
fi

echo "setup.sh: installing: $missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing

still=""
for p in $missing; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || still="$still $p"
done
if [ -n "$still" ]; then
	echo "setup.sh: these did not install:$still" >&2
	exit 1
fi
echo "setup.sh: done"
