"""Boot tests: the foundation's promises, through the same runner as `make run`.

  - every CPU comes online (QEMU 1, 2, 4; Bochs 1, 2) and the run ends in
    status success;
  - `fault=ud2` is a panic naming "Invalid Opcode" with RIP symbolised to
    the function that holds it;
  - two scripted runs give byte-identical console output (and raw trace);
  - `make gdb`'s pieces (generated gdbinit, run.py --gdb) stop GDB in a
    64-bit function and print a backtrace;
  - the runner's contract: bad input gives status error, a hang gives hang.
"""

import os
import re
import socket
import subprocess

import pytest

from conftest import KERNEL, PYTHON, ROOT, RUN_PY, kernel_symbols, run_boot

CPUS_ONLINE = re.compile(r"^CPUs online: (\d+)\s*$", re.M)


def cpus_online(boot):
    found = CPUS_ONLINE.findall(boot.console)
    assert found, f"no 'CPUs online' line: {boot!r}"
    return int(found[-1])


@pytest.mark.qemu
@pytest.mark.parametrize("cpus", [1, 2, 4])
def test_cpus_online_qemu(tkern_boot, cpus):
    b = tkern_boot("qemu", cpus)
    assert b.status == "success", repr(b)
    assert cpus_online(b) == cpus, repr(b)
    assert b.lines()[-1] == "TKERN-EXIT: success", repr(b)


@pytest.mark.bochs
@pytest.mark.parametrize("cpus", [1, 2])
def test_cpus_online_bochs(tkern_boot, cpus):
    b = tkern_boot("bochs", cpus)
    assert b.status == "success", repr(b)
    assert cpus_online(b) == cpus, repr(b)
    assert b.lines()[-1] == "TKERN-EXIT: success", repr(b)


RIP_LINE = re.compile(r"RIP\s+(?:0x)?([0-9a-f]{16})\s+<(\w+)\+0x([0-9a-f]+)>")


@pytest.mark.qemu
def test_fault_ud2_panics_with_symbolised_rip(tkern_boot):
    b = tkern_boot("qemu", 2, "fault=ud2")
    assert b.status == "panic", repr(b)
    assert "Invalid Opcode" in b.console, repr(b)
    assert b.lines()[-1] == "TKERN-EXIT: panic", repr(b)
    m = RIP_LINE.search(b.console)
    assert m, f"no symbolised RIP line: {b!r}"
    rip, func, off = int(m.group(1), 16), m.group(2), int(m.group(3), 16)
    # The symbol is the one the ELF puts there, and the offset adds up.
    syms = kernel_symbols()
    assert func in syms, f"RIP symbolised to {func}, which the ELF does not define"
    start, size = syms[func]
    assert start + off == rip, f"{func}+{off:#x} is not {rip:#x}"
    if size:
        assert start <= rip < start + size, f"RIP {rip:#x} outside {func}"
    # The Invalid Opcode is the ud2 the test provoked: its function says so.
    assert "ud2" in func, f"the faulting function {func} is not the ud2 provoker"


@pytest.mark.qemu
def test_deterministic_console_and_trace(tkern_boot):
    first = tkern_boot("qemu", 2, "ktest=all")
    second = tkern_boot("qemu", 2, "ktest=all", fresh=True)
    assert first.status == second.status, (repr(first), repr(second))
    assert first.console_bytes, repr(first)
    assert first.console_bytes == second.console_bytes, \
        "two identical scripted runs printed different consoles"
    t1, t2 = first.path("trace.raw"), second.path("trace.raw")
    if os.path.isfile(t1) or os.path.isfile(t2):
        with open(t1, "rb") as f1, open(t2, "rb") as f2:
            assert f1.read() == f2.read(), "two identical scripted runs gave different raw traces"


@pytest.mark.bochs
def test_deterministic_bochs(tkern_boot):
    first = tkern_boot("bochs", 2)
    second = tkern_boot("bochs", 2, fresh=True)
    assert first.status == "success", repr(first)
    assert first.console_bytes == second.console_bytes, \
        "two identical Bochs runs printed different consoles"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.gdb
