#!/usr/bin/python3
"""tools/makehelp.py: what `make help` prints.

Targets: the core ones below, then every `#   make <target> ...` line in the
header comment of each mk/*.mk fragment (so an area documents its targets
where it defines them, and they show up here without an edit). Labs: one
`make lab-<name>` per labs/<name>/ folder, titled by its README's first
heading. Bug flags: read from kernel/bugs.def, the one list of them.
"""

import glob
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CORE = [
    ("all", "build build/kernel.elf, build/kernel32.elf and the host tools (the default)"),
    ("run", "boot once, scripted and deterministic: OUT/console.log, OUT/status, OUT/trace.raw"),
    ("qemu", "boot in QEMU with the console on this terminal (Ctrl-A X quits)"),
    ("bochs", "boot in Bochs (real VMX) with the console on this terminal (Ctrl-] quits)"),
    ("gdb", "QEMU paused before the first instruction, GDB attached (per-user port)"),
    ("iso", "build/tkern.iso: GRUB boot ISO carrying CMDLINE"),
    ("test", "every test (pytest); ends with pytest's summary line"),
    ("bench", "every benchmark figure, one per line: name: value unit"),
    ("setup", "install every dependency with apt (tools/setup.sh)"),
    ("clean", "remove build/"),
    ("help", "this text"),
]

VARIABLES = [
    ("EMU", "qemu", "emulator: qemu (TCG, emulated VMX), bochs (hardware VMX), kvm (QEMU on KVM, not deterministic)"),
    ("CPUS", "1", "number of CPUs (1..8)"),
    ("CMDLINE", "", "kernel command line, e.g. 'ktest=all' or 'fault=ud2'"),
    ("BUGS", "", "bug flags to turn on (comma or space separated; adds bugs=... to the command line)"),
    ("OUT", "out/run", "output folder of make run"),
    ("TIMEOUT", "300 qemu, 900 bochs", "seconds before a run counts as a hang"),
    ("KEEP_RAM", "", "1: keep OUT/ram.bin (guest RAM image) after a QEMU run"),
    ("GDB_PORT", "20000 + uid % 20000", "gdbstub port of make gdb"),
    ("TESTS", "tests", "what make test collects"),
    ("PYTEST_ARGS", "", "extra pytest arguments, e.g. -m bochs, -m 'not bochs', -k ktest"),
]

MINE = {"iso.mk", "run.mk", "test.mk"}


def area_targets():
    seen = {name for name, _ in CORE}
    rows = []
    for path in sorted(glob.glob(os.path.join(ROOT, "mk", "*.mk"))):
        if os.path.basename(path) in MINE:
            continue
        with open(path) as f:
            for line in f:
                m = re.match(r"#\s+make\s+(\S+)\s*(.*)$", line)
                if m and m.group(1) not in seen:
                    seen.add(m.group(1))
                    rows.append((m.group(1), m.group(2).strip(), os.path.basename(path)))
    return rows


def bug_flags():
    path = os.path.join(ROOT, "kernel", "bugs.def")
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    flags = []
    for m in re.finditer(r'BUG\(\s*(\w+)\s*,\s*(\w+)\s*,\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)', text):
        desc = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(3)))
        flags.append((m.group(2), desc))
    return flags


def labs():
    rows = []
    for d in sorted(glob.glob(os.path.join(ROOT, "labs", "*", ""))):
        name = os.path.basename(os.path.dirname(d))
        title = ""
        readme = os.path.join(d, "README.md")
        if os.path.isfile(readme):
            with open(readme) as f:
                for line in f:
                    if line.startswith("#"):
                        title = line.lstrip("#").strip()
                        break
        rows.append((f"lab-{name.replace('_', '-')}", title))
    return rows


def make_has_target(target):
    """True if the Makefile defines `target` (make -q returns 2 only on
    'no rule')."""
    p = subprocess.run(["make", "-C", ROOT, "-n", "-q", target],
                       capture_output=True, text=True)
    return "No rule to make target" not in p.stderr


def main():
    w = 20
    print("tkern: make [TARGET] [VARIABLE=value ...]\n")
    print("Targets:")
    for name, desc in CORE:
        print(f"  {name:<{w}} {desc}")
    extra = area_targets()
    if extra:
        print("\nMore targets (from mk/*.mk):")
        for name, desc, src in extra:
            print(f"  {name:<{w}} {desc}")
    lab_rows = labs()
    print("\nLabs:")
    if lab_rows:
        for target, title in lab_rows:
            note = "" if make_has_target(target) else "  (no make rule yet)"
            print(f"  {target:<{w}} {title}{note}")
    else:
        print("  none yet (labs/<name>/ gives make lab-<name>)")
    print("\nVariables:")
    for name, dflt, desc in VARIABLES:
        d = f" [{dflt}]" if dflt else ""
        print(f"  {name:<{w}} {desc}{d}")
    flags = bug_flags()
    print("\nBug flags (BUGS=name,... or CMDLINE='bugs=name,...'; kernel/bugs.def):")
    if not flags:
        print("  none yet")
    else:
        for name, desc in flags:
            print(f"  {name:<{w}} {desc}")
    print("\nExamples:")
    print("  make run EMU=qemu CPUS=2 CMDLINE='ktest=all' OUT=out/kt && cat out/kt/status")
    print("  make test PYTEST_ARGS='-m \"not bochs\"'")


if __name__ == "__main__":
    main()
