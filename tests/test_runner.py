"""tools/run.py's status mapping, against stand-in emulators (no boot).

A fake `qemu-system-x86_64` / `bochs` (a small shell script) writes a
console and ends the way the real one would: exit codes 33/35/37, the
triple-fault exit 0, an emulator error, a hang. The runner must turn each
into the contract's one word (success, panic, hang, error) and exit 0 only on
success. The real emulators are covered by test_boot.py.
"""

import importlib.util
import json
import os
import stat

import pytest

from conftest import ROOT

# Stand-in emulators only: never selected away by -m "not bochs".
pytestmark = pytest.mark.host


def load_run():
    spec = importlib.util.spec_from_file_location("tkern_run_t", os.path.join(ROOT, "tools", "run.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


FAKE_QEMU = r"""#!/bin/sh
# Find -serial file:PATH and write the console there, then act out $FAKE_END.
con=""
while [ $# -gt 0 ]; do
	case "$1" in -serial) con=${2#file:}; shift ;; esac
	shift
done
printf 'CPUs online: 1\r\n' > "$con"
[ -n "$FAKE_MARKER" ] && printf 'TKERN-EXIT: %s\r\n' "$FAKE_MARKER" >> "$con"
case "$FAKE_END" in
	hang) sleep 30 ;;
	error) echo "qemu-system-x86_64: -foo: invalid option" >&2; exit 1 ;;
	*) exit "$FAKE_END" ;;
esac
"""

FAKE_BOCHS = r"""#!/bin/sh
# bochs -q -f BOCHSRC -rc SCRIPT: write the console named in BOCHSRC.
rc=$3
con=$(sed -n 's/^com1: .*dev=\(.*\)$/\1/p' "$rc")
log=$(sed -n 's/^log: \(.*\)$/\1/p' "$rc")
printf 'CPUs online: 1\r\n' > "$con"
[ -n "$FAKE_MARKER" ] && printf 'TKERN-EXIT: %s\r\n' "$FAKE_MARKER" >> "$con"
[ "$FAKE_END" = triple ] && echo "00000123456e[CPU0  ] exception(): 3rd (13) exception with no resolution, shutdown status is 00h" > "$log"
[ "$FAKE_END" = hang ] && sleep 30
exit 0
"""


def script(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def fake(tmp_path, monkeypatch):
    run = load_run()
    run.QEMU = script(tmp_path / "fake-qemu", FAKE_QEMU)
    run.BOCHS = script(tmp_path / "fake-bochs", FAKE_BOCHS)
    # A kernel file must exist; the fakes never read it.
    kdir = tmp_path / "k"
    kdir.mkdir()
    for name in ("kernel.elf", "kernel32.elf"):
        (kdir / name).write_bytes(b"\x7fELF")

    def go(emu, end, marker, timeout=20):
        monkeypatch.setenv("FAKE_END", str(end))
        monkeypatch.setenv("FAKE_MARKER", marker or "")
        out = tmp_path / f"out-{emu}-{end}-{marker}"
        rc = run.main(["--emu", emu, "--out", str(out), "--kernel", str(kdir / "kernel.elf"),
                       "--timeout", str(timeout), "-q"])
        status = (out / "status").read_text().strip()
        meta = json.loads((out / "run.json").read_text())
        assert (rc == 0) == (status == "success")
        assert meta["status"] == status
        return status, (out / "reason").read_text()

    return go


@pytest.mark.parametrize("end,marker,want", [
    (33, "success", "success"),
    (35, "panic", "panic"),
    (37, "fail", "panic"),       # a failed self-test: the kernel reported failure
    (0, None, "panic"),          # triple fault under -no-reboot: QEMU exits 0
    ("error", None, "error"),    # QEMU refused to start
    (1, "success", "error"),     # an emulator failure is not hidden by a marker
])
def test_qemu_status_mapping(fake, end, marker, want):
    status, reason = fake("qemu", end, marker)
    assert status == want, reason


def test_qemu_exit_code_wins_over_marker(fake):
    status, reason = fake("qemu", 35, "success")
    assert status == "panic"
    assert "disagrees" in reason


def test_qemu_hang(fake):
    status, reason = fake("qemu", "hang", None, timeout=1)
    assert status == "hang", reason


@pytest.mark.parametrize("end,marker,want", [
    (0, "success", "success"),
    (0, "panic", "panic"),
    (0, "fail", "panic"),
    ("triple", None, "panic"),
    (0, None, "error"),          # Bochs ended with no marker and no triple fault
])
def test_bochs_status_mapping(fake, end, marker, want):
    status, reason = fake("bochs", end, marker)
    assert status == want, reason


def test_bochs_hang(fake):
    status, reason = fake("bochs", "hang", None, timeout=1)
    assert status == "hang", reason


def test_bochs_script_dumps_trace_area_when_the_kernel_has_one():
    run = load_run()
    text = run.bochs_script("/x/trace-area.bin", (0xffffffff801b5000, 4096))
    assert text.splitlines() == ["c", 'writemem "/x/trace-area.bin" 0xffffffff801b5000 4096', "quit"]
    assert run.bochs_script("/x/t.bin", None).splitlines() == ["c", "quit"]


def test_bochsrc_is_deterministic_and_scripted(tmp_path):
    run = load_run()

    class A:
        cpus = 2
    rc = run.bochsrc(A(), str(tmp_path), "/x/tkern.iso")
    assert "cpu: count=2, model=corei7_haswell_4770" in rc
    assert "clock: sync=none, time0=946684800" in rc
    assert "magic_break: enabled=1" in rc
    assert "display_library: term" in rc
    assert f"com1: enabled=1, mode=file, dev={tmp_path}/console.log" in rc
