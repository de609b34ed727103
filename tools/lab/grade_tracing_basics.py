#!/usr/bin/python3
"""grade_tracing_basics: check a student's answers to the tracing-basics lab.

    make grade-tracing-basics [ANSWERS=labs/tracing-basics/answers.txt]
    /usr/bin/python3 tools/lab/grade_tracing_basics.py ANSWERS [--trace trace.raw] [--expected]

The right answers are computed from the trace, never written down: from
--trace, else from the student's own run (out/lab-tracing-basics/trace.raw,
so a run with CPUS=2 is graded against its own trace), else from a fresh run
of the lab. The answers file has one `key: value` line per question
(labs/tracing-basics/answers.template). `--expected` prints the answers
computed from the trace (for instructors) instead of grading.
Exits 0 when every answer is right, 1 otherwise.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = "/usr/bin/python3"
QUESTIONS = [
    ("child_pid", "the pid of the program init spawned (hello)"),
    ("child_parent", "its parent's pid"),
    ("syscalls", "how many system calls the child entered"),
    ("exit_code", "the exit code its parent reaped"),
    ("ref_gets", "how many references were taken on the child (kref_get)"),
    ("max_refs", "the highest refcount the child reached"),
    ("death_cpu", "the CPU on which the child's __death KMSG ran"),
    ("kmsgs_in_exit", "routine KMSGs sent from the child's proc_destroy to its proc_free"),
    ("cur_proc_put_function", "the function that dropped the child's cur_proc ref"),
    ("last_put_reason", "the reason tag of the child's last reference"),
    ("last_put_function", "the function that dropped the child's last reference"),
]


def events(trace):
    out = subprocess.run([os.path.join(ROOT, "build", "bin", "tracecat"), trace],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    evs = []
    for line in out.stdout.splitlines():
        p = line.split()
        if len(p) >= 3 and p[0].isdigit():
            evs.append((int(p[1]), p[2], dict(x.split("=", 1) for x in p[3:] if "=" in x)))
    return evs


def func(site):
    return re.sub(r"\+0x[0-9a-f]+$", "", site)


def expected(evs):
    """The answers, from the trace: the first process init (pid 1) created."""
    create = next(f for _, e, f in evs if e == "proc_create" and f.get("parent") == "1")
    c, a = create["pid"], {}
    a["child_pid"], a["child_parent"] = c, create["parent"]
    a["syscalls"] = sum(1 for _, e, f in evs if e == "syscall_enter" and f.get("pid") == c)
    a["exit_code"] = next(f["exit_code"] for _, e, f in evs if e == "reap" and f.get("child") == c)
    krefs = [(e, f) for _, e, f in evs if e in ("kref_get", "kref_put") and f.get("pid") == c]
    a["ref_gets"] = sum(1 for e, _ in krefs if e == "kref_get")
    a["max_refs"] = max(int(f["new"]) for _, f in krefs)
    d = next(i for i, (_, e, f) in enumerate(evs) if e == "proc_destroy" and f.get("pid") == c)
    free = next(i for i, (_, e, f) in enumerate(evs) if e == "proc_free" and f.get("pid") == c)
    a["kmsgs_in_exit"] = sum(1 for _, e, f in evs[d:free]
                             if e == "kmsg_send" and f.get("type") == "routine")
    death = [cpu for cpu, e, f in evs[d:free] if e == "kmsg_dispatch_begin" and
             f.get("handler") == "__death"]
    a["death_cpu"] = death[0] if death else "?"
    cur = [f["site"] for e, f in krefs if e == "kref_put" and f.get("reason") == "CUR_PROC"]
    a["cur_proc_put_function"] = func(cur[-1]) if cur else "?"
    last = [f for e, f in krefs if e == "kref_put" and f.get("new") == "0"][-1]
    a["last_put_reason"], a["last_put_function"] = last["reason"], func(last["site"])
    return {k: str(v) for k, v in a.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("answers", nargs="?", default=os.path.join(ROOT, "labs", "tracing-basics", "answers.txt"))
    ap.add_argument("--trace")
    ap.add_argument("--expected", action="store_true")
    a = ap.parse_args()
    trace = a.trace or os.path.join(ROOT, "out", "lab-tracing-basics", "trace.raw")
    if not os.path.exists(trace):
        out = os.path.join(ROOT, "out", "grade-tracing-basics")
        subprocess.run([PY, os.path.join(ROOT, "tools", "lab", "lab.py"), "tracing-basics",
                        "--out", out, "-q"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        trace = os.path.join(out, "trace.raw")
    want = expected(events(trace))
    if a.expected:
        for k, _ in QUESTIONS:
            print("%s: %s" % (k, want[k]))
        return 0
    if not os.path.exists(a.answers):
        sys.exit("grade-tracing-basics: no answers file %s (copy labs/tracing-basics/answers.template)"
                 % a.answers)
    got = {}
    for line in open(a.answers):
        line = line.split("#", 1)[0]
        if ":" in line:
            k, v = line.split(":", 1)
            got[k.strip()] = v.strip()
    right = 0
    print("grade-tracing-basics: %s against %s" % (os.path.relpath(a.answers), os.path.relpath(trace)))
    for k, q in QUESTIONS:
        ok = got.get(k, "").lower() == want[k].lower()
        right += ok
        print("  %s  %-22s %s%s" % ("ok  " if ok else "FAIL", k, q,
                                    "" if ok else " (you said %r)" % got.get(k, "")))
    print("%s: %d of %d" % ("PASS" if right == len(QUESTIONS) else "FAIL", right, len(QUESTIONS)))
    return 0 if right == len(QUESTIONS) else 1


if __name__ == "__main__":
    sys.exit(main())
