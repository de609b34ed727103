#!/usr/bin/python3
"""lab: run one lab scenario and turn its trace into everything a student reads.

    /usr/bin/python3 tools/lab/lab.py NAME [--emu qemu|bochs|kvm] [--cpus N]
                     [--bugs a,b | --bugs ''] [--signal VARIANT] [--out DIR]
    /usr/bin/python3 tools/lab/lab.py NAME --print-cmdline [--signal VARIANT] [--bugs ...]

`make lab-NAME` calls it. NAME is a folder labs/NAME/ with a lab.conf
(`key = value` lines, `#` comments):

    title            one line, printed in the summary
    cmdline          the kernel command line of the scenario
    cmdline.VARIANT  the command line of a variant (SIGNAL=VARIANT on make)
    variant          the default variant (else `cmdline` is used)
    bugs             the bug flags on by default (`--bugs ''` turns all off)
    timeout          seconds (QEMU; Bochs gets five times as long)

Writes OUT (default out/lab-NAME/): console.log, status, reason, run.json
and trace.raw (tools/run.py, the `make run` contract), trace.txt
(tracecat), trace.perfetto-trace (trace2perfetto), tracecheck.txt,
refcounts.png and cpu_lanes.png (tools/plot), summary.txt; and prints the
summary. Exits 0 when the scenario ran to an end (a panic is an outcome
here, not an error), 1 on a hang or an emulator error, 2 on bad arguments.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = "/usr/bin/python3"


def read_conf(name):
    """labs/NAME/lab.conf as a dict, or exit 2 naming the labs there are."""
    path = os.path.join(ROOT, "labs", name, "lab.conf")
    if not os.path.exists(path):
        have = sorted(d for d in os.listdir(os.path.join(ROOT, "labs"))
                      if os.path.exists(os.path.join(ROOT, "labs", d, "lab.conf")))
        sys.exit("lab: no lab '%s' (labs: %s)" % (name, ", ".join(have)))
    conf = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if "=" not in line:
                sys.exit("lab: %s:%d: expected key = value" % (path, n))
            k, v = line.split("=", 1)
            conf[k.strip()] = v.strip()
    if "cmdline" not in conf and not any(k.startswith("cmdline.") for k in conf):
        sys.exit("lab: %s: no cmdline" % path)
    return conf


def variants(conf):
    return sorted(k.split(".", 1)[1] for k in conf if k.startswith("cmdline."))


def kernel_cmdline(conf, variant, bugs):
    """The scenario's command line plus bugs=..., for one variant."""
    variant = variant or conf.get("variant")
    if variant:
        key = "cmdline." + variant.upper()
        if key not in conf:
            sys.exit("lab: no variant '%s' (variants: %s)" % (variant, ", ".join(variants(conf))))
        line = conf[key]
    else:
        line = conf["cmdline"]
    if bugs is None:
        bugs = conf.get("bugs", "")
    flags = [b for b in re.split(r"[,\s]+", bugs) if b]
    if flags:
        line += " bugs=" + ",".join(flags)
    return line, variant, flags


def sh(cmd, out=None):
    """Run a tool; its stdout to the file `out` when given. Returns the exit code."""
    if out:
        with open(out, "w") as f:
            return subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.PIPE,
                                  text=True).returncode
    return subprocess.run(cmd, cwd=ROOT).returncode


