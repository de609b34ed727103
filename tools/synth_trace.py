#!/usr/bin/python3
"""synth_trace: synthetic raw traces of the reference scenario, for tests and
benchmarks of the trace tools before (and besides) the kernel producing them.

    /usr/bin/python3 tools/synth_trace.py SCENARIO OUT.raw [--sites NM_OUTPUT]

Scenarios (see SCENARIOS below): `abandon_core` (the 2017 bug: V freed while
its VMCS lingers on core 0, then VMCLEAR/INVEPT on it, Invalid Opcode, panic),
`fixed` (the same run with the fix: clean shutdown), `all_events` (`fixed`
plus one of every event of the table it lacks, a loss, a damaged tail is up
to the caller), one scenario per tracecheck violation, and `big` (>= 1M
events for `make bench`).

The events follow the abandon-core chain (labs/abandon-core/INSTRUCTOR.md) step by step, with the
refcounts of its table; each record goes through tools/rawtrace.py, i.e. the
raw format of trace/format.h with the event table of trace/events.def.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rawtrace  # noqa: E402

KBASE = 0xffffffff80100000


def fake_sites():
    """Kernel functions at made-up addresses (a real ELF can replace them)."""
    names = ["proc_create", "proc_run", "proc_destroy", "__death", "clear_owning_proc",
             "__clear_owning_proc", "abandon_core", "__abandon_core", "restart_kthread",
             "__launch_kthread", "__proc_disown_child", "sys_proc_destroy", "sys_waitpid",
             "sys_spawn", "pid2proc", "__sched_poke", "__signal_notify", "proc_restartcore",
             "vmx_clear_vmcs", "vmx_load_guest_pcore", "kmain", "trap_dispatch"]
    return {n: KBASE + 0x1000 + i * 0x200 + 0x1c for i, n in enumerate(names)}


class Sim:
    """Emits events as the kernel would, keeping refcounts consistent."""

    def __init__(self, ncpus=2, sites=None, **writer_args):
        self.w = rawtrace.Writer(ncpus=ncpus, **writer_args)
        self.tsc = 1_000_000
        self.sites = sites or fake_sites()
        self.refs = {}
        self.ptr = {}
        self.E = rawtrace.schema()["enums"]

    def site(self, name):
        return self.sites[name]

    def ev(self, cpu, name, /, dt=700, **f):
        self.tsc += dt
        self.w.add(cpu, self.tsc, name, **f)

    def enum(self, e, v):
        return self.E[e][v]

    # ---- processes and refs ----
    def create(self, cpu, pid, parent, name):
        self.ptr[pid] = 0xffffffff80a00000 + pid * 0x400
        self.refs[pid] = 1
        self.ev(cpu, "proc_create", pid=pid, parent=parent, proc=self.ptr[pid], name=name)
        self.ev(cpu, "kref_get", pid=pid, proc=self.ptr[pid], old=0, new=1,
                site=self.site("proc_create"), reason=self.enum("ref_reason", "CREATE"))
        self.state(cpu, pid, "FREE", "CREATED")

    def state(self, cpu, pid, old, new):
        self.ev(cpu, "proc_state", pid=pid, old=self.enum("proc_state", old),
                new=self.enum("proc_state", new))

    def get(self, cpu, pid, reason, site):
        old = self.refs[pid]
        self.refs[pid] = old + 1
        self.ev(cpu, "kref_get", pid=pid, proc=self.ptr[pid], old=old, new=old + 1,
                site=self.site(site), reason=self.enum("ref_reason", reason))

    def put(self, cpu, pid, reason, site, free_hook=None):
        old = self.refs[pid]
        self.refs[pid] = old - 1
        self.ev(cpu, "kref_put", pid=pid, proc=self.ptr[pid], old=old, new=old - 1,
                site=self.site(site), reason=self.enum("ref_reason", reason))
        if old == 1:
            self.ev(cpu, "proc_free", pid=pid, proc=self.ptr[pid])
            if free_hook:
                free_hook()

    def set_cur(self, cpu, old, new, site="restart_kthread"):
        self.ev(cpu, "cur_proc", old=old, new=new)
        if new:
            self.get(cpu, new, "CUR_PROC", site)

    def set_owning(self, cpu, old, new):
        self.ev(cpu, "owning_proc", old=old, new=new, vcoreid=0)

    def kmsg(self, src, dst, handler, kind, arg0, depth=1):
        self.ev(src, "kmsg_send", dst=dst, handler=self.site(handler),
                type=self.enum("kmsg_type", kind), depth=depth, arg0=arg0)

    def dispatch(self, cpu, src, handler, kind, arg0):
        self.ev(cpu, "kmsg_dispatch_begin", src=src, handler=self.site(handler),
                type=self.enum("kmsg_type", kind), arg0=arg0)

    def dispatch_end(self, cpu, src, handler, kind):
        self.ev(cpu, "kmsg_dispatch_end", src=src, handler=self.site(handler),
                type=self.enum("kmsg_type", kind))

    def syscall(self, cpu, pid, num, a0=0):
        self.ev(cpu, "syscall_enter", pid=pid, num=num, a0=a0, a1=0, a2=0)

    def sysret(self, cpu, pid, num, ret=0):
        self.ev(cpu, "syscall_exit", pid=pid, num=num, ret=ret)


GPC, VMCS, EPTP, KT1 = 0xffff800001230000, 0x2345000, 0x345601e, 0xffff800000777000
P, V = 1, 2
SYS_SPAWN, SYS_WAITPID, SYS_PROC_DESTROY, SYS_EXIT = 3, 4, 7, 2


def guest_cycles(s, n, first=True):
    """V's guest runs on core 0: entries and exits for interrupts, HLT, VMCALL."""
    reasons = ["EXTERNAL_INTERRUPT", "HLT", "VMCALL", "EPT_VIOLATION"]
    for i in range(n):
        s.ev(0, "vm_entry", pid=V, gpc=GPC, kind=s.enum("vm_entry_kind",
             "launch" if first and i == 0 else "resume"), vcoreid=0, rip=0x1000 + i)
        s.ev(0, "vm_exit", dt=20000, pid=V, gpc=GPC,
             reason=s.enum("vm_exit_reason", reasons[i % 4]), qual=0, rip=0x1004 + i, gpa=0)
        if reasons[i % 4] == "EXTERNAL_INTERRUPT":
            s.ev(0, "vmcs_lazy_unload", pid=V, gpc=GPC)
            s.ev(0, "irq_enter", vector=0x20, rip=s.site("proc_run"))
            s.ev(0, "irq_exit", vector=0x20)
            s.ev(0, "gpc_load", pid=V, gpc=GPC, how=s.enum("vmcs_load", "still_current"))


