"""Shared pytest helpers: boot tkern through the scripted runner.

    def test_x(tkern_boot):
        r = tkern_boot(emu="qemu", cpus=2, cmdline="ktest=all")
        assert r.status == "success", r.console

`tkern_boot` runs tools/run.py exactly as `make run` does, into a folder
under pytest's tmp dir, and returns a Boot (status, console, reason, out).
Boots with the same (emu, cpus, cmdline) are shared within a session (one
worker, under pytest-xdist), so tests that only read a boot's output don't
pay for it twice; `fresh=True` forces a new run.

Markers: `bochs` (a test that boots Bochs: select with -m bochs, leave out
with -m "not bochs"), `qemu`, `gdb`.

The kernel must be built (`make`, or `make test` which builds first);
TKERN_KERNEL names another ELF64 kernel with its kernel32.elf beside it.
"""

import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"
KERNEL = os.environ.get("TKERN_KERNEL", os.path.join(ROOT, "build", "kernel.elf"))
KERNEL32 = os.path.join(os.path.dirname(KERNEL), "kernel32.elf")
RUN_PY = os.path.join(ROOT, "tools", "run.py")
STATUS_WORDS = ("success", "panic", "hang", "error")


def pytest_configure(config):
    config.addinivalue_line("markers", "bochs: boots Bochs (hardware VMX path; slower)")
    config.addinivalue_line("markers", "qemu: boots QEMU")
    config.addinivalue_line("markers", "kvm: boots QEMU on KVM (skipped where KVM cannot start a VM)")
    config.addinivalue_line("markers", "gdb: drives GDB against a paused QEMU")
    config.addinivalue_line("markers", "host: runs no emulator (even if its name says bochs)")


def pytest_collection_modifyitems(config, items):
    # A test with "bochs" in its name or parameters boots Bochs: mark it, so
    # `-m bochs` / `-m "not bochs"` select every Bochs run, in any file.
    for item in items:
        if "bochs" in item.nodeid.split("::", 1)[-1].lower() and \
                item.get_closest_marker("bochs") is None and \
                item.get_closest_marker("host") is None:
            item.add_marker(pytest.mark.bochs)


class Boot:
    """The outcome of one scripted run."""

    def __init__(self, out, emu, cpus, cmdline, proc):
        self.out, self.emu, self.cpus, self.cmdline = out, emu, cpus, cmdline
        self.returncode = proc.returncode
        self.stdout, self.stderr = proc.stdout, proc.stderr
        self.status = read(os.path.join(out, "status")).strip()
        self.reason = read(os.path.join(out, "reason")).strip()
        raw = read_bytes(os.path.join(out, "console.log"))
        self.console_bytes = raw
        # printk writes CRLF for the serial line; tests read plain lines.
        self.console = raw.decode("utf-8", "replace").replace("\r\n", "\n")

    def lines(self):
        return self.console.splitlines()

    def path(self, name):
        return os.path.join(self.out, name)

    def __repr__(self):
        tail = "\n".join(self.lines()[-40:])
        return (f"<Boot {self.emu} cpus={self.cpus} cmdline={self.cmdline!r}: {self.status} "
                f"({self.reason})>\n--- console tail ---\n{tail}\n--- runner ---\n"
                f"{self.stdout}{self.stderr}")


def read(path):
    return read_bytes(path).decode("utf-8", "replace")


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def kvm_unusable():
    """tools/run.py's probe (None, or why KVM cannot start a VM here), with
    its one "refuses MSR" line kept for run.py's own runs to say. Whatever
    happens after the probe passes is tkern's, and fails a test."""
    import io
    import sys
    from contextlib import redirect_stderr
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import run as run_py
    with redirect_stderr(io.StringIO()):
        return run_py.kvm_unusable()


KVM_UNUSABLE = kvm_unusable()


# A parameter set that runs on KVM where this machine has it. KVM runs are
# not deterministic (no -icount): only outcomes and mechanisms are checked.
needs_kvm = pytest.mark.skipif(KVM_UNUSABLE is not None, reason=str(KVM_UNUSABLE))


def kvm_backend():
    """The VMX backend tkern picks on KVM: the hardware one where the host
    CPU shows VMX (/proc/cpuinfo), else the emulated one."""
    with open("/proc/cpuinfo") as f:
        vmx = any(line.startswith("flags") and " vmx" in line for line in f)
    return "hardware" if vmx else "emulated"


def on_kvm(*values, id=None):
    return pytest.param(*values, marks=needs_kvm, id=id)


def need_kernel():
    for f in (KERNEL, KERNEL32):
        if not os.path.isfile(f):
            pytest.fail(f"{f} missing: run 'make' first (make test builds it)")


def need_emulator(emu):
    tool = {"qemu": "qemu-system-x86_64", "kvm": "qemu-system-x86_64", "bochs": "bochs"}[emu]
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} not installed: run 'tools/setup.sh {emu}'")


def run_boot(out, emu="qemu", cpus=1, cmdline="", timeout=None, extra=()):
    """One scripted run into `out`; returns a Boot."""
    need_kernel()
    need_emulator(emu)
    argv = [PYTHON, RUN_PY, "--emu", emu, "--cpus", str(cpus), "--cmdline", cmdline,
            "--out", str(out), "--kernel", KERNEL, "-q", *extra]
    if timeout:
        argv += ["--timeout", str(timeout)]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=(timeout or 900) + 120)
    b = Boot(str(out), emu, cpus, cmdline, proc)
    assert b.status in STATUS_WORDS, f"run.py wrote no valid status: {b!r}"
    assert (b.returncode == 0) == (b.status == "success"), \
        f"run.py exit {b.returncode} disagrees with status {b.status}: {b!r}"
    return b


@pytest.fixture(scope="session")
def tkern_boot(tmp_path_factory):
    cache = {}

    def boot(emu="qemu", cpus=1, cmdline="", fresh=False, timeout=None):
        key = (emu, cpus, cmdline)
        if fresh or key not in cache:
            tag = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{emu}-{cpus}-{cmdline}")[:60] or "boot"
            out = tmp_path_factory.mktemp(tag)
            b = run_boot(out, emu, cpus, cmdline, timeout=timeout)
            if fresh:
                return b
            cache[key] = b
        return cache[key]

    return boot


def kernel_symbols(elf=KERNEL):
    """{name: (address, size)} of the kernel's defined symbols (nm -S)."""
    p = subprocess.run(["nm", "-S", "--defined-only", elf], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.fail(f"nm {elf} failed: {p.stderr.strip()}")
    syms = {}
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4:
            syms[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
        elif len(parts) == 3:
            syms.setdefault(parts[2], (int(parts[0], 16), 0))
    return syms
