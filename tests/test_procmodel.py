"""The Akaros-style process model, checked from the trace (tracecat).

Scenarios are user programs chosen on the kernel command line
(init=NAME initargs=a,b), run on QEMU with 1 and 4 CPUs (the reference
chain also on Bochs, whose CPU model is stricter):

  - init spawns hello, which runs and exits; init reaps it: the child's
    refcount ends at 0 and it is freed; nothing leaks at shutdown.
  - family: children that leave orphans behind; every process is freed.
  - refchain int: the parent P blocks in waitpid; V (spin) gets SIGINT, and
    its own handler destroys it *on V's core*: the abandon-core chain's steps
    2-10, in order, with the table's refcounts, and P's kthread restarts on
    that core.
  - refchain kill: SIGKILL; the destroy runs on the *sender's* core, and
    P's kthread restarts there.
  - stress: processes killed in every state (running, runnable, asleep);
    nothing leaks.
  - fault: user-mode faults (NULL, kernel address, ud2, divide, a jump
    into the kernel) kill the process, never the kernel.
  - badsys: bad system call arguments give -EFAULT/-EINVAL/... and the
    kernel carries on.
  - the in-kernel self-tests of the process model (ktest=...).

Needs `make` (build/kernel.elf, build/kernel32.elf, build/bin/tracecat);
TKERN_KERNEL names another ELF64 kernel (its kernel32.elf beside it).
"""

import os
import re
import subprocess

import pytest

from conftest import kernel_symbols, on_kvm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL = os.environ.get("TKERN_KERNEL", os.path.join(ROOT, "build", "kernel.elf"))
TRACECAT = os.path.join(ROOT, "build", "bin", "tracecat")
PYTHON = "/usr/bin/python3"

PROC_KTESTS = [
    "kref_get_put_and_free",
    "kref_get_from_zero_is_refused_and_reported",
    "kref_underflow_is_refused_and_reported",
    "kmsg_routine_fifo_and_no_ipi_to_self",
    "kmsg_immediate_fifo_via_ipi",
    "kmsg_routine_to_other_core_runs_there",
    "kthread_block_restart_switches_cur_proc",
]


class Run:
    def __init__(self, out):
        self.out = out
        self.status = (out / "status").read_text().strip()
        self.console = (out / "console.log").read_text(errors="replace")
        self.events = []
        raw = out / "trace.raw"
        if raw.exists():
            text = subprocess.run([TRACECAT, "--elf", KERNEL, str(raw)], capture_output=True,
                                  text=True, timeout=120).stdout
            self.events = [parse(line) for line in text.splitlines() if line and line[0].isdigit()]

    def find(self, name, **fields):
        return [e for e in self.events if e["event"] == name and matches(e, fields)]


def parse(line):
    parts = line.split()
    ev = {"ts": int(parts[0]), "cpu": int(parts[1]), "event": parts[2], "line": line}
    for kv in parts[3:]:
        if "=" in kv:
            k, v = kv.split("=", 1)
            ev[k] = v
    return ev


def matches(ev, fields):
    return all(str(ev.get(k)) == str(v) for k, v in fields.items())


def boot(tmp_path, cpus, cmdline, tag, emu="qemu"):
    out = tmp_path / f"{tag}-{emu}-{cpus}"
    cmd = [PYTHON, os.path.join(ROOT, "tools", "run.py"), "--emu", emu, "--cpus", str(cpus),
           "--cmdline", cmdline, "--out", str(out), "--kernel", KERNEL, "-q"]
    subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    return Run(out)


def expect_sequence(run, steps):
    """Each step (event, fields) must appear after the previous one; returns
    the matched events. A failure names the step and shows the trace."""
    found, i = [], 0
    for name, fields in steps:
        while i < len(run.events) and not (run.events[i]["event"] == name
                                           and matches(run.events[i], fields)):
            i += 1
        assert i < len(run.events), (
            f"step {len(found)}: no {name} {fields} after "
            f"{found[-1]['line'] if found else 'the start'}\n"
            + "\n".join(e["line"] for e in run.events if e["event"] not in ("irq_enter", "irq_exit")))
        found.append(run.events[i])
        i += 1
    return found