def reference(s, bug, stop_after_free=False, extra=None):
    """The abandon-core chain on two cores; bug=True crashes at step 11."""
    extra = extra or {}
    for st in ["trace", "console", "traps", "mm", "percpu", "lapic"]:
        s.ev(0, "boot_milestone", stage=s.enum("boot_stage", st))
    s.ev(0, "cpu_online", cpu=0, apic_id=0)
    s.ev(1, "cpu_online", cpu=1, apic_id=1)
    s.ev(0, "boot_milestone", stage=s.enum("boot_stage", "smp"))
    s.ev(0, "vmx_backend", backend=s.enum("vmx_backend", "emulated"), cpuid_vmx=0)
    s.ev(0, "vmxon", cpu=0, vmxon_pa=0x100000, revision=1)
    s.ev(1, "vmxon", cpu=1, vmxon_pa=0x101000, revision=1)
    s.ev(0, "boot_milestone", stage=s.enum("boot_stage", "user"))

    # P, the shell, runs on core 1.
    s.create(1, P, 0, "sh")
    s.get(1, P, "SCHED", "proc_create")
    s.state(1, P, "CREATED", "RUNNABLE_S")
    s.set_owning(1, 0, P)
    s.get(1, P, "OWNING", "proc_run")
    s.set_cur(1, 0, P, "proc_run")
    s.ev(1, "cr3_switch", old=0x1000, new=0x51000, pid=P)
    s.put(1, P, "CREATE", "proc_create")
    s.state(1, P, "RUNNABLE_S", "RUNNING_S")

    # P spawns V: refs L (children) and K (scheduler).
    s.syscall(1, P, SYS_SPAWN, 0x400000)
    s.create(1, V, P, "vmm")
    s.get(1, V, "CHILDREN", "sys_spawn")
    s.get(1, V, "SCHED", "proc_create")
    s.state(1, V, "CREATED", "RUNNABLE_S")
    s.kmsg(1, 0, "__sched_poke", "routine", 0)
    s.ev(1, "ipi_send", dst=0, vector=0xf0)
    s.sysret(1, P, SYS_SPAWN, V)

    # Core 0 picks V up: O and C.
    s.ev(0, "core_halt")
    s.ev(0, "irq_enter", vector=0xf0, rip=s.site("kmain"))
    s.ev(0, "ipi_recv", vector=0xf0)
    s.ev(0, "irq_exit", vector=0xf0)
    s.dispatch(0, 1, "__sched_poke", "routine", 0)
    s.set_owning(0, 0, V)
    s.get(0, V, "OWNING", "proc_run")
    s.set_cur(0, 0, V, "proc_run")
    s.ev(0, "cr3_switch", old=0x1000, new=0x61000, pid=V)
    s.put(0, V, "CREATE", "proc_create")
    s.state(0, V, "RUNNABLE_S", "RUNNING_S")
    s.dispatch_end(0, 1, "__sched_poke", "routine")

    # V builds its guest and starts it (step 0).
    s.syscall(0, V, 64, 0)
    s.ev(0, "gpc_create", pid=V, gpc=GPC, vmcs=VMCS, vcoreid=0)
    s.ev(0, "ept_map", pid=V, gpa=0x1000, hpa=0x7000000, eptp=EPTP)
    s.sysret(0, V, 64, 0)
    s.ev(0, "gpc_load", pid=V, gpc=GPC, how=s.enum("vmcs_load", "vmptrld"))
    s.ev(0, "vmptrld", pid=V, gpc=GPC, vmcs=VMCS)
    guest_cycles(s, extra.get("guest_cycles", 6))

    # P waits for V: its kthread blocks holding a ref on P; core 1 goes idle.
    s.syscall(1, P, SYS_WAITPID, V)
    s.ev(1, "waitpid_block", parent=P, child=V)
    s.get(1, P, "KTHREAD", "sys_waitpid")
    s.ev(1, "kthread_block", kthread=1, pid=P, waitq=s.ptr[P] + 0x80)
    s.ev(1, "cur_kthread", old=1, new=0)
    s.set_owning(1, P, 0)
    s.put(1, P, "OWNING", "clear_owning_proc")
    s.ev(1, "abandon_core", pid=P)
    s.ev(1, "cur_proc", old=P, new=0)
    s.put(1, P, "CUR_PROC", "__abandon_core")
    s.ev(1, "core_halt")

    # ctrl-c: SIGINT to V. Step 1: VM exit, the VMCS lingers.
    s.ev(1, "irq_enter", vector=0x24, rip=s.site("kmain"), dt=50000)
    s.ev(1, "signal_send", **{"from": 0}, to=V, sig=s.enum("signal", "SIGINT"))
    s.kmsg(1, 0, "__signal_notify", "immediate", V)
    s.ev(1, "ipi_send", dst=0, vector=0xf0)
    s.ev(1, "irq_exit", vector=0x24)
    s.ev(1, "core_halt")
    s.ev(0, "vm_entry", pid=V, gpc=GPC, kind=s.enum("vm_entry_kind", "resume"), vcoreid=0,
         rip=0x1100)
    s.ev(0, "vm_exit", pid=V, gpc=GPC, reason=s.enum("vm_exit_reason", "EXTERNAL_INTERRUPT"),
         qual=0, rip=0x1104, gpa=0)
    s.ev(0, "vmcs_lazy_unload", pid=V, gpc=GPC)
    s.ev(0, "irq_enter", vector=0xf0, rip=s.site("proc_run"))
    s.dispatch(0, 1, "__signal_notify", "immediate", V)
    s.dispatch_end(0, 1, "__signal_notify", "immediate")
    s.ev(0, "irq_exit", vector=0xf0)

    # Step 2-6: V destroys itself from its own core.
    s.ev(0, "signal_deliver", pid=V, sig=s.enum("signal", "SIGINT"), handler=0x401000)
    s.syscall(0, V, SYS_PROC_DESTROY, V)
    s.get(0, V, "LOOKUP", "pid2proc")
    s.ev(0, "proc_destroy", pid=V, state=s.enum("proc_state", "RUNNING_S"),
         site=s.site("sys_proc_destroy"))
    s.kmsg(0, 0, "__death", "routine", s.ptr[V])
    s.state(0, V, "RUNNING_S", "DYING")
    s.put(0, V, "SCHED", "proc_destroy")
    s.ev(0, "kthread_wake", kthread=1, pid=P, target=0)
    s.kmsg(0, 0, "__launch_kthread", "routine", KT1, depth=2)
    s.put(0, V, "LOOKUP", "sys_proc_destroy")
    s.sysret(0, V, SYS_PROC_DESTROY, 0)

    # Step 7: __death clears owning_proc (the fix clears the VMCS first).
    s.dispatch(0, 0, "__death", "routine", s.ptr[V])
    if not bug:
        s.ev(0, "vmclear", pid=V, gpc=GPC, vmcs=VMCS, site=s.site("__clear_owning_proc"),
             why=s.enum("vmclear_why", "local"), requester=0)
        s.ev(0, "invept", pid=V, eptp=EPTP, result=0, site=s.site("vmx_clear_vmcs"),
             how=s.enum("vmfail", "VMsucceed"), type=s.enum("invept_type", "single_context"))
    s.set_owning(0, V, 0)
    s.put(0, V, "OWNING", "clear_owning_proc")
    s.dispatch_end(0, 0, "__death", "routine")

    # Step 8: __launch_kthread -> restart_kthread: cur_proc V -> P.
    s.dispatch(0, 0, "__launch_kthread", "routine", KT1)
    s.ev(0, "cr3_switch", old=0x61000, new=0x51000, pid=P)
    s.set_cur(0, V, P)
    s.put(0, V, "CUR_PROC", "restart_kthread")
    s.ev(0, "cur_kthread", old=0, new=1)
    s.ev(0, "kthread_restart", kthread=1, pid=P)

    # Step 9: P's wait reaps V: the children ref is the last one.
    s.ev(0, "reap", parent=P, child=V, exit_code=0)
    cached = 0 if bug else 0xffffffffffffffff
    s.put(0, V, "CHILDREN", "__proc_disown_child",
          free_hook=lambda: s.ev(0, "gpc_free", pid=V, gpc=GPC, vmcs=VMCS, vmcs_core=cached))
    s.put(0, P, "KTHREAD", "sys_waitpid")
    s.sysret(0, P, SYS_WAITPID, V)
    if stop_after_free:
        return

    if "after_free" in extra:
        extra["after_free"](s)

    # Step 10: nobody owns core 0: abandon_core.
    s.ev(0, "abandon_core", pid=P)
    if bug:
        # Step 11: VMCLEAR on the freed page, INVEPT with EPTP 0, #UD, panic.
        s.ev(0, "vmclear", pid=0, gpc=GPC, vmcs=VMCS, site=s.site("__abandon_core"),
             why=s.enum("vmclear_why", "local"), requester=0)
        s.ev(0, "invept", pid=0, eptp=0, result=28, site=s.site("vmx_clear_vmcs"),
             how=s.enum("vmfail", "VMfailValid"), type=s.enum("invept_type", "single_context"))
        s.ev(0, "vmx_insn_fail", insn=s.enum("vmx_insn", "INVEPT"),
             how=s.enum("vmfail", "VMfailValid"), error=28, rip=s.site("vmx_clear_vmcs") + 0x40,
             operand=0)
        s.ev(0, "trap", vector=s.enum("trap_vector", "UD"), error=0,
             rip=s.site("vmx_clear_vmcs") + 0x40, cr2=0, cs=0x10)
        s.ev(0, "panic", site=s.site("trap_dispatch"))
        s.w.panic = True
        return
    s.ev(0, "cur_proc", old=P, new=0)
    s.put(0, P, "CUR_PROC", "__abandon_core")

    if "before_exit" in extra:
        extra["before_exit"](s)
    # P exits; nothing is left at shutdown.
    if not extra.get("leak"):
        s.ev(0, "proc_destroy", pid=P, state=s.enum("proc_state", "RUNNING_S"),
             site=s.site("proc_destroy"))
        s.state(0, P, "RUNNING_S", "DYING")
        s.put(0, P, "SCHED", "proc_destroy")
    else:
        s.ev(0, "proc_leak", pid=P, refcnt=s.refs[P], state=s.enum("proc_state", "RUNNING_S"))
    s.ev(0, "boot_milestone", stage=s.enum("boot_stage", "shutdown"))


