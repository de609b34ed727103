"""GDB workflow tests: the tk-* commands against a kernel stopped in QEMU.

Each test boots the kernel in QEMU paused (-S) with a gdbstub on a free
port, drives a batch GDB with the helpers from tools/gdb/ loaded, stops at
a function of a scripted scenario and checks what the commands print
against the trace the kernel recorded up to that instant:

  - tk-ps: every pid's refcount and state equal the last kref_get/kref_put
    and proc_state events of that pid; the live pids are the ones created
    and not freed.
  - tk-cpus: each CPU's cur_proc and owning_proc equal its last cur_proc
    and owning_proc events.
  - tk-trace-dump: tracecat decodes the file, and per CPU its events are
    exactly the first events of the same scenario run to completion by
    tools/run.py (QEMU with -icount shift=0,sleep=off is deterministic, and
    nothing changes before the first stop; see test_dump_is_prefix_of_full_run
    for what the stop itself does).
  - tk-kmsgs: the queues hold exactly the KMSGs the trace shows sent and
    not yet dispatched.
  - tk-trace N: the last N lines of tracecat on the same dump.
  - a command run before the kernel has paging on says so in one line.
  - the abandon-core lab's scenario (its command line from tools/lab/lab.py),
    with the bug flag on and off: at __proc_free of the VMM, tk-cpus shows
    the lazy VMCS slot as course-notes/gdb.md says a student will see it.
  - on a kernel without the later layers' fields and symbols, each command
    names what is missing and shows the rest.

Needs build/kernel.elf, build/kernel32.elf, build/bin/{tracecat,traceextract}
(`make`), gdb and qemu-system-x86_64.
"""

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
ELF = os.path.join(BUILD, "kernel.elf")
ELF32 = os.path.join(BUILD, "kernel32.elf")
TRACECAT = os.path.join(BUILD, "bin", "tracecat")
HELPERS = os.path.join(ROOT, "tools", "gdb", "tkern.py")

# The scenario: the default boot, where init spawns `hello` and waits for it;
# the breakpoint is hello's __proc_free, reached from the reap, with cores,
# refs and KMSGs in motion. CPUS=2 so that per-CPU state and cross-core
# KMSGs are exercised.
SCENARIO_CMDLINE = ""
SCENARIO_CPUS = 2
BREAK_AT = "__proc_free"

GDB_TIMEOUT = 180
MARK = "@@TK@@"