def assert_clean_shutdown(run):
    assert run.status == "success", run.console
    assert "procs: 0 leaked, 0 kref errors" in run.console, run.console
    assert not run.find("proc_leak"), run.console
    assert not run.find("kref_error"), run.console
    # The checks below need the whole story: no record lost.
    assert not run.find("trace_lost"), [e["line"] for e in run.find("trace_lost")]
    # Every process created was freed.
    created = {e["pid"] for e in run.find("proc_create")}
    freed = {e["pid"] for e in run.find("proc_free")}
    assert created and created == freed, (created, freed)


def refs_of(run, pid):
    """The refcount history of pid: (event, old, new, reason, cpu)."""
    return [(e["event"], int(e["old"]), int(e["new"]), e["reason"], e["cpu"])
            for e in run.events if e["event"] in ("kref_get", "kref_put") and e["pid"] == str(pid)]


@pytest.mark.parametrize("emu,cpus", [("qemu", 1), ("qemu", 4), on_kvm("kvm", 4)])
def test_child_spawned_run_exited_reaped_and_freed(tmp_path, emu, cpus):
    run = boot(tmp_path, cpus, "init=init", "hello", emu)
    assert_clean_shutdown(run)
    assert "hello: pid 2" in run.console and "init: reaped pid 2, status 1" in run.console
    expect_sequence(run, [
        ("proc_create", {"pid": 2, "parent": 1}),
        ("proc_state", {"pid": 2, "new": "RUNNING_S"}),
        ("proc_destroy", {"pid": 2}),
        ("proc_state", {"pid": 2, "new": "DYING"}),
        ("reap", {"parent": 1, "child": 2}),
        ("proc_free", {"pid": 2}),
    ])
    history = refs_of(run, 2)
    assert history[-1][2] == 0 and history[-1][3] == "CHILDREN", history
    assert all(new >= 0 for _, _, new, _, _ in history)


@pytest.mark.parametrize("emu,cpus", [("qemu", 1), ("qemu", 4), on_kvm("kvm", 4)])
def test_family_with_orphans_leaks_nothing(tmp_path, emu, cpus):
    run = boot(tmp_path, cpus, "init=family initargs=3", "family", emu)
    assert_clean_shutdown(run)
    assert len(run.find("proc_create")) == 7  # family, 3 children, 3 grandchildren
    assert len(run.find("reap")) == 3


def reference_chain(run, v, p, sig, exact=True, cpu=None):
    """the abandon-core chain's steps 2-10 for V=v, P=p, with the table's
    refcounts of V. Returns the events of the steps.

    exact=False (several CPUs): another core may hold a transient ref on V
    at the same time (the killer's pid2proc in sys_kill overlaps V's own
    reaction on V's core), which shifts the counts and may move the last put
    there; then each step is checked by reason and direction, and V's free
    is checked apart."""
    steps = REFERENCE_STEPS(v, p, sig)
    if cpu is not None:
        # Every step on one core (V's): other cores' events may interleave.
        steps = [(name, dict(f, cpu=cpu)) for name, f in steps]
    if not exact:
        steps = [(name, {k: x for k, x in f.items() if k not in ("old", "new")})
                 for name, f in steps if name != "proc_free"]
    found = expect_sequence(run, steps)
    if not exact:
        for (name, f), e in zip(steps, found):
            if name in ("kref_get", "kref_put"):
                assert int(e["new"]) - int(e["old"]) == (1 if name == "kref_get" else -1)
        assert run.find("proc_free", pid=v), "V never freed"
    return found


