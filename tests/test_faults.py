"""Kernel fault reports and boot basics, through the scripted runner.

  - fault=ud2|gp|pf|null|df provokes that exception in kernel mode after
    boot (kernel/fault_test.c). The panic report must name the exception,
    symbolise RIP to the function that faulted, give CR2 and the error code
    where the CPU has them, walk the frame pointers back to kmain, and end
    the run with status `panic`.
  - Every symbolised address in the report is checked against `nm` of the
    ELF: name + offset must equal the printed address, so the kernel's
    embedded symbol table (two-pass link) cannot drift from the image.
  - The same kernel boots from GRUB (multiboot2) on Bochs and from QEMU
    -kernel (multiboot1), and the command line arrives without QEMU's
    leading kernel path; undeclared options are reported.

Needs build/kernel.elf and build/kernel32.elf (`make`); TKERN_KERNEL names
another ELF64 kernel (its kernel32.elf beside it).
"""

import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL = os.environ.get("TKERN_KERNEL", os.path.join(ROOT, "build", "kernel.elf"))
PYTHON = "/usr/bin/python3"

# "ffffffff80101234 <name+0x12>" as printed by ksym_format / backtrace_print.
SYM_RE = re.compile(r"([0-9a-f]{16}) <([A-Za-z0-9_.$]+)\+0x([0-9a-f]+)>")


def boot(tmp_path, emu, cmdline, cpus=1):
    out = tmp_path / f"{emu}-{cpus}"
    cmd = [PYTHON, os.path.join(ROOT, "tools", "run.py"), "--emu", emu,
           "--cpus", str(cpus), "--cmdline", cmdline, "--out", str(out),
           "--kernel", KERNEL, "-q"]
    subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    status = (out / "status").read_text().strip()
    console = (out / "console.log").read_text(errors="replace").replace("\r\n", "\n")
    return status, console


_nm_cache = {}


def text_symbols():
    """name -> address of every text symbol in the kernel ELF."""
    if KERNEL not in _nm_cache:
        nm = subprocess.run(["nm", "--defined-only", KERNEL], capture_output=True,
                            text=True, check=True).stdout
        syms = {}
        for line in nm.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tT":
                syms.setdefault(parts[2], int(parts[0], 16))
        _nm_cache[KERNEL] = syms
    return _nm_cache[KERNEL]


def check_symbolised(text):
    """Every '<addr> <name+0xoff>' in text agrees with nm; returns the names."""
    syms = text_symbols()
    names = []
    for addr, name, off in SYM_RE.findall(text):
        assert name in syms, f"{name} is not a text symbol of {KERNEL}"
        assert syms[name] + int(off, 16) == int(addr, 16), \
            f"{addr} printed as {name}+0x{off}, but nm puts {name} at {syms[name]:x}"
        names.append(name)
    return names


def panic_report(console):
    start = console.find("PANIC: ")
    assert start >= 0, console
    return console[start:]


@pytest.mark.parametrize("fault,title,func,detail", [
    ("ud2", "Invalid Opcode (vector 6)", "fault_test_ud2", None),
    ("gp", "General Protection (vector 13)", "fault_test_gp", r"error 0\n"),
    ("pf", "Page Fault (vector 14)", "fault_test_pf",
     r"error 0 \(not-present page on read, kernel mode\)  CR2 ffff900000000000"),
    ("null", "Page Fault (vector 14)", "fault_test_null",
     r"error 0 \(not-present page on read, kernel mode\)  CR2 0000000000000000"),
    ("df", "Double Fault (vector 8)", "fault_test_df", r"CR2 ffff900000000ff8"),
])
def test_fault_report_qemu(tmp_path, fault, title, func, detail):
    status, console = boot(tmp_path, "qemu", f"fault={fault}")
    assert status == "panic", console
    report = panic_report(console)
    assert report.startswith(f"PANIC: {title} in kernel mode"), report
    rip = re.search(r"^  RIP (.*)$", report, re.M)
    assert rip, report
    assert check_symbolised(rip.group(1)) == [func], report
    if detail:
        assert re.search(detail, report), report
    for reg in ("RAX", "RSP", "R15", "RFLAGS", "CR3"):
        assert re.search(rf"\b{reg}\s+[0-9a-f]{{4,16}}\b", report), (reg, report)

    trace = report[report.index("Backtrace:"):]
    frames = check_symbolised(trace)
    assert frames[0] == func, trace
    # A frameless leaf still shows its caller (ksyms.c reads it off the
    # stack); the double fault runs on a bad stack, so it may not.
    if fault != "df":
        assert frames[1] == "fault_test_provoke", trace
    assert "fault_test_run" in frames and "kmain" in frames, trace
    assert console.rstrip().endswith("TKERN-EXIT: panic"), console


def test_fault_report_is_deterministic(tmp_path):
    first = boot(tmp_path / "a", "qemu", "fault=pf", cpus=2)
    second = boot(tmp_path / "b", "qemu", "fault=pf", cpus=2)
    assert first[0] == second[0] == "panic"
    assert first[1] == second[1]


def test_fault_report_bochs_grub(tmp_path):
    # Bochs boots the ELF64 kernel through GRUB, so this is also the
    # multiboot2 path: its own GDT, command line from the mb2 tag.
    status, console = boot(tmp_path, "bochs", "fault=ud2")
    assert re.search(r"^tkern: booting \(loader 'GRUB", console, re.M), console
    assert re.search(r"^tkern: cmdline 'fault=ud2'$", console, re.M), console
    assert status == "panic", console
    report = panic_report(console)
    assert report.startswith("PANIC: Invalid Opcode (vector 6) in kernel mode"), report
    assert check_symbolised(re.search(r"^  RIP (.*)$", report, re.M).group(1)) == ["fault_test_ud2"]


def test_cmdline_and_unknown_options(tmp_path):
    status, console = boot(tmp_path, "qemu", "fault=bogus no_such_opt=3 alsonot")
    assert re.search(r"^tkern: booting \(loader 'qemu'\)$", console, re.M), console
    # QEMU passes "<kernel path> <args>"; the kernel drops the path.
    assert re.search(r"^tkern: cmdline 'fault=bogus no_such_opt=3 alsonot'$", console, re.M), console
    assert re.search(r"^cmdline: unknown option 'no_such_opt'$", console, re.M), console
    assert re.search(r"^cmdline: unknown option 'alsonot'$", console, re.M), console
    assert "unknown option 'fault'" not in console, console
    # An unknown fault name is a panic through panic(), with a backtrace.
    assert status == "panic", console
    report = panic_report(console)
    assert report.startswith("PANIC: fault_test: unknown fault 'bogus'"), report
    assert "kmain" in check_symbolised(report[report.index("Backtrace:"):]), report
