"""SMP bring-up and panic stop tests, through the scripted runner.

  - Every CPU comes online, in core-id order, and the boot CPU's summary
    line counts them (QEMU -smp 1, 2, 4, 8; Bochs 1 and 2).
  - A panic stops the other cores before the machine exits: by the stop IPI
    when they take interrupts (smp_panic_test=ap: an AP panics inside an
    IPI handler), by NMI when they spin with interrupts off
    (smp_panic_test=irqs_off). The panicking core prints how many it
    stopped and how many needed the NMI.

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


def boot(tmp_path, emu, cpus, cmdline):
    out = tmp_path / f"{emu}-{cpus}"
    cmd = [PYTHON, os.path.join(ROOT, "tools", "run.py"), "--emu", emu,
           "--cpus", str(cpus), "--cmdline", cmdline, "--out", str(out),
           "--kernel", KERNEL, "-q"]
    subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    status = (out / "status").read_text().strip()
    console = (out / "console.log").read_text(errors="replace")
    return status, console


def online_lines(console):
    return [int(m) for m in re.findall(r"^CPU (\d+) online\r?$", console, re.M)]


@pytest.mark.parametrize("emu,cpus", [("qemu", 1), ("qemu", 2), ("qemu", 4), ("qemu", 8),
                                      ("bochs", 1), ("bochs", 2)])
def test_all_cpus_online_in_order(tmp_path, emu, cpus):
    # ktest=smp identity test keeps the run short and proves each core
    # answers an IPI with its own per-CPU block.
    status, console = boot(tmp_path, emu, cpus, "ktest=percpu_identity_on_every_core")
    assert online_lines(console) == list(range(cpus)), console
    assert re.search(rf"^CPUs online: {cpus}\r?$", console, re.M), console
    assert "KTEST PASS percpu_identity_on_every_core" in console, console
    assert status == "success", console


@pytest.mark.parametrize("emu,cpus,mode,by_nmi", [
    ("qemu", 4, "ap", 0),
    ("qemu", 4, "irqs_off", 3),
    ("bochs", 2, "irqs_off", 1),
])
def test_panic_stops_other_cores(tmp_path, emu, cpus, mode, by_nmi):
    status, console = boot(tmp_path, emu, cpus, f"smp_panic_test={mode}")
    assert status == "panic", console
    if mode == "ap":
        assert f"PANIC: smp_panic_test: core {cpus - 1} panics" in console, console
    else:
        assert "PANIC: smp_panic_test: core 0 panics" in console, console
    assert f"smp: stopped {cpus - 1} other cores ({by_nmi} by NMI)" in console, console
    assert "did not stop" not in console, console
    # The stop report comes after the panic report and before the marker.
    assert console.index("PANIC:") < console.index("smp: stopped") < console.index("TKERN-EXIT: panic")