def every_event(s):
    """One record of each event the scenario has not used, with small values."""
    used = {eid for recs in s.w.records.values() for (_t, eid, _v) in recs if _t is not None}
    for ev in rawtrace.schema()["events"]:
        if ev["id"] in used:
            continue
        vals = {}
        for f in ev["fields"]:
            if f["enum"]:
                vals[f["name"]] = min(s.E[f["enum"]].values())
            elif f["type"] == "ksym":
                vals[f["name"]] = s.site("kmain")
            elif f["type"] == "name16":
                vals[f["name"]] = ev["name"][:16]
            else:
                vals[f["name"]] = 1
        s.ev(1, ev["name"], **vals)


def scenario(name, sites=None, big_events=1_000_000):
    s = Sim(sites=sites, cmdline="lab=abandon_core", tsc_hz=2_000_000_000)
    if name == "abandon_core":
        reference(s, bug=True)
    elif name == "fixed":
        reference(s, bug=False)
    elif name == "all_events":
        reference(s, bug=False)
        s.w.skip(1, 5)                       # five records lost on CPU 1
        s.ev(1, "core_halt")
        every_event(s)
    elif name == "vmcs_cached":            # the bug, seen before the crash
        reference(s, bug=True, stop_after_free=True)
    elif name == "underflow":
        reference(s, bug=False, extra={"after_free": lambda s: s.ev(
            0, "kref_error", pid=V, proc=s.ptr[V], count=0, site=s.site("__proc_disown_child"),
            reason=s.enum("ref_reason", "CHILDREN"), kind=s.enum("kref_error", "underflow"))})
    elif name == "get_from_zero":
        reference(s, bug=False, extra={"after_free": lambda s: s.ev(
            0, "kref_error", pid=V, proc=s.ptr[V], count=0, site=s.site("pid2proc"),
            reason=s.enum("ref_reason", "LOOKUP"), kind=s.enum("kref_error", "get_from_zero"))})
    elif name == "count_mismatch":         # a put whose old count skips one: a lost update
        def bad(s):
            s.refs[P] += 1
            s.put(0, P, "LOOKUP", "pid2proc")
        reference(s, bug=False, extra={"after_free": bad})
    elif name == "uaf_kmsg":
        reference(s, bug=False, extra={"after_free": lambda s: s.kmsg(
            1, 0, "__death", "routine", s.ptr[V])})
    elif name == "uaf_vmclear":
        reference(s, bug=False, extra={"after_free": lambda s: s.ev(
            1, "vmclear", pid=0, gpc=GPC, vmcs=VMCS, site=s.site("vmx_clear_vmcs"),
            why=s.enum("vmclear_why", "remote"), requester=0)})
    elif name == "uaf_invept":
        reference(s, bug=False, extra={"after_free": lambda s: s.ev(
            1, "invept", pid=V, eptp=0, result=28, site=s.site("vmx_clear_vmcs"),
            how=s.enum("vmfail", "VMfailValid"), type=s.enum("invept_type", "single_context"))})
    elif name == "dangling_cur_proc":     # the last ref dropped, the pointer kept
        def drop(s):
            s.ev(1, "owning_proc", old=0, new=P, vcoreid=0)
        reference(s, bug=False, extra={"before_exit": drop})
    elif name == "leak":
        reference(s, bug=False, extra={"leak": True})
    elif name == "big":
        reference(s, bug=False, extra={"guest_cycles": 1})
        # Then the steady state a long run records: V's guest and its
        # interrupts on core 0, P's syscalls and ref traffic on core 1.
        s.refs[V] = 1
        s.ptr[V] = s.ptr.get(V)
        s.create(1, 3, 0, "busy")
        while s.w.count() < big_events:
            guest_cycles(s, 8, first=False)
            for _ in range(4):
                s.syscall(1, 3, 0)
                s.get(1, 3, "LOOKUP", "pid2proc")
                s.put(1, 3, "LOOKUP", "pid2proc")
                s.sysret(1, 3, 0, 3)
            s.kmsg(1, 0, "__sched_poke", "routine", 0)
            s.dispatch(0, 1, "__sched_poke", "routine", 0)
            s.dispatch_end(0, 1, "__sched_poke", "routine")
    else:
        raise SystemExit("synth_trace: unknown scenario %r (known: %s)" % (name, ", ".join(SCENARIOS)))
    return s.w


SCENARIOS = ["abandon_core", "fixed", "all_events", "vmcs_cached", "underflow", "get_from_zero",
             "count_mismatch", "uaf_kmsg", "uaf_vmclear", "uaf_invept", "leak",
             "dangling_cur_proc", "big"]


def sites_from_nm(path):
    """`nm` output (address type name) to the site table."""
    sites = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tT":
                sites[parts[2]] = int(parts[0], 16) + 4
    base = fake_sites()
    return {k: sites.get(k, v) for k, v in base.items()}


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", choices=SCENARIOS)
    ap.add_argument("out")
    ap.add_argument("--sites", help="nm output of an ELF whose functions name the call sites")
    ap.add_argument("--events", type=int, default=1_000_000, help="records in `big`")
    a = ap.parse_args(argv)
    w = scenario(a.scenario, sites_from_nm(a.sites) if a.sites else None, a.events)
    n = w.write(a.out)
    print("%s: %d records, %d bytes" % (a.out, w.count(), n))


if __name__ == "__main__":
    main(sys.argv[1:])
