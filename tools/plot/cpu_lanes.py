#!/usr/bin/python3
"""cpu_lanes: per CPU, who is cur_proc, who is owning_proc, and whose VMCS is
current (loaded, lingering after a lazy unload, or freed while still cached),
from a raw trace.

    /usr/bin/python3 tools/plot/cpu_lanes.py IN.raw -o OUT.png [--svg]

Each CPU gets three rows; a bar's colour is the process (the same colours as
refcounts.py), its label the process's program and pid ("vmm [3]"). A VMCS row in red hatching is a dangling
VMCS: its process is gone but the core still holds it (gpc_to_clear_to).
Process frees are dotted lines, the crash a red dashed line.
"""
import bisect

from matplotlib.patches import Patch

import traceplot as tp

LANES = ("cur_proc", "owning_proc", "VMCS")
VMCS_STYLE = {"loaded": dict(alpha=1.0, hatch=None),
              "lingering": dict(alpha=0.45, hatch="//"),
              "freed": dict(alpha=1.0, hatch="xx")}


def draw(ax, t, rows, per_cpu, xf, xlim, pids):
    """The lanes of `rows` on ax; xf maps a time in ns to the x axis."""
    lo, hi = xlim
    for i, (cpu, lane) in enumerate(rows):
        y = len(rows) - 1 - i
        for start, end, pid, state, who in per_cpu.get(cpu, {}).get(lane, []):
            x0, x1 = max(xf(start), lo), min(xf(end), hi)
            if x1 <= lo or x0 >= hi:
                continue
            pids[pid] = who
            w = max(x1 - x0, 1e-9)
            style = VMCS_STYLE.get(state, dict(alpha=1.0, hatch=None))
            color = "red" if state == "freed" else tp.pid_color(pid)
            ax.broken_barh([(x0, w)], (y - 0.38, 0.76), facecolors=color,
                           edgecolor="black", linewidth=0.6, alpha=style["alpha"],
                           hatch=style["hatch"])
            label = who + ("" if not state or state == "loaded" else " " + state)
            if w > (hi - lo) * 0.006 * len(label):     # only where the label fits
                ax.text(x0 + w / 2, y, label, ha="center", va="center", fontsize=8,
                        clip_on=True, color="black",
                        bbox=dict(facecolor="white", alpha=0.7, linewidth=0, pad=1))
    for e in t.events:
        if e.name == "proc_free":
            ax.axvline(xf(t.ns(e.ts)), color="black", linestyle=":", linewidth=1)
    c = tp.crash(t)
    if c:
        ax.axvline(xf(c[0]), color="red", linewidth=2, linestyle="--", zorder=5)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(["CPU %d %s" % r for r in reversed(rows)], fontsize=9)
    for k in range(1, len(rows) // len(LANES)):
        ax.axhline(len(rows) - k * len(LANES) - 0.5, color="grey", linewidth=0.8)
    ax.set_xlim(lo, hi)
    ax.grid(True, axis="x", alpha=0.3)
    return c


def main():
    args = tp.parse_args(__doc__.splitlines()[0])
    t = tp.load(args.trace)
    div, unit = tp.time_unit(t)
    per_cpu = tp.lanes(t)
    cpus = sorted(set(per_cpu) | set(range(t.ncpus)))
    rows = []                                   # (cpu, lane) top to bottom
    for cpu in cpus:
        rows += [(cpu, lane) for lane in LANES]

    end = t.ns(t.events[-1].ts)
    zoom = None if args.no_zoom or len(t.events) <= 2 * tp.ZOOM_EVENTS else \
        t.events[-tp.ZOOM_EVENTS:]
    height = 1.0 + 0.55 * len(rows)
    if zoom:
        fig, (ax, az) = tp.plt.subplots(2, 1, figsize=(13, 2 * height + 2.2),
                                        gridspec_kw=dict(height_ratios=[1, 1.1]))
    else:
        fig, ax = tp.plt.subplots(figsize=(12, height))
    pids = {}                                   # pid -> its label, as last drawn
    c = draw(ax, t, rows, per_cpu, lambda ns: ns / div, (0, end / div * 1.02 or 1), pids)
    title = args.title or "Per-CPU cur_proc, owning_proc and VMCS"
    ax.set_title(title + ("  (CRASHED)" if c else ""))
    ax.set_xlabel("time since the first event (%s)" % unit)
    if zoom:
        # The end of the run, one column per event: the order is the story,
        # and long quiet stretches (a guest running) take no room.
        zts = [t.ns(e.ts) for e in zoom]

        def col(ns):
            return bisect.bisect_left(zts, ns) - 0.5

        draw(az, t, rows, per_cpu, col, (-0.5, len(zoom) - 0.5), pids)
        az.set_xticks(range(len(zoom)))
        az.set_xticklabels(["%d %s" % (e.cpu, e.name) for e in zoom], rotation=90, fontsize=6)
        az.set_xlabel("the last %d events, in order (CPU, event; tracecat shows their fields)"
                      % len(zoom))
        az.set_title("zoom: the end of the run, event by event (shaded above)", fontsize=10)
        ax.axvspan(zts[0] / div, end / div, color="gold", alpha=0.35, zorder=0)
    names = tp.proc_names(t)
    handles = [Patch(facecolor=tp.pid_color(p), edgecolor="black",
                     label=tp.pid_label(p, names.get(p)))
               for p in sorted(pids)]
    handles += [Patch(facecolor="white", edgecolor="black", hatch="//", label="VMCS lingering"),
                Patch(facecolor="red", edgecolor="black", hatch="xx",
                      label="VMCS of a freed proc, still cached"),
                tp.plt.Line2D([], [], color="black", linestyle=":", label="proc freed (__proc_free)")]
    if c:
        handles.append(tp.plt.Line2D([], [], color="red", linestyle="--", linewidth=2, label=c[1]))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    tp.save(fig, args)


if __name__ == "__main__":
    main()