def REFERENCE_STEPS(v, p, sig):
    return [
        # 2: V's handler calls sys_proc_destroy on itself: +1 transient (5)
        ("signal_deliver", {"pid": v, "sig": sig}),
        ("kref_get", {"pid": v, "old": 4, "new": 5, "reason": "LOOKUP"}),
        ("proc_destroy", {"pid": v, "state": "RUNNING_S"}),
        # 3: a routine __death to V's own core
        ("kmsg_send", {"handler": "__death", "type": "routine"}),
        # 4: DYING, scheduler ref dropped (4)
        ("proc_state", {"pid": v, "new": "DYING"}),
        ("kref_put", {"pid": v, "old": 5, "new": 4, "reason": "SCHED"}),
        # 5: parent signalled: P's kthread woken, __launch_kthread queued here
        ("kthread_wake", {"pid": p}),
        ("kmsg_send", {"handler": "__launch_kthread", "type": "routine"}),
        # 6: sys_proc_destroy drops its transient ref (3)
        ("kref_put", {"pid": v, "old": 4, "new": 3, "reason": "LOOKUP"}),
        # 7: proc_restartcore drains: __death -> clear_owning_proc (2)
        ("kmsg_dispatch_begin", {"handler": "__death"}),
        ("owning_proc", {"old": v, "new": 0}),
        ("kref_put", {"pid": v, "old": 3, "new": 2, "reason": "OWNING"}),
        # 8: __launch_kthread -> restart_kthread: P's page tables, cur_proc = P (1)
        ("kmsg_dispatch_begin", {"handler": "__launch_kthread"}),
        ("kthread_restart", {"pid": p}),
        ("cur_proc", {"old": v, "new": p}),
        ("kref_put", {"pid": v, "old": 2, "new": 1, "reason": "CUR_PROC"}),
        # 9: P's wait reaps V: children-list ref dropped -> __proc_free(V) (0)
        ("reap", {"parent": p, "child": v}),
        ("kref_put", {"pid": v, "old": 1, "new": 0, "reason": "CHILDREN"}),
        ("proc_free", {"pid": v}),
        # 10: the syscall returns; nobody owns the core: abandon_core
        ("abandon_core", {"pid": p}),
    ]


@pytest.mark.parametrize("emu,cpus", [("qemu", 1), ("qemu", 4), ("bochs", 1), ("bochs", 2),
                                      on_kvm("kvm", 4)])
def test_sigint_victim_destroys_itself_on_its_own_core(tmp_path, emu, cpus):
    run = boot(tmp_path, cpus, "init=refchain initargs=int", "sigint", emu)
    assert_clean_shutdown(run)
    assert "refchain: reaped V=2 status 130" in run.console, run.console
    # Steps 2-10 all happen on V's core: the one the signal is delivered on.
    delivered = run.find("signal_deliver", pid=2, sig="SIGINT")
    assert delivered, run.console
    v_core = delivered[0]["cpu"]
    if emu == "kvm":
        # Real concurrency: the killer's exit may wake P first, on another
        # core, and P then reaps V there. What holds in every interleaving:
        # V destroys itself on its own core, with a __death to that core.
        steps = expect_sequence(run, [
            ("signal_deliver", {"pid": 2, "sig": "SIGINT", "cpu": v_core}),
            ("proc_destroy", {"pid": 2, "state": "RUNNING_S", "cpu": v_core}),
            ("kmsg_send", {"handler": "__death", "type": "routine", "cpu": v_core}),
            ("proc_state", {"pid": 2, "new": "DYING", "cpu": v_core}),
            ("kmsg_dispatch_begin", {"handler": "__death", "cpu": v_core}),
        ])
        assert steps[2]["dst"] == str(v_core), steps[2]["line"]
        assert run.find("reap", parent=1, child=2) and run.find("proc_free", pid=2)
        return
    steps = reference_chain(run, v=2, p=1, sig="SIGINT", exact=cpus == 1, cpu=v_core)
    # __death and __launch_kthread went to that same core, without an IPI.
    for s in steps:
        if s["event"] == "kmsg_send":
            assert s["dst"] == str(v_core), s["line"]
    t0, t1 = steps[0]["ts"], steps[-1]["ts"]
    assert not [e for e in run.find("ipi_send", dst=v_core) if t0 <= e["ts"] <= t1]
    # V was running when the signal arrived: its refs were L, K, O, C = 4
    # (plus, on several CPUs, perhaps the killer's transient one).
    assert steps[1]["old"] == "4" or (cpus > 1 and steps[1]["old"] == "5")


