"""Kernel fault reports and boot basics, through the scripted runner.

  - fault=ud2|gp|pf|null|df provokes that exception in kernel mode after
    boot (kernel/fault_test.c). The panic report must name the exception,
    symbolise RIP to the function that faulted, give CR2 and the error code
    where the CPU has them, walk the frame pointers back to kmain, and end
    the run with status `panic`.
  - Every symbolised address in the report, backtrace included, is checked
    against `nm` of the ELF: name + offset must equal the printed address,
    so the kernel's embedded symbol table (two-pass link) cannot drift
    from the image. (test_boot.py covers the basic ud2 case and
    determinism; this file covers every fault kind and the whole report.)
  - The same kernel boots from GRUB (multiboot2) on Bochs and from QEMU
    -kernel (multiboot1), and the command line arrives without QEMU's
    leading kernel path; undeclared options are reported.

Boots go through conftest's tkern_boot (tools/run.py, as `make run`).
"""

import re

import pytest

from conftest import KERNEL, kernel_symbols

# "ffffffff80101234 <name+0x12>" as printed by ksym_format / backtrace_print.
SYM_RE = re.compile(r"([0-9a-f]{16}) <([A-Za-z0-9_.$]+)\+0x([0-9a-f]+)>")


def check_symbolised(text):
    """Every '<addr> <name+0xoff>' in text agrees with nm; returns the names."""
    syms = kernel_symbols()
    names = []
    for addr, name, off in SYM_RE.findall(text):
        assert name in syms, f"{name} is not a symbol of {KERNEL}"
        start, size = syms[name]
        assert start + int(off, 16) == int(addr, 16), \
            f"{addr} printed as {name}+0x{off}, but nm puts {name} at {start:x}"
        # A return address may sit just past a noreturn call at the very
        # end of its function: the offset may equal the size, not exceed it.
        if size:
            assert int(off, 16) <= size, f"{name}+0x{off} is past its end ({size:#x})"
        names.append(name)
    return names


def panic_report(console):
    start = console.find("PANIC: ")
    assert start >= 0, console
    return console[start:]


@pytest.mark.qemu
@pytest.mark.parametrize("fault,title,func,detail", [
    ("ud2", "Invalid Opcode (vector 6)", "fault_test_ud2", None),
    ("gp", "General Protection (vector 13)", "fault_test_gp", r"error 0\n"),
    ("pf", "Page Fault (vector 14)", "fault_test_pf",
     r"error 0 \(not-present page on read, kernel mode\)  CR2 ffff900000000000"),
    ("null", "Page Fault (vector 14)", "fault_test_null",
     r"error 0 \(not-present page on read, kernel mode\)  CR2 0000000000000000"),
    ("df", "Double Fault (vector 8)", "fault_test_df", r"CR2 ffff900000000ff8"),
])
def test_fault_report_qemu(tkern_boot, fault, title, func, detail):
    b = tkern_boot("qemu", 1, f"fault={fault}")
    status, console = b.status, b.console
    assert status == "panic", repr(b)
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


@pytest.mark.bochs
def test_fault_report_bochs_grub(tkern_boot):
    # Bochs boots the ELF64 kernel through GRUB, so this is also the
    # multiboot2 path: its own GDT, command line from the mb2 tag.
    b = tkern_boot("bochs", 1, "fault=ud2")
    status, console = b.status, b.console
    assert re.search(r"^tkern: booting \(loader 'GRUB", console, re.M), console
    assert re.search(r"^tkern: cmdline 'fault=ud2'$", console, re.M), console
    assert status == "panic", console
    report = panic_report(console)
    assert report.startswith("PANIC: Invalid Opcode (vector 6) in kernel mode"), report
    assert check_symbolised(re.search(r"^  RIP (.*)$", report, re.M).group(1)) == ["fault_test_ud2"]


@pytest.mark.qemu
def test_cmdline_and_unknown_options(tkern_boot):
    b = tkern_boot("qemu", 1, "fault=bogus no_such_opt=3 alsonot")
    status, console = b.status, b.console
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
