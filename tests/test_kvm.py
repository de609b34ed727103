"""tkern on KVM (EMU=kvm): the host CPU instead of an emulator.

Where /dev/kvm opens, every scenario also runs on KVM: boots on 1, 2, 4
and 8 CPUs with every ktest, both labs (here), and the process-model
scenarios and the shell (test_procmodel.py, their `kvm` parameter sets).
KVM runs are not deterministic (no -icount), so outcomes and mechanisms
are checked, never trace bytes. Elsewhere (CI without KVM) they skip and
say why; the CPU-model fallback below is checked everywhere.

What a limited KVM changes, as measured on a kvm_pvm host (README, "KVM"):
QEMU's `-cpu host` asks for MSRs that KVM refuses (run.py drops their
features), and SYSCALL arrives at LSTAR still in ring 3 (the kernel
finishes it from the #PF: kernel/arch/x86_64/syscall_arch.c).
"""
import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stderr

import pytest

from conftest import kvm_backend, needs_kvm, ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import run as run_py  # noqa: E402  (tools/run.py: what `make run` runs)

PY = "/usr/bin/python3"
KERNEL = os.environ.get("TKERN_KERNEL", os.path.join(ROOT, "build", "kernel.elf"))
LAB = os.path.join(ROOT, "tools", "lab", "lab.py")
KTEST_DONE = re.compile(r"^KTEST DONE (\d+) passed, (\d+) failed$", re.M)
KTEST_SKIP = re.compile(r"^KTEST SKIP (\w+): (.*)$", re.M)


# ---- the -cpu model: checked everywhere, with a KVM that refuses MSRs ----

def fake_probe(refused):
    """A kvm_probe_cpu for a KVM that refuses each MSR in `refused` until
    the model drops the feature behind it."""
    def probe(model):
        for msr in refused:
            if "-" + run_py.KVM_MSR_FEATURE.get(msr, ("", "?"))[1] not in model:
                return msr
        return None
    return probe


@pytest.mark.parametrize("refused,model", [
    ([], "host"),
    ([0x10a], "host,-arch-capabilities"),
    ([0x10a, 0x48], "host,-arch-capabilities,-spec-ctrl"),
])
def test_cpu_model_drops_only_what_kvm_refuses(monkeypatch, refused, model):
    monkeypatch.setattr(run_py, "kvm_probe_cpu", fake_probe(refused))
    monkeypatch.setattr(run_py, "_kvm_cpu", None)
    err = io.StringIO()
    with redirect_stderr(err):
        assert run_py.kvm_cpu_model() == model
    said = err.getvalue()
    if refused:
        assert said.count("\n") == 1 and said.startswith("run: this KVM refuses MSR"), said
        for msr in refused:
            assert f"{msr:#x} ({run_py.KVM_MSR_FEATURE[msr][0]})" in said, said
        assert f"using -cpu {model}" in said, said
    else:
        assert said == "", said


def test_cpu_model_names_an_msr_it_cannot_drop(monkeypatch):
    monkeypatch.setattr(run_py, "kvm_probe_cpu", lambda model: 0x3a)
    monkeypatch.setattr(run_py, "_kvm_cpu", None)
    with pytest.raises(run_py.RunError, match=r"KVM refuses MSR 0x3a of -cpu host.*EMU=qemu"):
        run_py.kvm_cpu_model()


@needs_kvm
def test_the_chosen_cpu_model_starts_on_this_kvm():
    monkey = run_py._kvm_cpu
    try:
        run_py._kvm_cpu = None
        model = run_py.kvm_cpu_model()
        assert run_py.kvm_probe_cpu(model) is None, model
    finally:
        run_py._kvm_cpu = monkey


# ---- boots and ktests on 1-8 CPUs ----