@pytest.mark.parametrize("emu,cpus", [("qemu", 1), ("qemu", 4), ("bochs", 2), on_kvm("kvm", 4)])
def test_sigkill_destroys_from_the_senders_core(tmp_path, emu, cpus):
    run = boot(tmp_path, cpus, "init=refchain initargs=kill", "sigkill", emu)
    assert_clean_shutdown(run)
    steps = expect_sequence(run, [
        ("signal_send", {"from": 3, "to": 2, "sig": "SIGKILL"}),
        ("proc_destroy", {"pid": 2}),
        ("proc_state", {"pid": 2, "new": "DYING"}),
        ("kthread_wake", {"pid": 1}),
        ("kthread_restart", {"pid": 1}),
        ("reap", {"parent": 1, "child": 2}),
        ("proc_free", {"pid": 2}),
    ])
    sender = steps[0]["cpu"]
    # The destroy, the wake-up and P's restart all run on the sender's core.
    assert steps[1]["cpu"] == steps[3]["cpu"] == steps[4]["cpu"] == sender, \
        [s["line"] for s in steps]
    assert steps[3]["target"] == str(sender)
    assert not run.find("signal_deliver", pid=2)
    if cpus > 1:
        # V ran elsewhere: __death went there, by IPI.
        death = run.find("kmsg_send", handler="__death")
        v_death = [d for d in death if d["ts"] > steps[1]["ts"]][0]
        assert v_death["dst"] != sender or v_death["cpu"] == sender


# 8 CPUs again: the reported 'proc_tree' deadlock panic at 8 (a pause-spinning
# waiter starving the holder's vCPU under QEMU 7.2 -icount) does not reproduce
# with this command line, neither at 795ac1e nor since.
@pytest.mark.parametrize("emu,cpus", [("qemu", 1), ("qemu", 4), ("qemu", 8), on_kvm("kvm", 8)])
def test_stress_kills_in_every_state_leak_nothing(tmp_path, emu, cpus):
    # On KVM the run takes real seconds (8 vCPUs share the host's cores), and
    # each idle core's timer ticks (irq_enter, core_halt, irq_exit) would
    # wrap its 4096-record ring: measured 7000-8000 records on a core, all
    # but ~1700 of them irq events. The checks need every proc and kref
    # record, so KVM leaves the irq category out.
    quiet = " trace_off=irq" if emu == "kvm" else ""
    run = boot(tmp_path, cpus, "init=stress initargs=14" + quiet, "stress", emu)
    assert_clean_shutdown(run)
    assert "stress: reaped 28" in run.console, run.console
    # Some victims were destroyed while WAITING (a killer asleep).
    assert run.find("proc_destroy", state="WAITING"), run.console
    for pid in {e["pid"] for e in run.find("proc_create")}:
        history = refs_of(run, pid)
        assert history[-1][2] == 0, (pid, history)


@pytest.mark.parametrize("emu,cpus", [("qemu", 1), ("qemu", 4), on_kvm("kvm", 4)])
def test_bad_syscall_arguments_fail_and_kernel_survives(tmp_path, emu, cpus):
    run = boot(tmp_path, cpus, "init=badsys", "badsys", emu)
    assert_clean_shutdown(run)
    assert "BADSYS FAIL" not in run.console, run.console
    m = re.search(r"BADSYS DONE (\d+) passed, (\d+) failed", run.console)
    assert m and int(m.group(1)) >= 25 and m.group(2) == "0", run.console
    assert "PANIC" not in run.console


