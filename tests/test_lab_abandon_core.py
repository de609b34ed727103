"""The abandon_core lab behaves as labs/abandon-core/README.md and INSTRUCTOR.md say.

Runs the lab through its own driver (tools/lab/lab.py, what `make
lab-abandon-core` runs) and checks the outcomes from the trace (tracecat's
text and tracecheck), not only from the console:

  SIGINT, flag on    Invalid Opcode in the INVEPT wrapper, EPTP 0, after the
                     whole chain of INSTRUCTOR.md, in order
  SIGINT, flag off   clean; the VMM's VMCS cleared before it is freed
  SIGKILL, on / off  clean

on QEMU (1, 2 and 4 CPUs crash, each with the race that decides where)
and Bochs (1 and 2 CPUs); determinism (two runs, the same
trace.raw bytes); tracecheck names the VMCS cached for the freed VMM; and the
autograder fails the unfixed kernel and passes the reference fix (the flag
off, and labs/abandon-core/solution.patch with the flag on).
"""
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"
KERNEL = os.environ.get("TKERN_KERNEL", os.path.join(ROOT, "build", "kernel.elf"))
LAB = os.path.join(ROOT, "tools", "lab", "lab.py")
GRADER = os.path.join(ROOT, "tools", "lab", "grade_abandon_core.py")


class LabRun:
    def __init__(self, out, proc):
        self.out, self.proc = out, proc
        rd = lambda f: open(os.path.join(out, f), errors="replace").read() \
            if os.path.exists(os.path.join(out, f)) else ""
        self.status = rd("status").strip()
        self.console = rd("console.log").replace("\r\n", "\n")
        self.txt = rd("trace.txt")
        self.summary = rd("summary.txt")
        self.tracecheck = rd("tracecheck.txt")
        self.events = []
        for line in self.txt.splitlines():
            p = line.split()
            if len(p) >= 3 and p[0].isdigit():
                f = dict(x.split("=", 1) for x in p[3:] if "=" in x)
                self.events.append(dict(f, ts=int(p[0]), cpu=int(p[1]), event=p[2], line=line))

    def find(self, event, **want):
        return [e for e in self.events if e["event"] == event and
                all(e.get(k) == str(v) for k, v in want.items())]

    def __repr__(self):
        return "<lab run %s: %s>\n%s\n--- console tail ---\n%s" % (
            self.out, self.status, self.summary, "\n".join(self.console.splitlines()[-30:]))


_runs = {}


def lab(tmp_path_factory, emu="qemu", cpus=1, signal="INT", bugs="abandon_core", tag=""):
    key = (emu, cpus, signal, bugs, tag)
    if key not in _runs:
        out = str(tmp_path_factory.mktemp("lab-%s-%d-%s-%s%s" % (emu, cpus, signal, bugs or "off", tag)))
        p = subprocess.run([PY, LAB, "abandon-core", "--emu", emu, "--cpus", str(cpus),
                            "--signal", signal, "--bugs", bugs, "--out", out, "--kernel", KERNEL],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=900)
        _runs[key] = LabRun(out, p)
    return _runs[key]


def expect_in_order(run, steps):
    """Each (event, fields) after the previous one; returns the events matched."""
    got, i = [], 0
    for name, want in steps:
        while i < len(run.events):
            e = run.events[i]
            i += 1
            if e["event"] == name and all(str(e.get(k)) == str(v) for k, v in want.items()):
                got.append(e)
                break
        else:
            pytest.fail("step %s %s not found after %s\n%r" % (
                name, want, got[-1]["line"] if got else "the start", run))
    return got


