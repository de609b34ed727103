"""Boot tests of tracing: scripted runs of the real kernel.

- QEMU with 4 CPUs: the trace has events from every CPU and no lost record,
  its header says 4 CPUs, a calibrated TSC and the kernel's build id.
- fault=ud2: the panicking CPU's last records are the trap, then the panic;
  every other CPU ends on the stop IPI; the header says it panicked.
- trace=stop and trace_off=: the header says stop mode and the categories
  turned off are absent; an unknown trace_events= name panics, named.
- Determinism: the same run twice gives a byte-identical trace.raw.
- Bochs with 2 CPUs (the trace dumped by the debugger's writemem), twice:
  byte-identical too.

Needs `make` first (build/kernel.elf and build/bin/{traceextract,tracecat}).
"""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "bin")
BUILT_KERNEL = os.path.join(ROOT, "build", "kernel.elf")
KERNEL = None  # this module's snapshot of BUILT_KERNEL (see snapshot_kernel)


@pytest.fixture(scope="module", autouse=True)
def snapshot_kernel(tmp_path_factory):
    """Boot and symbolise one copy of the kernel, so that a rebuild in the
    tree during the tests cannot make the ELF differ from the kernel that
    ran (the build-id check would rightly fail)."""
    global KERNEL
    for f in (BUILT_KERNEL, os.path.join(BIN, "traceextract"), os.path.join(BIN, "tracecat")):
        assert os.path.exists(f), f"{f} missing: run `make` first"
    d = tmp_path_factory.mktemp("kernel")
    KERNEL = str(d / "kernel.elf")
    shutil.copyfile(BUILT_KERNEL, KERNEL)
    subprocess.run(["objcopy", "-O", "elf32-i386", KERNEL, str(d / "kernel32.elf")], check=True)


def run(tmp_path, name, cpus, cmdline="", emu="qemu", timeout=240):
    out = tmp_path / name
    cmd = ["/usr/bin/python3", os.path.join(ROOT, "tools", "run.py"), "--emu", emu,
           "--kernel", KERNEL, "--cpus", str(cpus), "--out", str(out), "--timeout", str(timeout)]
    if cmdline:
        cmd += ["--cmdline", cmdline]
    subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 60)
    status = (out / "status").read_text().strip()
    reason = (out / "reason").read_text() if (out / "reason").exists() else ""
    assert (out / "trace.raw").exists(), f"no trace.raw ({status}): {reason}"
    return out, status


def tracecat(out, *args):
    r = subprocess.run([os.path.join(BIN, "tracecat"), "--elf", KERNEL, *args,
                        str(out / "trace.raw")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def summary(out):
    """{cpu: (records, lost)} and the events seen, from tracecat --summary."""
    cpus, events = {}, {}
    for line in tracecat(out, "--summary"):
        w = line.split()
        if w[0] == "cpu":
            cpus[int(w[1])] = (int(w[3]), int(w[5]))
        elif w[0] == "event":
            events[w[1]] = int(w[2])
    return cpus, events


def header(out):
    return dict(l.split(" ", 1) if " " in l else (l, "") for l in tracecat(out, "--header"))


def test_qemu_4cpus_every_cpu_no_loss(tmp_path):
    out, status = run(tmp_path, "smp4", 4)
    assert status == "success"
    cpus, events = summary(out)
    assert sorted(cpus) == [0, 1, 2, 3]
    assert all(rec > 0 and lost == 0 for rec, lost in cpus.values()), cpus
    assert events.get("cpu_online") == 4
    lines = tracecat(out)
    assert lines[0].split()[2:] == ["boot_milestone", "stage=trace"]
    assert lines[-1].split()[2:] == ["boot_milestone", "stage=shutdown"]
    assert {l.split()[1] for l in lines} == {"0", "1", "2", "3"}
    # Merged in timestamp order, one record per line.
    ts = [int(l.split()[0]) for l in lines]
    assert ts == sorted(ts)
    h = header(out)
    assert h["cpus"] == "4" and h["flushed"] == "yes" and h["panic"] == "no"
    assert int(h["tsc_hz"]) > 0
    assert h["build_id"] == h["elf_build_id"].split()[0], "the ELF is not the kernel that ran"


def test_qemu_ud2_trace_ends_with_trap(tmp_path):
    out, status = run(tmp_path, "ud2", 2, "fault=ud2")
    assert status == "panic"
    lines = tracecat(out)
    cpu0 = [l.split()[2:] for l in lines if l.split()[1] == "0"]
    assert cpu0[-2][:4] == ["trap", "vector=UD", "error=0x0", "rip=fault_test_ud2"], cpu0[-2]
    assert cpu0[-1] == ["panic", "site=fault_test_ud2"]
    # The other CPU was stopped after the panic, and that is its last record.
    cpu1 = [l.split()[2:] for l in lines if l.split()[1] == "1"]
    assert cpu1[-1] == ["ipi_recv", "vector=stop"]
    assert header(out)["panic"] == "yes"
    cpus, _ = summary(out)
    assert all(lost == 0 for _, lost in cpus.values())


def test_stop_mode_and_filters(tmp_path):
    out, status = run(tmp_path, "filters", 2, "trace=stop trace_off=proc,kref,syscall")
    assert status == "success"
    h = header(out)
    assert h["mode"] == "stop"
    _, events = summary(out)
    assert events and not {"kref_get", "proc_state", "syscall_enter"} & set(events)
    assert "cpu_online" in events
    only = tracecat(out, "--cat", "boot")
    assert only and all(l.split()[2] == "boot_milestone" for l in only)


def test_unknown_trace_event_is_refused(tmp_path):
    out, status = run(tmp_path, "badname", 1, "trace_events=no_such_event")
    assert status == "panic"
    assert "unknown event 'no_such_event'" in (out / "console.log").read_text()


def test_same_run_same_trace(tmp_path):
    a, sa = run(tmp_path, "a", 2)
    b, sb = run(tmp_path, "b", 2)
    assert sa == sb == "success"
    assert (a / "trace.raw").read_bytes() == (b / "trace.raw").read_bytes()


@pytest.mark.skipif(not shutil.which("bochs"), reason="bochs not installed")
def test_bochs_2cpus_every_cpu_no_loss(tmp_path):
    out, status = run(tmp_path, "bochs2", 2, emu="bochs", timeout=600)
    assert status == "success"
    cpus, events = summary(out)
    assert sorted(cpus) == [0, 1]
    assert all(rec > 0 and lost == 0 for rec, lost in cpus.values()), cpus
    assert events.get("cpu_online") == 2


@pytest.mark.skipif(not shutil.which("bochs"), reason="bochs not installed")
def test_bochs_same_run_same_trace(tmp_path):
    a, sa = run(tmp_path, "a", 2, emu="bochs", timeout=600)
    b, sb = run(tmp_path, "b", 2, emu="bochs", timeout=600)
    assert sa == sb == "success"
    assert (a / "trace.raw").read_bytes() == (b / "trace.raw").read_bytes()