def load_run_py():
    spec = importlib.util.spec_from_file_location("tkern_run", os.path.join(ROOT, "tools", "run.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def kernel_has_function(name):
    """Whether GDB can break at `name` (static and inlined ones included,
    which nm does not always list)."""
    p = subprocess.run(["gdb", "-batch", "-nx", "-ex", f"file {ELF}", "-ex", f"info line {name}"],
                       capture_output=True, text=True)
    return p.returncode == 0 and "not defined" not in p.stdout + p.stderr


@pytest.fixture(scope="module")
def env():
    for tool in ("gdb", "qemu-system-x86_64"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (tools/setup.sh)")
    for f in (ELF, ELF32, TRACECAT, os.path.join(BUILD, "bin", "traceextract")):
        if not os.path.isfile(f):
            pytest.fail(f"{f} missing: run 'make' first")
    return dict(run=load_run_py())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PausedQemu:
    """QEMU exactly as tools/run.py starts it, plus -S and a gdbstub."""

    def __init__(self, run, out, cmdline, cpus):
        class A:
            pass
        a = A()
        a.cmdline, a.cpus = cmdline, cpus
        self.port = free_port()
        argv = run.qemu_argv(a, out, ELF32, None)
        argv += ["-S", "-gdb", f"tcp:127.0.0.1:{self.port}"]
        self.log = open(os.path.join(out, "qemu-gdb.log"), "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        # Wait until the stub listens (QEMU opens it before running anything).
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.close()
        raise RuntimeError(f"QEMU's gdbstub did not come up on port {self.port}")

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
        self.log.close()


def kernel_has_field(struct, name):
    p = subprocess.run(["gdb", "-batch", "-nx", "-ex", f"file {ELF}", "-ex", f"ptype struct {struct}"],
                       capture_output=True, text=True)
    return re.search(rf"\b{name};", p.stdout) is not None


def run_gdb(env, out, commands, cmdline=SCENARIO_CMDLINE, cpus=SCENARIO_CPUS, timeout=GDB_TIMEOUT):
    """Batch GDB against a paused QEMU; returns {command: its output}."""
    q = PausedQemu(env["run"], out, cmdline, cpus)
    try:
        argv = ["gdb", "-batch", "-nx", "-ex", "set pagination off",
                "-ex", f"file {ELF}", "-ex", f"source {HELPERS}",
                "-ex", f"target remote 127.0.0.1:{q.port}"]
        for c in commands:
            argv += ["-ex", f"echo {MARK} {c}\\n", "-ex", c]
        # Bound the last command's output (GDB's own exit message follows).
        argv += ["-ex", f"echo {MARK} _end\\n"]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=out)
    finally:
        q.close()
    with open(os.path.join(out, "gdb.log"), "w") as f:
        f.write(p.stdout + "\n--- stderr\n" + p.stderr)
    text = p.stdout + p.stderr
    results, seq = {}, []
    # GDB prints command errors to stderr and the echo markers to stdout; in
    # batch mode both keep order within their stream, so errors are matched
    # to commands by the "tk-...:" prefix the helpers give them.
    for chunk in p.stdout.split(MARK + " ")[1:]:
        cmd, _, body = chunk.partition("\n")
        results[cmd] = body
        seq.append((cmd, body))
    results["_seq"] = seq
    results["_stderr"] = p.stderr
    results["_all"] = text
    return results


def tracecat(path, *opts):
    p = subprocess.run([TRACECAT, "--elf", ELF, *opts, path], capture_output=True, text=True)
    return p


def parse_events(text):
    """[(cpu, event, {field: value})] from tracecat lines."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 3 or not parts[0].isdigit():
            continue
        fields = dict(kv.split("=", 1) for kv in parts[3:] if "=" in kv)
        out.append((int(parts[1]), parts[2], fields, line))
    return out


@pytest.fixture(scope="module")
def stopped(env, tmp_path_factory):
    """One GDB session stopped at BREAK_AT in the scenario, and its dump."""
    assert kernel_has_function(BREAK_AT), f"{BREAK_AT} is not in the kernel: the test breaks there"
    out = str(tmp_path_factory.mktemp("gdb"))
    dump = os.path.join(out, "at-break.raw")
    r = run_gdb(env, out, [f"break {BREAK_AT}", "continue", "tk-ps", "tk-cpus",
                           "tk-kmsgs", f"tk-trace-dump {dump}", "tk-trace 15"])
    if not os.path.isfile(dump):
        pytest.fail("tk-trace-dump wrote nothing; gdb said:\n" + r["_all"][-3000:])
    assert f"in {BREAK_AT}" in r["continue"] or BREAK_AT in r["continue"], r["_all"][-2000:]
    cat = tracecat(dump)
    return dict(out=out, r=r, dump=dump, cat=cat, events=parse_events(cat.stdout))


def test_dump_decodes(stopped):
    assert stopped["cat"].returncode == 0, stopped["cat"].stderr
    assert stopped["events"], "the dump holds no events"


def breaking_cpu(stopped):
    """The CPU that hit the breakpoint: QEMU's gdbstub names CPU n thread n+1."""
    m = re.search(r"Thread (\d+) hit Breakpoint", stopped["r"]["continue"])
    return int(m.group(1)) - 1 if m else 0


def test_dump_is_prefix_of_full_run(env, stopped, tmp_path):
    """The dump is the full run's trace cut at the breakpoint.

    The cut is the breaking CPU's last event (its instant, in the shared
    icount clock). That CPU's events are exactly the first ones of the full
    run; every CPU's events up to the cut are exactly the full run's.
    After the cut, another CPU may have run on a little: stopping the VM
    kicks halted vCPUs, so one that sat in hlt with an interrupt pending
    takes it as the stop happens (seen with QEMU 7.2, -icount: an IPI to a
    halted CPU waits for a kick). Those events are after the breakpoint and
    are not compared.
    """
    run = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "run.py"),
                          "--cpus", str(SCENARIO_CPUS), "--cmdline", SCENARIO_CMDLINE,
                          "--out", str(tmp_path), "-q"],
                         capture_output=True, text=True, timeout=300)
    raw = os.path.join(tmp_path, "trace.raw")
    assert os.path.isfile(raw), run.stdout + run.stderr
    full = parse_events(tracecat(raw).stdout)
    part = stopped["events"]
    brk = breaking_cpu(stopped)
    mine = [l for c, _, _, l in part if c == brk]
    assert mine, f"no events from CPU {brk}, which hit the breakpoint"
    assert mine == [l for c, _, _, l in full if c == brk][:len(mine)], \
        f"CPU {brk} (the breakpoint's): the dump diverges from the full run"
    cut = int(mine[-1].split()[0])

    def upto(events, cpu):
        return [l for c, _, _, l in events if c == cpu and int(l.split()[0]) <= cut]
    for cpu in sorted({c for c, *_ in full} | {c for c, *_ in part}):
        assert upto(part, cpu) == upto(full, cpu), \
            f"CPU {cpu}: events up to the breakpoint differ from the full run"
    # The breakpoint stopped the kernel before its end: the full run went on.
    assert len(upto(full, brk)) < len([1 for c, *_ in full if c == brk])