def check_crash_chain(run):
    """The chain's steps 2-11 (INSTRUCTOR.md), in order, on one core."""
    assert run.status == "panic", run
    sig = run.find("signal_deliver", sig="SIGINT")
    assert sig, run
    v = sig[0]["pid"]
    reap = run.find("reap", child=v)
    assert reap, run
    p = reap[0]["parent"]
    steps = expect_in_order(run, [
        ("vmcs_lazy_unload", {"pid": v}),                            # 1: VMCS lingers
        ("signal_deliver", {"pid": v, "sig": "SIGINT"}),
        ("proc_destroy", {"pid": v}),                                # 2
        ("kmsg_send", {"handler": "__death", "type": "routine"}),    # 3
        ("proc_state", {"pid": v, "new": "DYING"}),                  # 4
        ("kmsg_send", {"handler": "__launch_kthread"}),              # 5
        ("kmsg_dispatch_begin", {"handler": "__death"}),             # 7
        ("owning_proc", {"old": v, "new": 0}),
        ("kref_put", {"pid": v, "reason": "OWNING"}),
        ("kmsg_dispatch_begin", {"handler": "__launch_kthread"}),    # 8
        ("kthread_restart", {"pid": p}),
        ("cur_proc", {"old": v, "new": p}),
        ("kref_put", {"pid": v, "reason": "CUR_PROC"}),
        ("reap", {"parent": p, "child": v}),                         # 9
        ("kref_put", {"pid": v, "new": 0}),
        ("proc_free", {"pid": v}),
        ("gpc_free", {"pid": v}),
        # 10: on V's core (P may have run, and left, another core since)
        ("abandon_core", {"pid": p, "cpu": sig[0]["cpu"]}),
        ("vmclear", {"pid": 0}),                                     # 11: gpc->proc is a FREE slot
        ("invept", {"eptp": "0x0", "how": "VMfailInvalid"}),         # the cause, then
        ("trap", {"vector": "UD"}),                                  # the trap it raised
    ])
    # This kernel: the reap's children-list ref is V's last (step 9).
    last = steps[14]
    assert last["reason"] == "CHILDREN" and last["site"].startswith("__proc_disown_child"), last
    assert steps[12]["site"].startswith("restart_kthread"), steps[12]
    assert "invept" in steps[20]["rip"], steps[20]
    assert steps[18]["site"].startswith("__abandon_core"), steps[18]
    # The whole chain on V's core, and V's VMCS was never cleared while V lived.
    assert len({s["cpu"] for s in steps[1:]}) == 1, [s["line"] for s in steps]
    assert not [e for e in run.find("vmclear", pid=v) if e["ts"] > steps[1]["ts"]]
    inv = run.find("invept")
    assert inv and inv[-1]["eptp"] == "0x0", run
    # tracecheck names the VMCS cached for the freed process.
    assert re.search(r"\[vmcs-cached-at-free\]: pid %s freed while CPU %d still caches the VMCS"
                     % (v, steps[0]["cpu"]), run.tracecheck), run.tracecheck
    return v, p


def check_clean(run):
    assert run.status == "success", run
    assert "procs: 0 leaked, 0 kref errors" in run.console, run
    assert "VIOLATION" not in run.tracecheck, run.tracecheck
    assert "tracecheck: clean" in run.summary, run


