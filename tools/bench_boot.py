#!/usr/bin/python3
"""tools/bench_boot.py: boot and lab time figures for `make bench` (name: value unit).

Wall-clock and host-CPU seconds of one scripted boot to the exit marker (ktest=none, no
lab): QEMU with 1 and 4 CPUs (TCG, -icount), Bochs with 1 and 2 CPUs, and
KVM with 1 and 4 CPUs where KVM can start a VM (otherwise one line says
why not). Then each lab's wall time on QEMU, and on KVM likewise. A
benchmark, not a test: it never fails on a slow machine, only on a boot
that does not succeed.
"""

import os
import resource
import subprocess
import sys
import tempfile
import time

import run as run_py  # tools/run.py, beside this script: its KVM probe

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = [("qemu", 1), ("qemu", 4), ("bochs", 1), ("bochs", 2), ("kvm", 1), ("kvm", 4)]


def main():
    bad = 0
    no_kvm = run_py.kvm_unusable()
    if no_kvm:
        print(f"boot.kvm: skipped ({no_kvm})")
    with tempfile.TemporaryDirectory(prefix="tkern-bench-") as tmp:
        for emu, cpus in CASES:
            if emu == "kvm" and no_kvm:
                continue
            out = os.path.join(tmp, f"{emu}{cpus}")
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "run.py"),
                                "--emu", emu, "--cpus", str(cpus), "--out", out, "-q"],
                               capture_output=True, text=True)
            dt = time.monotonic() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
            if p.returncode != 0:
                print(f"boot.{emu}.cpus{cpus}: failed ({p.stderr.strip()})", file=sys.stderr)
                bad += 1
                continue
            print(f"boot.{emu}.cpus{cpus}.wall: {dt:.2f} s")
            # Host CPU time of the runner and the emulator: steadier than
            # wall time on a shared machine.
            print(f"boot.{emu}.cpus{cpus}.cpu: {cpu:.2f} s")
        bad += bench_labs(tmp, "qemu")
        if not no_kvm:
            bad += bench_labs(tmp, "kvm")
    return 1 if bad else 0


def bench_labs(tmp, emu):
    """Wall time of each lab as a student runs it on `emu`: boot, extraction,
    tracecat, trace2perfetto, tracecheck and the plots. The lab's own outcome
    (a panic, for a lab that puts a bug back) is not a failure here; a lab
    that writes no status is."""
    bad = 0
    labs = sorted(d for d in os.listdir(os.path.join(ROOT, "labs"))
                  if os.path.isfile(os.path.join(ROOT, "labs", d, "lab.conf")))
    for name in labs:
        out = os.path.join(tmp, f"lab-{name}-{emu}")
        t0 = time.monotonic()
        p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "lab", "lab.py"),
                            name, "--emu", emu, "--out", out, "-q"],
                           capture_output=True, text=True)
        dt = time.monotonic() - t0
        status = os.path.join(out, "status")
        if not os.path.isfile(status):
            print(f"lab.{name}: failed ({p.stderr.strip()[-300:]})", file=sys.stderr)
            bad += 1
            continue
        print(f"lab.{name}.{emu}.wall: {dt:.2f} s")
    return bad


if __name__ == "__main__":
    sys.exit(main())