@pytest.mark.parametrize("emu,cpus", [("qemu", 1), ("qemu", 2), on_kvm("kvm", 2)])
def test_signal_handler_returns_through_sigreturn(tmp_path, emu, cpus):
    run = boot(tmp_path, cpus, "init=init initargs=sigtest", "sigtest", emu)
    assert_clean_shutdown(run)
    assert "SIGTEST FAIL" not in run.console, run.console
    assert "SIGTEST DONE 0 failed" in run.console, run.console
    assert "init: reaped pid 2, status 130" in run.console, run.console
    delivered = [(e["sig"], e["handler"] != "0x0") for e in run.find("signal_deliver", pid=2)]
    assert delivered == [("SIGTERM", True), ("SIGTERM", True), ("SIGINT", False)], delivered


@pytest.mark.parametrize("emu,cpus", [("qemu", 1), ("qemu", 4), on_kvm("kvm", 4)])
def test_user_faults_kill_the_process_not_the_kernel(tmp_path, emu, cpus):
    """Each kind of ring-3 fault kills only its process. Two children also
    jump to syscall_entry themselves, which is what a SYSCALL looks like on
    a hypervisor that skips the privilege change (a kvm_pvm host): with a
    user return address in RCX the kernel finishes it as the system call in
    RAX, with IOPL stripped from R11; with a kernel address it stays a #PF."""
    entry = kernel_symbols(KERNEL)["syscall_entry"][0]
    run = boot(tmp_path, cpus, f"init=fault initargs=lstar={entry:#x}", "fault", emu)
    assert_clean_shutdown(run)
    assert "fault: DONE 0 failed" in run.console, run.console
    for kind, status in (("null", 139), ("kernel", 139), ("ud2", 132), ("div0", 136),
                         ("jump", 139), ("lstar", 0), ("lstar-kernel-rcx", 139)):
        assert re.search(rf"fault: {kind}: pid \d+ status {status}\n", run.console), run.console
    lstar = re.search(r"fault: lstar returned (\d+) \(getpid (\d+)\), IOPL (\d)", run.console)
    assert lstar and lstar.group(1) == lstar.group(2) and lstar.group(3) == "0", run.console
    assert "ring 3 reached syscall_entry without the privilege change" in run.console, run.console
    assert [e["vector"] for e in run.find("proc_fault")] == ["PF", "PF", "UD", "DE", "PF", "PF"]
    # The finished one is traced as the system call it was, not as a fault.
    pid = int(re.search(r"fault: lstar: pid (\d+)", run.console).group(1))
    assert run.find("syscall_enter", pid=pid, num="getpid"), run.console


@pytest.mark.parametrize("emu,cpus", [("qemu", 1), ("qemu", 4), on_kvm("kvm", 4)])
def test_exec_replaces_the_program_under_the_same_pid(tmp_path, emu, cpus):
    run = boot(tmp_path, cpus, "init=init initargs=execdemo,hello", "exec", emu)
    assert_clean_shutdown(run)
    assert "execdemo: exec no-such-program: -2" in run.console, run.console
    assert "execdemo: exec kernel pointer: -14" in run.console, run.console
    assert "hello: pid 2, 1 args: exec'd" in run.console, run.console
    assert "init: reaped pid 2, status 1" in run.console, run.console
    # One process, two programs: the address space changed in place.
    assert len(run.find("proc_create", pid=2)) == 1
    cr3s = {e["new"] for e in run.find("cr3_switch", pid=2)}
    assert len(cr3s) == 2, cr3s


@pytest.mark.parametrize("cpus", [1, 2])
def test_process_model_ktests(tmp_path, cpus):
    run = boot(tmp_path, cpus, "ktest=" + ",".join(PROC_KTESTS), "ktest")
    multi = {"kmsg_routine_to_other_core_runs_there"} if cpus == 1 else set()
    for name in PROC_KTESTS:
        verdict = "SKIP" if name in multi else "PASS"
        assert f"KTEST {verdict} {name}" in run.console, run.console
    assert f"KTEST DONE {len(PROC_KTESTS) - len(multi)} passed, 0 failed" in run.console
    assert run.status == "success"