def test_lab_files_and_summary(tmp_path_factory):
    run = lab(tmp_path_factory)
    assert run.proc.returncode == 0, run.proc.stdout
    for f in ("console.log", "status", "trace.raw", "trace.txt", "trace.perfetto-trace",
              "refcounts.png", "cpu_lanes.png", "tracecheck.txt", "summary.txt"):
        assert os.path.getsize(os.path.join(run.out, f)) > 0, f
    for f in ("refcounts.png", "cpu_lanes.png"):
        assert open(os.path.join(run.out, f), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    out = run.proc.stdout
    assert "kernel panic: Invalid Opcode" in out and "INVEPT wrapper" in out, out
    assert "INVEPT with EPTP 0x0" in out, out
    assert "ui.perfetto.dev" in out and "nothing is uploaded" in out, out
    assert "make gdb LAB=abandon-core BUGS=abandon_core" in out, out


def test_qemu_sigint_flag_on_crashes_through_the_chain(tmp_path_factory):
    run = lab(tmp_path_factory)
    check_crash_chain(run)
    assert re.search(r"RIP [0-9a-f]+ <emu_do_invept\+", run.console), run
    assert "bugs: abandon_core" in run.console


def test_qemu_sigint_flag_off_is_clean(tmp_path_factory):
    run = lab(tmp_path_factory, bugs="")
    check_clean(run)
    v = run.find("signal_deliver", sig="SIGINT")[0]["pid"]
    clear = run.find("vmclear", pid=v)
    free = run.find("proc_free", pid=v)
    assert clear and free and clear[-1]["ts"] < free[0]["ts"], run
    assert clear[-1]["site"].startswith("clear_owning_proc"), clear[-1]


@pytest.mark.parametrize("bugs", ["abandon_core", ""])
def test_qemu_sigkill_is_clean(tmp_path_factory, bugs):
    run = lab(tmp_path_factory, signal="KILL", bugs=bugs)
    check_clean(run)
    kill = run.find("signal_send", sig="SIGKILL")
    assert kill, run
    # Destroyed from the sender's core, by the sender: no signal delivered to V.
    assert not run.find("signal_deliver", pid=kill[0]["to"])
    assert run.find("proc_free", pid=kill[0]["to"])


def multi_cpu_race(run):
    """On several CPUs ctrl-c is polled on core 0 and `tty_poll` holds a
    transient LOOKUP ref on V (pid2proc) until it returns; V's core runs the
    self-destroy, `__death`, the restart of P's kthread and the reap. Whether
    it crashes is decided by which comes first: V's core's `__abandon_core`
    (clears V's lingering VMCS while that LOOKUP ref still pins V: clean) or
    the last put (V freed while V's core's slot holds its GPC: crash there).
    Returns V's core, the first abandon_core of V's core after the reap, the
    proc_free, the gpc_free and the last put of V."""
    sig = run.find("signal_deliver", sig="SIGINT")
    assert sig, run
    v, core, t0 = sig[0]["pid"], sig[0]["cpu"], sig[0]["ts"]
    reap = run.find("reap", child=v)
    assert reap, run
    p = reap[0]["parent"]
    restart = [e for e in run.find("kthread_restart", pid=p) if e["ts"] > t0]
    # The kthread is woken on the waker's core, V's: restart and reap run there.
    assert restart and restart[0]["cpu"] == core and reap[0]["cpu"] == core, run
    free, gfree = run.find("proc_free", pid=v), run.find("gpc_free", pid=v)
    last = run.find("kref_put", pid=v, new=0)
    assert free and gfree and last, run
    ab = [e for e in run.find("abandon_core", pid=p) if e["cpu"] == core and e["ts"] > reap[0]["ts"]]
    assert ab, run
    return v, core, ab[0], free[0], gfree[0], last[0]


def check_lookup_dropped_before_the_signal(run):
    """The multi-CPU crash where tty_poll (core 0) dropped its LOOKUP ref on
    V before V even took the signal: as on 1 CPU, the reap's CHILDREN put
    on V's core is the last and frees V while that core's lazy slot still
    holds V's GPC. Returns V's core."""
    check_crash_chain(run)
    v = run.find("signal_deliver", sig="SIGINT")[0]
    assert run.find("signal_send", sig="SIGINT")[0]["cpu"] == 0
    _, core, ab, free, gfree, last = multi_cpu_race(run)
    assert v["cpu"] == core and "APIC ID %d" % core in run.console, run
    tp = [e for e in run.find("kref_put", pid=v["pid"], reason="LOOKUP")
          if e["site"].startswith("tty_poll")]
    assert tp and tp[-1]["ts"] < v["ts"] and tp[-1]["cpu"] == 0, tp
    assert last["reason"] == "CHILDREN" and last["cpu"] == core, last
    assert free["ts"] < ab["ts"] and gfree["vmcs_core"] == str(core), (free, ab, gfree)
    return core


def test_qemu_two_cpus_crashes_on_vs_core_because_tty_poll_let_go_first(tmp_path_factory):
    """Measured (INSTRUCTOR.md, answer 9): QEMU, 2 CPUs: the poked core 1 runs V and
    the whole chain; core 0's tty_poll dropped its LOOKUP ref before V took
    the signal, so the reap's CHILDREN put on core 1 frees V with core 1's
    slot holding it. (Before system calls entered through SYSCALL, core 0
    still held that ref at the reap and this run ended clean: the race is
    that fine.)"""
    assert check_lookup_dropped_before_the_signal(lab(tmp_path_factory, cpus=2)) == 1


def test_qemu_four_cpus_crashes_on_vs_core_because_the_free_comes_first(tmp_path_factory):
    """Measured: QEMU, 4 CPUs: V runs on core 2 and the same race goes the
    other way: core 2's __sched_poke to core 0 (pause after the ICR write)
    lets core 0 finish tty_poll and drop the last ref before core 2
    abandons; V is freed while core 2's slot holds its GPC; core 2 crashes."""
    run = lab(tmp_path_factory, cpus=4)
    assert run.status == "panic", run
    v, core, ab, free, gfree, last = multi_cpu_race(run)
    assert core == 2 and "APIC ID 2" in run.console, run
    assert free["ts"] < ab["ts"] and gfree["vmcs_core"] == str(core), (free, ab, gfree)
    assert last["reason"] == "LOOKUP" and last["site"].startswith("tty_poll") and last["cpu"] == 0, last
    after = [e for e in run.events if e["ts"] > ab["ts"] and e["cpu"] == core]
    assert after[0]["event"] == "vmclear" and after[0]["pid"] == "0", after[:3]
    # The failed INVEPT (with EPTP 0), its vmx_insn_fail, then the trap it raised.
    assert after[1]["event"] == "invept" and after[1]["eptp"] == "0x0", after[:4]
    assert after[2]["event"] == "vmx_insn_fail" and after[2]["insn"] == "INVEPT", after[:4]
    assert after[3]["event"] == "trap" and after[3]["vector"] == "UD" and "invept" in after[3]["rip"], after[:4]
    assert re.search(r"\[vmcs-cached-at-free\]: pid %s freed while CPU %d still caches the VMCS"
                     % (v, core), run.tracecheck), run.tracecheck


@pytest.mark.parametrize("emu", ["qemu", "bochs"])
def test_determinism_byte_identical_trace(tmp_path_factory, emu):
    a = lab(tmp_path_factory, emu=emu)
    b = lab(tmp_path_factory, emu=emu, tag="again")
    ra = open(os.path.join(a.out, "trace.raw"), "rb").read()
    rb = open(os.path.join(b.out, "trace.raw"), "rb").read()
    assert ra == rb, "two runs of the lab gave different trace.raw"


def test_bochs_sigint_flag_on_crashes_through_the_chain(tmp_path_factory):
    run = lab(tmp_path_factory, emu="bochs")
    check_crash_chain(run)
    assert re.search(r"RIP [0-9a-f]+ <hw_do_invept\+", run.console), run
    assert "INVEPT failed" in run.console and "[hardware backend]" in run.console, run


def test_bochs_invept_is_vmfailinvalid(tmp_path_factory):
    """Not Akaros's VMfailValid error 28 (Akaros's report): the SDM's
    VMfailValid needs a current VMCS, and the VMCLEAR just before the INVEPT
    in __vmx_clear_vmcs clears the lingering VMCS, which was the current one.
    Bochs's real VMX reports VMfailInvalid, as the model does (test_vmx.py:
    invept0_nocurrent)."""
    run = lab(tmp_path_factory, emu="bochs")
    fail = run.find("vmx_insn_fail", insn="INVEPT")
    assert fail and fail[-1]["how"] == "VMfailInvalid" and fail[-1]["error"] == "0", run
    clr = [e for e in run.find("vmclear") if e["ts"] < fail[-1]["ts"]]
    assert clr and clr[-1]["pid"] == "0" and clr[-1]["cpu"] == fail[-1]["cpu"], run
    assert re.search(r"INVEPT failed \(operand 0\): VMfailInvalid \(no current VMCS\) "
                     r"\[hardware backend\]", run.console), run
    assert not re.search(r"VMfailValid", run.console), run


def test_bochs_two_cpus_crashes_on_the_vmms_core(tmp_path_factory):
    """Measured (INSTRUCTOR.md, answer 9): on Bochs with 2 CPUs the VMM runs on core 1, and so does the
    whole chain: ctrl-c is polled on core 0, the signal goes to core 1,
    and tty_poll's LOOKUP ref is gone before the signal is taken."""
    assert check_lookup_dropped_before_the_signal(lab(tmp_path_factory, emu="bochs", cpus=2)) == 1


@pytest.mark.parametrize("signal,bugs", [("INT", ""), ("KILL", "abandon_core")])
def test_bochs_clean_outcomes(tmp_path_factory, signal, bugs):
    check_clean(lab(tmp_path_factory, emu="bochs", signal=signal, bugs=bugs))


# ---- the autograder, on a copy of this working tree -------------------------

@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A clone of this repository's HEAD, built: the committed tree (a working
    tree others are editing may be half-written; CI checks out HEAD anyway)."""
    if not os.path.isdir(os.path.join(ROOT, ".git")):
        pytest.skip("not a git checkout")
    dst = str(tmp_path_factory.mktemp("grade-tree"))
    subprocess.run(["git", "clone", "-q", ROOT, dst], check=True)
    os.makedirs(os.path.join(dst, "build"), exist_ok=True)
    open(os.path.join(dst, "build", ".setup-done"), "w").close()
    r = subprocess.run(["make", "-s", "-j2", "all"], cwd=dst, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout[-3000:]
    return dst


def grade(tree, *args):
    r = subprocess.run([PY, os.path.join(tree, "tools", "lab", "grade_abandon_core.py")] + list(args),
                       cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=900)
    return r.returncode, r.stdout


def test_grader_fails_the_unfixed_kernel_and_flag_machinery_changes(tree):
    """The unfixed kernel fails; so does a change to kernel/bugs.* (e.g. making
    bug_on() ignore the flag), which is not a fix. One grading run for both:
    the protected-file check and the runs are independent checks."""
    path = os.path.join(tree, "kernel", "bugs.def")
    orig = open(path).read()
    try:
        open(path, "w").write(orig + "\n")
        rc, out = grade(tree, "--no-build")
    finally:
        open(path, "w").write(orig)
    assert rc == 1 and out.rstrip().splitlines()[-1].startswith("FAIL"), out
    assert "FAIL  no protected file changed since HEAD: changed: kernel/bugs.def" in out, out
    assert "FAIL  SIGINT: tracecheck finds no violation" in out, out
    assert "ok    SIGKILL: the run ends clean" in out, out


def test_grader_passes_the_reference_ordering(tree):
    rc, out = grade(tree, "--no-build", "--bugs", "")
    assert rc == 0 and out.rstrip().endswith("PASS"), out


def test_grader_passes_the_reference_fix_with_the_flag_on(tree):
    patch = os.path.join(tree, "labs", "abandon-core", "solution.patch")
    subprocess.run(["git", "apply", patch], cwd=tree, check=True)
    try:
        rc, out = grade(tree)        # builds the patched tree, flag on
        assert rc == 0 and out.rstrip().endswith("PASS"), out
        assert "ok    SIGINT: the kernel still reports bugs: abandon_core" in out, out
    finally:
        subprocess.run(["git", "apply", "-R", patch], cwd=tree, check=True)


# ---- the interactive form: the shell, ctrl-c and kill -9 --------------------

def test_interactive_shell_ctrl_c_crashes_kill9_does_not():
    from test_procmodel import Console
    con = Console(1, "init=shell bugs=abandon_core")
    try:
        con.expect(r"^\$ ")
        con.send("vmm\r")
        con.expect(r"guest: spinning")
        con.send("\x03")
        con.expect(r"vmm: signal 2: destroying myself")
        con.expect(r"INVEPT failed")
        con.expect(r"^PANIC: Invalid Opcode")
        con.expect(r"TKERN-EXIT: panic")
    finally:
        con.close()
    con = Console(1, "init=shell bugs=abandon_core")
    try:
        con.expect(r"^\$ ")
        con.send("vmm &\r")
        con.expect(r"guest: spinning")
        con.send("kill -9 2\r")
        con.expect(r"kill: sent signal 9 to pid 2")
        con.send("exit\r")
        con.expect(r"TKERN-EXIT: success")
        assert "PANIC" not in con.text, con.text
    finally:
        con.close()
