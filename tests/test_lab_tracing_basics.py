"""The tracing-basics lab: its run, and its autograder.

The grader recomputes the answers from tracecat's text; here the same
answers are computed independently from trace.raw with tools/rawtrace.py
(and nm for the call sites), so a wrong grader cannot agree with itself.
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import rawtrace  # noqa: E402

PY = "/usr/bin/python3"
KERNEL = os.environ.get("TKERN_KERNEL", os.path.join(ROOT, "build", "kernel.elf"))
GRADER = os.path.join(ROOT, "tools", "lab", "grade_tracing_basics.py")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("tracing-basics"))
    p = subprocess.run([PY, os.path.join(ROOT, "tools", "lab", "lab.py"), "tracing-basics",
                        "--out", out, "--kernel", KERNEL], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=600)
    assert p.returncode == 0, p.stdout
    return out


def symbolise(addr):
    """The function containing addr, from nm (independent of tracecat)."""
    syms = []
    for line in subprocess.run(["nm", "-n", KERNEL], stdout=subprocess.PIPE, text=True).stdout.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "tTwW":
            syms.append((int(p[0], 16), p[2]))
    best = None
    for a, name in syms:
        if a <= addr:
            best = name
        else:
            break
    return best


def answers_from_raw(path):
    t = rawtrace.read(path)
    ev = t.events
    c = next(e for e in ev if e.name == "proc_create" and e["parent"] == 1)["pid"]
    krefs = [e for e in ev if e.name in ("kref_get", "kref_put") and e["pid"] == c]
    i_d = next(i for i, e in enumerate(ev) if e.name == "proc_destroy" and e["pid"] == c)
    i_f = next(i for i, e in enumerate(ev) if e.name == "proc_free" and e["pid"] == c)
    sends = [e for e in ev[i_d:i_f] if e.name == "kmsg_send" and
             t.enum_name("kmsg_type", e["type"]) == "routine"]
    death = [e for e in ev[i_d:i_f] if e.name == "kmsg_dispatch_begin" and
             symbolise(e["handler"]) == "__death"]
    reason = lambda e: t.enum_name("ref_reason", e["reason"])
    cur = [e for e in krefs if e.name == "kref_put" and reason(e) == "CUR_PROC"]
    last = [e for e in krefs if e.name == "kref_put" and e["new"] == 0][-1]
    return {
        "child_pid": c, "child_parent": 1,
        "syscalls": sum(1 for e in ev if e.name == "syscall_enter" and e["pid"] == c),
        "exit_code": next(e["exit_code"] for e in ev if e.name == "reap" and e["child"] == c),
        "ref_gets": sum(1 for e in krefs if e.name == "kref_get"),
        "max_refs": max(e["new"] for e in krefs),
        "death_cpu": death[0].cpu,
        "kmsgs_in_exit": len(sends),
        "cur_proc_put_function": symbolise(cur[-1]["site"]),
        "last_put_reason": reason(last),
        "last_put_function": symbolise(last["site"]),
    }


def grade(answers_path, trace):
    return subprocess.run([PY, GRADER, answers_path, "--trace", trace], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def write(path, d):
    with open(path, "w") as f:
        for k, v in d.items():
            f.write("%s: %s\n" % (k, v))


def test_lab_outputs(run):
    for f in ("trace.raw", "trace.txt", "trace.perfetto-trace", "refcounts.png", "cpu_lanes.png"):
        assert os.path.getsize(os.path.join(run, f)) > 0, f
    assert open(os.path.join(run, "status")).read().strip() == "success"


def test_grader_passes_answers_computed_independently(run, tmp_path):
    ans = answers_from_raw(os.path.join(run, "trace.raw"))
    # The story the README tells: the reap drops the last ref.
    assert ans["last_put_function"] == "__proc_disown_child", ans
    assert ans["cur_proc_put_function"] == "restart_kthread", ans
    write(str(tmp_path / "a.txt"), ans)
    r = grade(str(tmp_path / "a.txt"), os.path.join(run, "trace.raw"))
    assert r.returncode == 0 and "PASS: 11 of 11" in r.stdout, r.stdout


def test_grader_fails_the_template_and_a_wrong_answer(run, tmp_path):
    r = grade(os.path.join(ROOT, "labs", "tracing-basics", "answers.template"),
              os.path.join(run, "trace.raw"))
    assert r.returncode == 1 and "FAIL: 0 of 11" in r.stdout, r.stdout
    ans = answers_from_raw(os.path.join(run, "trace.raw"))
    ans["max_refs"] = int(ans["max_refs"]) + 1
    write(str(tmp_path / "b.txt"), ans)
    r = grade(str(tmp_path / "b.txt"), os.path.join(run, "trace.raw"))
    assert r.returncode == 1 and "FAIL: 10 of 11" in r.stdout and "FAIL  max_refs" in r.stdout, r.stdout