class Console:
    """QEMU with the serial console on a pipe: send keys, wait for output."""

    def __init__(self, cpus, cmdline, emu="qemu"):
        import fcntl
        kernel32 = os.path.join(os.path.dirname(KERNEL), "kernel32.elf")
        accel = []
        if emu == "kvm":
            # As run.py starts KVM (with the CPU model this KVM accepts).
            import sys
            import types
            sys.path.insert(0, os.path.join(ROOT, "tools"))
            import run as run_py
            accel = run_py.accel_args(types.SimpleNamespace(emu="kvm"))
        self.p = subprocess.Popen(
            ["qemu-system-x86_64", *accel, "-kernel", kernel32, "-append", cmdline,
             "-serial", "stdio", "-display", "none", "-no-reboot", "-m", "256",
             "-smp", str(cpus), "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        fl = fcntl.fcntl(self.p.stdout, fcntl.F_GETFL)
        fcntl.fcntl(self.p.stdout, fcntl.F_SETFL, fl | os.O_NONBLOCK)
        self.text = ""
        self.pos = 0

    def expect(self, pattern, timeout=60):
        import time
        end = time.time() + timeout
        while time.time() < end:
            m = re.compile(pattern, re.M).search(self.text, self.pos)
            if m:
                self.pos = m.end()
                return m
            try:
                chunk = self.p.stdout.read()
            except BlockingIOError:
                chunk = None
            if chunk:
                self.text += chunk.decode(errors="replace")
            elif self.p.poll() is not None:
                break
            else:
                time.sleep(0.05)
        raise AssertionError(f"no /{pattern}/ in console:\n{self.text}")

    def send(self, keys):
        self.p.stdin.write(keys.encode())
        self.p.stdin.flush()

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


@pytest.mark.parametrize("emu,cpus", [("qemu", 1), ("qemu", 2), on_kvm("kvm", 2)])
def test_shell_foreground_ctrl_c_kill9_ps_cores(emu, cpus):
    con = Console(cpus, "init=shell", emu)
    try:
        con.expect(r"^\$ ")
        con.send("hello a b\r")
        con.expect(r"hello: pid 2, 2 args: a b")
        con.expect(r"^\$ ")
        con.send("spin &\r")
        pid = int(con.expect(r"^\[(\d+)\] spin").group(1))
        # Its second line comes after 50 million loops of its own.
        con.expect(rf"spin: pid {pid} still spinning")
        con.send("ps\r")
        # The background spinner: parent's list, scheduler, owning, cur_proc
        # when running (4), or 2 while it waits for a core. Those loops
        # took it ticks of user time (TICKS).
        m = con.expect(rf"^\s+{pid}\s+1 (\S+)\s+-?\d+\s+(\d+)\s+(\d+) spin")
        assert m.group(1) in ("RUNNING_S", "RUNNABLE_S")
        assert int(m.group(2)) == (4 if m.group(1) == "RUNNING_S" else 2)
        assert int(m.group(3)) > 0, m.group(0)
        con.expect(r"^\$ ")
        con.send("cores\r")
        con.expect(r"CORE CUR_PROC OWNING_PROC KTHREAD")
        con.expect(r"^\$ ")
        con.send(f"kill -9 {pid}\r")
        con.expect(rf"kill: sent signal 9 to pid {pid}")
        con.expect(rf"^\[{pid}\] done, status 137|^\$ ")
        # Foreground, then ctrl-c: SIGINT, the victim destroys itself.
        con.send("spin\r")
        fg = int(con.expect(r"spin: pid (\d+) spinning").group(1))
        con.send("\x03")
        con.expect(rf"^\[{fg}\] killed by signal 2")
        con.expect(r"^\$ ")
        con.send("exit\r")
        con.expect(r"procs: 0 leaked, 0 kref errors")
        con.expect(r"TKERN-EXIT: success")
    finally:
        con.close()
