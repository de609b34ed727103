#!/usr/bin/python3
"""course_figures: regenerate the figures of course-notes/ from real runs.

    /usr/bin/python3 tools/lab/course_figures.py [--kernel build/kernel.elf]

Each figure is a plot (tools/plot/) of a lab run's trace.raw, made with the
lab driver (tools/lab/lab.py) into out/course-figures/, then copied to
course-notes/figures/NAME.png. Runs are deterministic, so a figure changes
only when the kernel does.
"""
import argparse
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = "/usr/bin/python3"

# figure name: (lab, lab.py options, plot)
FIGURES = {
    "hello-cpu-lanes": ("tracing-basics", [], "cpu_lanes"),
    "hello-refcounts": ("tracing-basics", [], "refcounts"),
    "vmm-fixed-refcounts": ("abandon-core", ["--bugs", ""], "refcounts"),
    "vmm-fixed-cpu-lanes": ("abandon-core", ["--bugs", ""], "cpu_lanes"),
    "vmm-bug-cpu-lanes": ("abandon-core", [], "cpu_lanes"),
    "vmm-bug-refcounts": ("abandon-core", [], "refcounts"),
    "vmm-bug-bochs-2cpu-cpu-lanes": ("abandon-core", ["--emu", "bochs", "--cpus", "2"], "cpu_lanes"),
    "vmm-bug-kill9-bochs-2cpu-cpu-lanes": ("abandon-core", ["--emu", "bochs", "--cpus", "2",
                                                            "--signal", "KILL"], "cpu_lanes"),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", default=os.path.join(ROOT, "build", "kernel.elf"))
    a = ap.parse_args()
    dst = os.path.join(ROOT, "course-notes", "figures")
    os.makedirs(dst, exist_ok=True)
    done = {}
    for fig, (lab, opts, plot) in FIGURES.items():
        key = (lab, tuple(opts))
        if key not in done:
            out = os.path.join(ROOT, "out", "course-figures", "%s%s" % (lab, "".join(opts).replace("-", "_")))
            r = subprocess.run([PY, os.path.join(ROOT, "tools", "lab", "lab.py"), lab, "--out", out,
                                "--kernel", a.kernel, "-q"] + opts, cwd=ROOT)
            if r.returncode:
                sys.exit("course_figures: %s %s failed" % (lab, " ".join(opts)))
            done[key] = out
        shutil.copy(os.path.join(done[key], plot + ".png"), os.path.join(dst, fig + ".png"))
        print("course-notes/figures/%s.png" % fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