def ps_rows(text):
    lines = [l for l in text.splitlines() if l.strip()]
    head = lines[0].split()
    assert head[:6] == ["SLOT", "PID", "NAME", "STATE", "REFS", "PARENT"], text
    rows = {}
    for l in lines[1:]:
        cols = l.split()
        if not cols[0].isdigit():
            continue
        rows[int(cols[1])] = dict(zip(head, cols))
    return rows


def test_tk_ps_matches_trace(stopped):
    rows = ps_rows(stopped["r"]["tk-ps"])
    refs, state, live = {}, {}, set()
    for _, ev, f, _ in stopped["events"]:
        if ev in ("kref_get", "kref_put"):
            refs[int(f["pid"])] = int(f["new"])
        elif ev == "proc_state":
            state[int(f["pid"])] = f["new"]
        elif ev == "proc_create":
            live.add(int(f["pid"]))
        elif ev == "proc_free":
            live.discard(int(f["pid"]))
    # At __proc_free's first line the proc being freed still has its slot:
    # its last kref_put (to 0) is traced, its proc_free not yet.
    assert set(rows) == live, stopped["r"]["tk-ps"]
    for pid, row in rows.items():
        assert int(row["REFS"]) == refs.get(pid, 0), f"pid {pid}: {row}"
        if pid in state:
            assert row["STATE"] == state[pid], f"pid {pid}: {row}"
    assert any(int(r["REFS"]) == 0 for r in rows.values()), \
        "stopped in __proc_free, yet no proc has refcount 0"


def cpu_blocks(text):
    blocks, cur = {}, None
    for l in text.splitlines():
        m = re.match(r"CPU (\d+)", l)
        if m:
            cur = blocks.setdefault(int(m.group(1)), {})
        elif cur is not None and l.startswith("  "):
            key, _, val = l.strip().partition(" ")
            cur[key] = val.strip()
    return blocks


def test_tk_cpus_matches_trace(stopped):
    blocks = cpu_blocks(stopped["r"]["tk-cpus"])
    assert sorted(blocks) == list(range(SCENARIO_CPUS)), stopped["r"]["tk-cpus"]
    last = {}
    for cpu, ev, f, _ in stopped["events"]:
        if ev in ("cur_proc", "owning_proc"):
            last[(cpu, ev)] = int(f["new"])
    for cpu, b in blocks.items():
        for ev in ("cur_proc", "owning_proc"):
            shown = b[ev]
            pid = 0 if shown == "-" else int(shown.split()[0])
            assert pid == last.get((cpu, ev), 0), f"CPU {cpu} {ev}: {shown!r}"
        for key in ("owning_vcoreid", "cur_kthread", "gpc_to_clear_to", "kmsgs"):
            assert key in b, f"CPU {cpu}: no {key} line"