def test_gdb_stops_in_64bit_kmain_with_backtrace(tmp_path):
    for f in (KERNEL,):
        if not os.path.isfile(f):
            pytest.fail(f"{f} missing: run 'make'")
    port = free_port()
    gdbinit = tmp_path / "gdbinit"
    mk = subprocess.run(["make", "-s", "--no-print-directory", "gdbinit",
                         f"GDBINIT={gdbinit}", f"GDB_PORT={port}"],
                        cwd=ROOT, capture_output=True, text=True)
    assert mk.returncode == 0, mk.stderr
    # What a person types after `make gdb`, run as a batch. A hardware
    # breakpoint: the boot loader copies the image after GDB attaches,
    # which would overwrite a software breakpoint's int3.
    with open(gdbinit, "a") as f:
        f.write("hbreak kmain\ncontinue\nbt\ninfo registers rip cs\nkill\nquit\n")
    p = subprocess.run([PYTHON, RUN_PY, "--gdb", str(port), "--gdbinit", str(gdbinit),
                        "--cpus", "1", "--out", str(tmp_path / "run")],
                       cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                       timeout=180)
    text = p.stdout + p.stderr
    assert re.search(r"Breakpoint 1, (0x[0-9a-f]+ in )?kmain", text), text
    assert re.search(r"^#0\s+.*kmain", text, re.M), text
    # Stopped in long mode: a 64-bit RIP in the higher half, 64-bit CS 0x8.
    m = re.search(r"^rip\s+0x([0-9a-f]+)", text, re.M)
    assert m and int(m.group(1), 16) >= 0xffffffff80000000, text


# ------------------------------------------------------------ runner contract

def test_runner_rejects_bad_cpu_count(tmp_path):
    p = subprocess.run([PYTHON, RUN_PY, "--cpus", "0", "--out", str(tmp_path)],
                       capture_output=True, text=True)
    assert p.returncode != 0
    assert "--cpus" in p.stderr


def test_runner_missing_kernel_is_error(tmp_path):
    out = tmp_path / "out"
    p = subprocess.run([PYTHON, RUN_PY, "--kernel", str(tmp_path / "nope.elf"),
                        "--out", str(out)], capture_output=True, text=True)
    assert p.returncode != 0
    assert (out / "status").read_text().strip() == "error"
    assert "make" in (out / "reason").read_text()


@pytest.mark.qemu
def test_runner_timeout_is_hang(tmp_path):
    # ktest=all on 4 CPUs cannot finish in a tenth of a second of wall time.
    b = run_boot(tmp_path / "out", "qemu", 4, "ktest=all", timeout=0.1)
    assert b.status == "hang", repr(b)
    assert not os.path.exists(os.path.join(b.out, "ram.bin")), "ram.bin left behind"


def _hang_with_trace(tkern_tmp, emu, timeout):
    # The shell waits for a keyboard that never types: a hang by design.
    b = run_boot(tkern_tmp, emu, 1, "init=shell", timeout=timeout)
    assert b.status == "hang", repr(b)
    extractor = os.path.join(ROOT, "build", "bin", "traceextract")
    if "tkern shell" in b.console and os.path.isfile(extractor):
        # The rings come out of a hung kernel too: QEMU's RAM file, or
        # Bochs's debugger dumping trace_area after the timeout's Ctrl-C.
        assert os.path.getsize(b.path("trace.raw")) > 0, repr(b)
    assert not os.path.exists(b.path("ram.bin")), "ram.bin left behind"


@pytest.mark.qemu
def test_hang_still_gives_trace_qemu(tmp_path):
    _hang_with_trace(tmp_path / "out", "qemu", 10)


@pytest.mark.bochs
def test_hang_still_gives_trace_bochs(tmp_path):
    _hang_with_trace(tmp_path / "out", "bochs", 20)