def outcome(console, events):
    """One line saying how the run ended, from the console and the trace."""
    if "TKERN-EXIT: success" in console:
        m = re.search(r"procs: (\d+) leaked, (\d+) kref errors", console)
        return "clean exit" + (" (%s leaked, %s kref errors)" % m.groups() if m else "")
    panic = re.search(r"^PANIC: (.*)$", console, re.M)
    if not panic:
        return "no exit marker (see reason)"
    what = panic.group(1).strip()
    rip = re.search(r"RIP [0-9a-f]+ <([^>]+)>", console)
    where = rip.group(1) if rip else ""
    if "invept" in where.lower():
        where = "the INVEPT wrapper " + where
    line = "kernel panic: " + what + ("; in " + where if where else "")
    vmx = re.search(r"^VMX: (.*)$", console, re.M)
    if vmx:
        line += "\n         " + vmx.group(1).strip()
    for e in reversed(events):
        if e.startswith("invept ") or " invept " in e:
            m = re.search(r"eptp=(\S+).*how=(\S+)", e)
            if m:
                line += "\n         trace: INVEPT with EPTP %s (%s)" % m.groups()
            break
    return line


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name")
    ap.add_argument("--emu", default="qemu", choices=("qemu", "bochs", "kvm"))
    ap.add_argument("--cpus", type=int, default=1)
    ap.add_argument("--bugs", default=None, help="flags on (default: the lab's); '' for none")
    ap.add_argument("--signal", "--variant", dest="variant", default=None)
    ap.add_argument("--out")
    ap.add_argument("--kernel", default=os.path.join(ROOT, "build", "kernel.elf"))
    ap.add_argument("--timeout", type=float)
    ap.add_argument("--print-cmdline", action="store_true",
                    help="print the scenario's kernel command line and stop")
    ap.add_argument("-q", "--quiet", action="store_true", help="no summary on the terminal")
    a = ap.parse_args()
    name = a.name.replace("_", "-")
    conf = read_conf(name)
    cmdline, variant, flags = kernel_cmdline(conf, a.variant, a.bugs)
    if a.print_cmdline:
        print(cmdline)
        return 0

    out = a.out or os.path.join("out", "lab-" + name)
    out_abs = os.path.join(ROOT, out) if not os.path.isabs(out) else out
    os.makedirs(out_abs, exist_ok=True)
    for f in ("trace.txt", "trace.perfetto-trace", "tracecheck.txt", "refcounts.png",
              "cpu_lanes.png", "summary.txt"):
        if os.path.exists(os.path.join(out_abs, f)):
            os.remove(os.path.join(out_abs, f))
    timeout = a.timeout or float(conf.get("timeout", 120)) * (5 if a.emu == "bochs" else 1)
    bin_ = os.path.join(ROOT, "build", "bin")
    elf = ["--elf", a.kernel]

    sh([PY, "tools/run.py", "--emu", a.emu, "--cpus", str(a.cpus), "--cmdline", cmdline,
             "--out", out_abs, "--kernel", a.kernel, "--timeout", str(timeout), "-q"])
    status = open(os.path.join(out_abs, "status")).read().strip() \
        if os.path.exists(os.path.join(out_abs, "status")) else "error"
    raw = os.path.join(out_abs, "trace.raw")
    problems = []
    if os.path.exists(raw):
        if sh([os.path.join(bin_, "tracecat")] + elf + [raw], os.path.join(out_abs, "trace.txt")):
            problems.append("tracecat failed")
        if sh([os.path.join(bin_, "trace2perfetto")] + elf +
              [raw, os.path.join(out_abs, "trace.perfetto-trace")], os.devnull):
            problems.append("trace2perfetto failed")
        check_rc = sh([os.path.join(bin_, "tracecheck"), raw], os.path.join(out_abs, "tracecheck.txt"))
        for plot in ("refcounts", "cpu_lanes"):
            if sh([PY, os.path.join("tools", "plot", plot + ".py"), raw, "-o",
                   os.path.join(out_abs, plot + ".png"), "--title",
                   "%s: %s, %s, %d CPU%s, bugs=%s" % (plot, name, a.emu, a.cpus,
                                                      "s" if a.cpus > 1 else "",
                                                      ",".join(flags) or "none")], os.devnull):
                problems.append(plot + ".py failed")
    else:
        check_rc = None
        problems.append("no trace.raw (see %s/reason)" % out)

    console = open(os.path.join(out_abs, "console.log"), errors="replace").read() \
        if os.path.exists(os.path.join(out_abs, "console.log")) else ""
    txt = os.path.join(out_abs, "trace.txt")
    events = open(txt).read().splitlines() if os.path.exists(txt) else []
    violations = ""
    if check_rc is not None:
        lines = open(os.path.join(out_abs, "tracecheck.txt")).read().splitlines()
        kinds = [re.search(r"\[([^\]]+)\]", l).group(1) for l in lines if l.startswith("VIOLATION")]
        violations = "clean" if check_rc == 0 else "%d violation%s: %s" % (
            len(kinds), "s" if len(kinds) != 1 else "", ", ".join(dict.fromkeys(kinds)))

    rel = os.path.relpath(out_abs, os.getcwd()) if out_abs.startswith(ROOT) else out_abs
    make_bugs = ",".join(flags)
    summary = [
        "%s (%s)" % (conf.get("title", "lab " + name), "labs/%s/README.md" % name),
        "  run:     %s, %d CPU%s, variant %s, bugs=%s" % (a.emu, a.cpus, "s" if a.cpus > 1 else "",
                                                       variant or "-", make_bugs or "(none)"),
        "  cmdline: %s" % cmdline,
        "  outcome: %s" % (outcome(console, events) if status in ("success", "panic") else
                           "%s (%s/reason)" % (status, rel)),
        "  tracecheck: %s" % (violations or "not run"),
        "  files in %s/:" % rel,
        "    console.log            the serial console",
        "    trace.txt              the trace as text (build/bin/tracecat trace.raw)",
        "    trace.perfetto-trace   open https://ui.perfetto.dev, \"Open trace file\":",
        "                           the file is parsed in your browser, nothing is uploaded",
        "    refcounts.png, cpu_lanes.png   refcount per process; cur_proc/owning_proc/VMCS per CPU",
        "    tracecheck.txt         invariants (build/bin/tracecheck trace.raw)",
        "  GDB route: make gdb LAB=%s%s%s" % (name, " BUGS=" + make_bugs if make_bugs else "",
                                              " SIGNAL=" + variant if variant and
                                              variant != conf.get("variant") else ""),
        "             (course-notes/gdb.md)",
    ]
    if problems:
        summary.append("  problems: " + "; ".join(problems))
    with open(os.path.join(out_abs, "summary.txt"), "w") as f:
        f.write("\n".join(summary) + "\n")
    if not a.quiet:
        print("\n".join(summary))
    # A panic is an outcome of a lab, not a failure of this script.
    return 0 if status in ("success", "panic") and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
