#!/usr/bin/python3
"""cpu_lanes: per CPU, who is cur_proc, who is owning_proc, and whose VMCS is
current (loaded, lingering after a lazy unload, or freed while still cached),
from a raw trace.

    /usr/bin/python3 tools/plot/cpu_lanes.py IN.raw -o OUT.png [--svg]

Each CPU gets three rows; a bar's colour is the process (the same colours as
refcounts.py), its label the pid. A VMCS row in red hatching is a dangling
VMCS: its process is gone but the core still holds it (gpc_to_clear_to).
Process frees are dotted lines, the crash a red dashed line.
"""
from matplotlib.patches import Patch

import traceplot as tp

LANES = ("cur_proc", "owning_proc", "VMCS")
VMCS_STYLE = {"loaded": dict(alpha=1.0, hatch=None),
              "lingering": dict(alpha=0.45, hatch="//"),
              "freed": dict(alpha=1.0, hatch="xx")}


def main():
    args = tp.parse_args(__doc__.splitlines()[0])
    t = tp.load(args.trace)
    div, unit = tp.time_unit(t)
    per_cpu = tp.lanes(t)
    cpus = sorted(set(per_cpu) | set(range(t.ncpus)))

    rows = []                                   # (cpu, lane) top to bottom
    for cpu in cpus:
        rows += [(cpu, lane) for lane in LANES]
    fig, ax = tp.plt.subplots(figsize=(12, 1.0 + 0.55 * len(rows)))
    span = t.ns(t.events[-1].ts) / div or 1
    pids = set()
    for i, (cpu, lane) in enumerate(rows):
        y = len(rows) - 1 - i
        for start, end, pid, state in per_cpu.get(cpu, {}).get(lane, []):
            pids.add(pid)
            x0, w = start / div, max((end - start) / div, 1e-9)
            style = VMCS_STYLE.get(state, dict(alpha=1.0, hatch=None))
            color = "red" if state == "freed" else tp.pid_color(pid)
            ax.broken_barh([(x0, w)], (y - 0.38, 0.76), facecolors=color,
                           edgecolor="black", linewidth=0.6, alpha=style["alpha"],
                           hatch=style["hatch"])
            label = "pid %d%s" % (pid, "" if not state or state == "loaded" else " " + state)
            if w > span * 0.004 * len(label):     # only where the label fits
                ax.text(x0 + w / 2, y, label, ha="center", va="center", fontsize=8,
                        clip_on=True, color="black")
    for e in t.events:
        if e.name == "proc_free":
            ax.axvline(t.ns(e.ts) / div, color="black", linestyle=":", linewidth=1)
    c = tp.mark_crash(ax, t, div)

    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(["CPU %d %s" % r for r in reversed(rows)], fontsize=9)
    for k in range(1, len(cpus)):
        ax.axhline(len(rows) - k * len(LANES) - 0.5, color="grey", linewidth=0.8)
    ax.set_xlim(0, t.ns(t.events[-1].ts) / div * 1.02 or 1)
    ax.set_xlabel("time since the first event (%s)" % unit)
    ax.grid(True, axis="x", alpha=0.3)
    title = args.title or "Per-CPU cur_proc, owning_proc and VMCS"
    ax.set_title(title + ("  (CRASHED)" if c else ""))
    handles = [Patch(facecolor=tp.pid_color(p), edgecolor="black", label="pid %d" % p)
               for p in sorted(pids)]
    handles += [Patch(facecolor="white", edgecolor="black", hatch="//", label="VMCS lingering"),
                Patch(facecolor="red", edgecolor="black", hatch="xx",
                      label="VMCS of a freed proc, still cached"),
                tp.plt.Line2D([], [], color="black", linestyle=":", label="proc freed (__proc_free)")]
    if c:
        handles.append(tp.plt.Line2D([], [], color="red", linestyle="--", linewidth=2, label=c[1]))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    tp.save(fig, args)


if __name__ == "__main__":
    main()
