"""tracecheck on synthetic raw traces (tools/synth_trace.py): each invariant
violation is found in a trace made for it, with the chain of events that led
there; the clean run passes; unreadable and damaged inputs are handled.
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECK = os.path.join(ROOT, "build", "bin", "tracecheck")
sys.path.insert(0, os.path.join(ROOT, "tools"))

import synth_trace  # noqa: E402


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    assert os.path.exists(CHECK), "run `make tracetools` first"
    return tmp_path_factory.mktemp("tracecheck")


def check(work, scenario):
    raw = work / (scenario + ".raw")
    synth_trace.scenario(scenario).write(str(raw))
    r = subprocess.run([CHECK, str(raw)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    kinds = [l.split("[", 1)[1].split("]", 1)[0] for l in r.stdout.splitlines()
             if l.startswith("VIOLATION")]
    return r, kinds


def chain_of(stdout, n):
    """The chain lines printed under violation n (1-based)."""
    blocks = stdout.split("VIOLATION ")[1:]
    return [l for l in blocks[n - 1].splitlines() if l.startswith("  ") and " us " in l]


def test_clean_run_passes(work):
    r, kinds = check(work, "fixed")
    assert r.returncode == 0, r.stdout + r.stderr
    assert kinds == []
    assert "0 violations" in r.stdout


def test_abandon_core_caught_before_the_crash(work):
    r, kinds = check(work, "abandon_core")
    assert r.returncode == 1
    assert kinds == ["vmcs-cached-at-free", "use-after-free", "use-after-free", "panic"]
    first = chain_of(r.stdout, 1)
    # the chain shows where the VMCS was left cached, and ends at the free
    assert "vmcs_lazy_unload pid=2" in first[0]
    # the chain is named by the process's program (proc_create's name)
    assert r.stdout.split("VIOLATION ")[1].splitlines()[1].strip().startswith(
        "chain of events of vmm [2] ("), r.stdout
    assert first[-1].lstrip().startswith("*") and "proc_free pid=2" in first[-1]
    assert any("kref_put pid=2" in l and "reason=CHILDREN" in l for l in first)
    assert "VMCLEAR of GPC" in r.stdout and "INVEPT with EPTP 0x0" in r.stdout
    assert "invept" in chain_of(r.stdout, 3)[-1]


def test_vmcs_cached_alone(work):
    r, kinds = check(work, "vmcs_cached")
    assert r.returncode == 1 and kinds == ["vmcs-cached-at-free"]
    assert "CPU 0 still caches the VMCS" in r.stdout


@pytest.mark.parametrize("scenario,kind,text", [
    ("underflow", "kref", "underflow on pid 2"),
    ("get_from_zero", "kref", "get_from_zero on pid 2"),
    ("count_mismatch", "kref", "starts from 3 but the last change left 2"),
    ("uaf_kmsg", "use-after-free", "kmsg_send carries pid 2's struct proc"),
    ("uaf_vmclear", "use-after-free", "VMCLEAR of GPC"),
    ("uaf_invept", "use-after-free", "INVEPT with EPTP 0x0 (pid 2, freed)"),
    ("leak", "leak", "pid 1 is still allocated at shutdown"),
    ("dangling_cur_proc", "dangling-core-pointer", "pid 1 freed while it is still CPU 1's owning_proc"),
])
def test_each_violation_found(work, scenario, kind, text):
    r, kinds = check(work, scenario)
    assert r.returncode == 1, r.stdout
    assert kinds == [kind], r.stdout
    assert text in r.stdout
    chain = chain_of(r.stdout, 1)
    assert chain and chain[-1].lstrip().startswith("*")


def test_leak_without_a_leak_event(work):
    """A proc never freed before shutdown is a leak even if the kernel did not say so."""
    w = synth_trace.scenario("leak")
    leak_id = synth_trace.rawtrace.schema()["by_name"]["proc_leak"]["id"]
    for cpu in w.records:
        w.records[cpu] = [r for r in w.records[cpu] if r[1] != leak_id or r[0] is None]
    raw = work / "leak2.raw"
    w.write(str(raw))
    r = subprocess.run([CHECK, str(raw)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and "pid 1 was never freed (refcount 1 at shutdown)" in r.stdout


def test_unreadable_is_exit_2(work):
    bad = work / "junk.raw"
    bad.write_bytes(b"\0" * 100)
    r = subprocess.run([CHECK, str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "not a tkern raw trace" in r.stderr
    r = subprocess.run([CHECK, str(work / "missing.raw")], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "missing.raw" in r.stderr


def test_damaged_trace_checked_up_to_the_damage(work):
    raw = work / "abandon_core.raw"
    synth_trace.scenario("abandon_core").write(str(raw))
    data = raw.read_bytes()
    for cut in range(1400, len(data), 97):
        bad = work / "cut.raw"
        bad.write_bytes(data[:cut])
        r = subprocess.run([CHECK, str(bad)], capture_output=True, text=True, cwd=ROOT)
        assert r.returncode in (0, 1), (cut, r.stderr)
        assert "warning" in r.stderr and "offset" in r.stderr


def test_vmcs_cached_seen_from_gpc_free_alone(work):
    """With the VMCS loads lost, gpc_free's vmcs_core still tells where it is cached."""
    w = synth_trace.scenario("vmcs_cached")
    sch = synth_trace.rawtrace.schema()["by_name"]
    drop = {sch[n]["id"] for n in ("vmptrld", "vmcs_lazy_unload", "gpc_load")}
    for cpu in w.records:
        w.records[cpu] = [r for r in w.records[cpu] if r[0] is None or r[1] not in drop]
    raw = work / "cached2.raw"
    w.write(str(raw))
    r = subprocess.run([CHECK, str(raw)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1
    assert "[vmcs-cached-at-free]" in r.stdout and "gpc_free says so" in r.stdout
    assert r.stdout.count("VIOLATION") == 1