def test_tk_kmsgs_matches_trace(env, tmp_path):
    """Stopped in __death (a routine KMSG, sent by proc_destroy to its own
    core), the queues tk-kmsgs lists are the messages the trace shows sent
    and not yet dispatched, in FIFO order, for every CPU."""
    assert kernel_has_function("__death"), "__death is not in the kernel: the test breaks there"
    dump = os.path.join(str(tmp_path), "at-death.raw")
    r = run_gdb(env, str(tmp_path), ["break __death", "continue", "tk-kmsgs",
                                     f"tk-trace-dump {dump}"])
    events = parse_events(tracecat(dump).stdout)
    pending = {}
    for cpu, ev, f, _ in events:
        if ev == "kmsg_send":
            pending.setdefault((int(f["dst"]), f["type"]), []).append(f["handler"])
        elif ev == "kmsg_dispatch_begin":
            queue = pending.get((cpu, f["type"]), [])
            assert queue and queue[0] == f["handler"], f"dispatch out of FIFO order: {f}"
            queue.pop(0)
    shown, key = {}, None
    for line in r["tk-kmsgs"].splitlines():
        m = re.match(r"CPU (\d+) (\w+):", line)
        if m:
            key = (int(m.group(1)), m.group(2))
            shown[key] = []
        elif key and re.match(r"\s+\d+: ", line):
            shown[key].append(line.split(": ", 1)[1].split("(")[0])
    brk = breaking_cpu(dict(r=r))
    assert (brk, "routine") in shown, r["tk-kmsgs"]
    # The breaking CPU stopped at a known instant; other CPUs may have
    # been mid-dequeue when the machine stopped, so only it is compared.
    for kind in ("immediate", "routine"):
        assert shown[(brk, kind)] == pending.get((brk, kind), []), (kind, r["tk-kmsgs"])
    assert shown[(brk, "routine")], "nothing queued behind __death: the check would be empty"


def test_tk_trace_is_tail_of_tracecat(stopped):
    want = stopped["cat"].stdout.splitlines()[-15:]
    got = [l for l in stopped["r"]["tk-trace 15"].splitlines() if l.strip()]
    assert got == want


def test_helpers_before_paging_fail_cleanly(env, tmp_path):
    """At QEMU's first instruction the kernel's higher half is not mapped:
    every command must say so in one line, not with a Python traceback."""
    r = run_gdb(env, str(tmp_path), ["tk-ps", "tk-cpus", "tk-trace 5"])
    assert "Traceback" not in r["_all"], r["_all"]
    assert "Python Exception" not in r["_all"], r["_all"]
    errors = [l for l in r["_stderr"].splitlines() if l.startswith("tk-")]
    assert len(errors) == 3, r["_all"]


def lab_cmdline(lab, bugs):
    """The lab's scenario as tools/lab/lab.py gives it to make run/gdb."""
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "lab", "lab.py"), lab,
                        "--print-cmdline", "--bugs", bugs], capture_output=True, text=True)
    if p.returncode != 0 or not p.stdout.strip():
        pytest.skip(f"no lab {lab} ({p.stderr.strip()})")
    return p.stdout.strip()


@pytest.mark.parametrize("bugs", ["abandon_core", ""])
def test_lazy_vmcs_slot_at_vmm_free(env, tmp_path, bugs):
    """The lab's GDB route (course-notes/gdb.md): stop at __proc_free of the
    VMM in the abandon-core scenario and read the lazy VMCS slot.

    Without the flag the slot is already empty there: clear_owning_proc
    cleared it while owning_proc still pinned the GPC (the invariant of
    the abandon-core chain). With the flag it still names the VMM's GPC;
    once __proc_free is done, tk-cpus must show it dangling from the
    kernel's real freed state (GPC slot released, VMCS page poisoned,
    gpc->proc a FREE slot reading EPTP 0), and the next vmx_clear_vmcs
    comes from __abandon_core.
    """
    if not kernel_has_field("per_cpu_info", "gpc_to_clear_to"):
        pytest.skip("no VMX layer in this kernel")
    cmdline = lab_cmdline("abandon-core", bugs)
    cmds = ['break __proc_free if $_streq(p->name, "vmm")', "continue", "tk-ps", "tk-cpus",
            "finish", "tk-ps", "tk-cpus"]
    if bugs:
        cmds += ["break vmx_clear_vmcs", "continue", "bt 3"]
    r = run_gdb(env, str(tmp_path), cmds, cmdline=cmdline, cpus=1, timeout=400)
    assert "Traceback" not in r["_all"], r["_all"][-3000:]
    outputs = {}
    for cmd, body in r["_seq"]:
        outputs.setdefault(cmd, []).append(body)
    before = ps_rows(outputs["tk-ps"][0])
    vmm = [(pid, row) for pid, row in before.items() if row["NAME"] == "vmm"]
    assert len(vmm) == 1, outputs["tk-ps"][0]
    vmm_pid, vmm_row = vmm[0]
    assert vmm_row["STATE"] == "DYING" and vmm_row["REFS"] == "0", vmm_row
    after_ps = ps_rows(outputs["tk-ps"][1])
    assert vmm_pid not in after_ps, outputs["tk-ps"][1]

    at_free = cpu_blocks(outputs["tk-cpus"][0])[0]["gpc_to_clear_to"]
    after = cpu_blocks(outputs["tk-cpus"][1])[0]["gpc_to_clear_to"]
    if not bugs:
        assert at_free.startswith("- "), at_free
        assert after.startswith("- "), after
        return
    assert f"-> proc {vmm_pid} vmm" in at_free, at_free
    assert "FREE (freed: a dangling pointer)" in after, after
    assert "eptp=0x0" in after, after
    assert "page freed: poisoned" in after, after
    assert "__abandon_core" in outputs["bt 3"][0], outputs["bt 3"][0]