@needs_kvm
@pytest.mark.parametrize("cpus", [1, 2, 4, 8])
def test_kvm_boots_and_passes_every_ktest(tkern_boot, cpus):
    b = tkern_boot("kvm", cpus, "ktest=all")
    assert b.status == "success", repr(b)
    m = re.search(r"^CPUs online: (\d+)", b.console, re.M)
    assert m and int(m.group(1)) == cpus, repr(b)
    assert re.search(rf"^vmx: {kvm_backend()} backend", b.console, re.M), repr(b)
    done = KTEST_DONE.findall(b.console)
    assert done and int(done[-1][0]) > 0 and done[-1][1] == "0", repr(b)
    # Only the multi-core tests skip, and only on one core.
    skipped = KTEST_SKIP.findall(b.console)
    if cpus == 1:
        assert skipped and all(why == "needs num_cores() >= 2" for _, why in skipped), skipped
    else:
        assert not skipped, skipped
    with open(os.path.join(b.out, "run.json")) as f:
        assert '"cpu_model"' in f.read()


# ---- the labs ----

def lab(tmp_path, name, cpus=1, bugs=None, signal=None):
    out = str(tmp_path / f"{name}-{cpus}-{bugs}-{signal}")
    argv = [PY, LAB, name, "--emu", "kvm", "--cpus", str(cpus), "--out", out, "--kernel", KERNEL]
    if bugs is not None:
        argv += ["--bugs", bugs]
    if signal:
        argv += ["--signal", signal]
    p = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=900)
    return out, p


@needs_kvm
def test_abandon_core_lab_crashes_through_the_chain_on_kvm(tmp_path):
    from test_lab_abandon_core import LabRun, check_crash_chain
    out, p = lab(tmp_path, "abandon-core")
    run = LabRun(out, p)
    check_crash_chain(run)
    assert f"[{kvm_backend()} backend]" in run.console, run


@needs_kvm
def test_abandon_core_lab_on_two_kvm_cpus_crashes_on_vs_core(tmp_path):
    """On two real CPUs the interleaving is the host's, so only what every
    interleaving shares is checked: V's guest ran before the ctrl-c (the
    scenario was reached), V was freed, and V's core then cleared a VMCS
    whose process slot is free and failed the INVEPT of EPTP 0."""
    from test_lab_abandon_core import LabRun, expect_in_order
    out, p = lab(tmp_path, "abandon-core", cpus=2)
    run = LabRun(out, p)
    assert run.status == "panic", run
    sig = run.find("signal_deliver", sig="SIGINT")
    assert sig, run
    v, core = sig[0]["pid"], sig[0]["cpu"]
    steps = expect_in_order(run, [
        ("vm_entry", {"pid": v}),
        ("signal_deliver", {"pid": v, "sig": "SIGINT"}),
        ("proc_free", {"pid": v}),
        ("vmclear", {"pid": 0, "cpu": core}),
        ("invept", {"eptp": "0x0", "cpu": core}),
        ("trap", {"vector": "UD", "cpu": core}),
    ])
    assert steps[3]["site"].startswith("__abandon_core"), steps[3]
    assert "[vmcs-cached-at-free]" in run.tracecheck, run.tracecheck


@needs_kvm
@pytest.mark.parametrize("bugs,signal", [("", "INT"), ("abandon_core", "KILL")])
def test_abandon_core_lab_clean_outcomes_on_kvm(tmp_path, bugs, signal):
    from test_lab_abandon_core import LabRun, check_clean
    out, p = lab(tmp_path, "abandon-core", bugs=bugs, signal=signal)
    check_clean(LabRun(out, p))


@needs_kvm
def test_tracing_basics_lab_grades_on_kvm(tmp_path):
    from test_lab_tracing_basics import answers_from_raw, grade, write
    out, p = lab(tmp_path, "tracing-basics")
    assert p.returncode == 0, p.stdout
    raw = os.path.join(out, "trace.raw")
    ans = answers_from_raw(raw)
    assert ans["last_put_function"] == "__proc_disown_child", ans
    write(str(tmp_path / "a.txt"), ans)
    r = grade(str(tmp_path / "a.txt"), raw)
    assert r.returncode == 0 and "PASS: 11 of 11" in r.stdout, r.stdout
