#!/usr/bin/python3
"""grade_abandon_core: grade a student's fix of the abandon_core bug.

    make grade-abandon-core [GRADE_BUGS=abandon_core] [GRADE_BASE=COMMIT] [EMU=qemu|bochs]
    /usr/bin/python3 tools/lab/grade_abandon_core.py [--bugs abandon_core] [--base COMMIT]
                     [--emu qemu] [--cpus 1] [--no-build] [--kernel ELF] [--out DIR]

The fix must be a change to the kernel's code, not to its flags: the grader
builds the tree as it is and runs the lab with the flag ON (`bugs=abandon_core`,
the code path the flag selects is the one to repair). It passes only when

 1. no protected file changed since --base (the flag machinery, the lab, the
    scenario's user programs and console driver, the tracer, the checker and
    this grader): turning the flag off or weakening the checks is not a fix;
 2. the kernel still reports the flag on (`bugs: abandon_core` in the banner);
 3. SIGINT (ctrl-c): the run ends clean (TKERN-EXIT: success, no leaks), and
    the trace shows the scenario really happened: the VMM got SIGINT and
    destroyed itself, the parent's kthread was restarted on the VMM's core
    (cur_proc switched from the VMM to the parent there), the VMM was freed;
    the lazy VMCS unload is still there (a reload without VMPTRLD: the fix may
    not throw the optimisation away); the VMM's VMCS was VMCLEARed while the
    VMM still existed; and tracecheck finds nothing (in particular no VMCS
    cached for a freed process, no VMCLEAR/INVEPT on a freed GPC);
 4. SIGKILL (kill -9): the run ends clean and tracecheck finds nothing.

Prints one line per check and PASS or FAIL; exits 0 on PASS, 1 on FAIL.
`--bugs ''` grades the kernel with every flag off: that is the reference
ordering, which must pass (tests/test_lab_abandon_core.py checks both).
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = "/usr/bin/python3"

# Not part of a fix. The fix lives in the process model (kernel/proc.c,
# kernel/arch/x86_64/proc_arch.c) or in vmx/.
PROTECTED = ["kernel/bugs.c", "kernel/bugs.h", "kernel/bugs.def", "kernel/tty.c",
             "kernel/cmdline.c", "kernel/user", "labs", "tools/lab", "tools/run.py",
             "tools/tracecheck.c", "tools/tracecat.c", "tools/tracelib.c", "tools/tracelib.h",
             "tools/traceextract.c", "trace", "mk/labs.mk"]


class Grade:
    def __init__(self):
        self.failed = 0

    def check(self, ok, what, why=""):
        print("  %s  %s%s" % ("ok  " if ok else "FAIL", what, "" if ok or not why else ": " + why))
        if not ok:
            self.failed += 1
        return ok


def parse(trace_txt):
    """tracecat lines as (cpu, event, {field: value}) in order."""
    evs = []
    for line in trace_txt.splitlines():
        parts = line.split()
        if len(parts) < 3 or not parts[0].isdigit():
            continue
        fields = dict(p.split("=", 1) for p in parts[3:] if "=" in p)
        evs.append((int(parts[1]), parts[2], fields))
    return evs


def first(evs, name, start=0, **want):
    for i in range(start, len(evs)):
        cpu, ev, f = evs[i]
        if ev == name and all(f.get(k) == str(v) for k, v in want.items()):
            return i
    return None


def run_variant(a, variant, out):
    cmd = [PY, os.path.join(ROOT, "tools", "lab", "lab.py"), "abandon-core", "--emu", a.emu,
           "--cpus", str(a.cpus), "--bugs", a.bugs, "--signal", variant, "--out", out,
           "--kernel", a.kernel, "-q"]
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    read = lambda f: open(os.path.join(out, f), errors="replace").read() \
        if os.path.exists(os.path.join(out, f)) else ""
    raw = os.path.join(out, "trace.raw")
    check_rc = subprocess.run([os.path.join(ROOT, "build", "bin", "tracecheck"), raw],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) \
        if os.path.exists(raw) else None
    header = subprocess.run([os.path.join(ROOT, "build", "bin", "tracecat"), "--header", raw],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout \
        if os.path.exists(raw) else ""
    return (read("status").strip(), read("console.log") + "\n" + header, read("trace.txt"),
            check_rc.returncode if check_rc else None, check_rc.stdout if check_rc else "")


def common(g, variant, status, console, check_rc, check_out, flags):
    g.check(status == "success", "%s: the run ends clean" % variant,
            "status %s (%s)" % (status, (re.findall(r"^PANIC: .*$", console, re.M) or ["no panic line"])[0]))
    if flags:
        g.check(re.search(r"^bugs: .*\b%s\b" % re.escape(flags[0]), console, re.M) is not None,
                "%s: the kernel still reports bugs: %s" % (variant, ",".join(flags)),
                "the banner does not list the flag: the grader runs with the flag on")
        g.check(re.search(r"^bugs .*\b%s\b" % re.escape(flags[0]), console, re.M) is not None,
                "%s: the trace header records bugs %s" % (variant, ",".join(flags)),
                "tracecat --header does not list the flag")
    m = re.search(r"procs: (\d+) leaked, (\d+) kref errors", console)
    g.check(m is not None and m.groups() == ("0", "0"), "%s: no leaked process, no kref error" % variant,
            m.group(0) if m else "no leak report")
    lines = [l for l in check_out.splitlines() if l.startswith("VIOLATION")]
    g.check(check_rc == 0, "%s: tracecheck finds no violation" % variant,
            "; ".join(lines[:3]) or "tracecheck exit %s" % check_rc)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bugs", default="abandon_core")
    ap.add_argument("--base", default="HEAD", help="the commit the student started from")
    ap.add_argument("--emu", default="qemu", choices=("qemu", "bochs"))
    ap.add_argument("--cpus", type=int, default=1)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--kernel", default=os.path.join(ROOT, "build", "kernel.elf"))
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "grade-abandon-core"))
    a = ap.parse_args()
    flags = [b for b in re.split(r"[,\s]+", a.bugs) if b]
    g = Grade()
    print("grade-abandon-core: %s, %d CPU, bugs=%s" % (a.emu, a.cpus, ",".join(flags) or "(none)"))

    if os.path.isdir(os.path.join(ROOT, ".git")):
        r = subprocess.run(["git", "diff", "--name-only", a.base, "--"] + PROTECTED, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        changed = r.stdout.split()
        g.check(r.returncode == 0 and not changed, "no protected file changed since %s" % a.base,
                r.stderr.strip() or "changed: " + ", ".join(changed))
    else:
        print("  (not a git tree: protected files not checked)")

    if not a.no_build:
        r = subprocess.run(["make", "-s", "all"], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if not g.check(r.returncode == 0, "the tree builds (make)", r.stdout[-2000:]):
            print("FAIL")
            return 1

    status, console, txt, rc, cout = run_variant(a, "INT", os.path.join(a.out, "INT"))
    common(g, "SIGINT", status, console, rc, cout, flags)
    evs = parse(txt)
    sig = first(evs, "signal_deliver", sig="SIGINT")
    if g.check(sig is not None, "SIGINT: the VMM got SIGINT (signal_deliver)"):
        v = evs[sig][2]["pid"]
        d = first(evs, "proc_destroy", sig, pid=v)
        g.check(d is not None and evs[d][0] == evs[sig][0],
                "SIGINT: the VMM (pid %s) destroyed itself on its own core" % v)
        reap = first(evs, "reap", sig, child=v)
        p = evs[reap][2]["parent"] if reap is not None else None
        sw = first(evs, "cur_proc", sig, old=v, new=p) if p else None
        restart = first(evs, "kthread_restart", sig, pid=p) if p else None
        g.check(sw is not None and restart is not None and evs[sw][0] == evs[sig][0] and
                evs[restart][0] == evs[sig][0],
                "SIGINT: the parent's kthread restarted on the VMM's core (cur_proc %s -> %s)" % (v, p))
        free = first(evs, "proc_free", sig, pid=v)
        g.check(free is not None, "SIGINT: the VMM was freed (proc_free pid=%s)" % v)
        g.check(first(evs, "vmcs_lazy_unload", pid=v) is not None and
                first(evs, "gpc_load", pid=v, how="still_current") is not None,
                "SIGINT: the lazy VMCS unload is kept (a reload without VMPTRLD)")
        clear = first(evs, "vmclear", sig, pid=v)
        g.check(clear is not None and free is not None and clear < free,
                "SIGINT: the VMM's VMCS was cleared while the VMM still existed (vmclear pid=%s "
                "before proc_free)" % v)

    status, console, txt, rc, cout = run_variant(a, "KILL", os.path.join(a.out, "KILL"))
    common(g, "SIGKILL", status, console, rc, cout, flags)
    evs = parse(txt)
    g.check(first(evs, "signal_send", sig="SIGKILL") is not None and first(evs, "reap") is not None,
            "SIGKILL: the VMM was killed and reaped")

    print("PASS" if not g.failed else "FAIL (%d check%s; runs in %s)" % (
        g.failed, "s" if g.failed > 1 else "", os.path.relpath(a.out, os.getcwd())))
    return 0 if not g.failed else 1


if __name__ == "__main__":
    sys.exit(main())