# A kernel built in layers: the platform's per-CPU block before the process
# model and VMX add their fields. Static data in an ELF that GDB reads from
# the file (no emulator): each command must name what is missing and carry
# on with the rest.
EARLY_KERNEL_C = r"""
#include <stdint.h>
struct per_cpu_info {
	struct per_cpu_info *self;
	uint32_t core_id;
	struct proc *cur_proc;          /* the process model, half landed */
};
enum proc_state { PROC_FREE, PROC_CREATED, PROC_RUNNABLE_S };
struct proc {
	int pid;
	enum proc_state state;
	int64_t refcnt;
	char name[16];                  /* no parent, children, eptp yet */
};
struct proc proc_table[4] = {
	{ 1, PROC_RUNNABLE_S, 3, "init" },
	{ 0, PROC_FREE, 0, "" },
	{ 7, PROC_CREATED, 1, "sixteen-chars-xx" },
};
struct per_cpu_info per_cpu_infos[2] = {
	{ &per_cpu_infos[0], 0, &proc_table[0] },
};
int main(void) { return 0; }
"""


def test_helpers_on_a_kernel_without_the_later_layers(tmp_path):
    if shutil.which("gcc") is None or shutil.which("gdb") is None:
        pytest.skip("needs gcc and gdb")
    src, elf = tmp_path / "early.c", tmp_path / "early.elf"
    src.write_text(EARLY_KERNEL_C)
    subprocess.run(["gcc", "-g", "-O0", "-no-pie", "-o", str(elf), str(src)], check=True)
    cmds = ["tk-ps", "tk-cpus", "tk-kmsgs", "tk-trace-dump x.raw"]
    argv = ["gdb", "-batch", "-nx", "-ex", f"file {elf}", "-ex", f"source {HELPERS}"]
    for c in cmds:
        argv += ["-ex", f"echo {MARK} {c}\\n", "-ex", c]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    out = p.stdout + p.stderr
    assert "Traceback" not in out and "Python Exception" not in out, out
    rows = ps_rows(p.stdout.split(f"{MARK} tk-ps\n")[1].split(MARK)[0])
    assert sorted(rows) == [1, 7], out
    assert rows[1]["STATE"] == "RUNNABLE_S" and rows[1]["REFS"] == "3"
    # A name that fills its array has no NUL: read to the array's end, no further.
    assert rows[7]["NAME"] == "sixteen-chars-xx"
    assert "parent: struct proc.parent: not in this kernel" in out
    cpus = cpu_blocks(p.stdout.split(f"{MARK} tk-cpus\n")[1].split(MARK)[0])
    assert list(cpus) == [0], out   # block 1 never set `self`: not a CPU yet
    assert cpus[0]["cur_proc"] == "1 init"
    for missing in ("owning_proc", "owning_vcoreid", "cur_kthread", "gpc_to_clear_to", "kmsgs"):
        assert cpus[0][missing] == f"per_cpu_info.{missing}: not in this kernel", cpus[0]
    kmsgs = p.stdout.split(f"{MARK} tk-kmsgs\n")[1].split(MARK)[0]
    assert kmsgs.strip() == "per_cpu_info.kmsgs: not in this kernel", kmsgs
    assert "tk-trace-dump: trace_area: not in this kernel" in out
    assert not (tmp_path / "x.raw").exists()
