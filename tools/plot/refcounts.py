#!/usr/bin/python3
"""refcounts: each process's reference count over time, from a raw trace.

    /usr/bin/python3 tools/plot/refcounts.py IN.raw -o OUT.png [--svg]

One step line per process (the count after each kref get/put), a cross
where the process was freed, a triangle at each refused get/put (kref_error),
and the crash (first trap or panic) as a red dashed line. A count that drops
to zero while something still points at the process is the story of the
abandon_core lab: read this plot beside the CPU lanes (cpu_lanes.py).
"""
import bisect

import traceplot as tp


def draw(ax, t, xf, xlim, legend):
    """Refcount steps, frees, refused gets/puts, traps and the crash on ax;
    xf maps a time in ns to the x axis."""
    series, frees, errors = {}, {}, {}
    names = tp.proc_names(t)
    for e in t.events:
        x = xf(t.ns(e.ts))
        if e.name in ("kref_get", "kref_put"):
            pts = series.setdefault(e["pid"], [])
            if not pts:
                pts.append((x, e["old"]))
            pts.append((x, e["new"]))
        elif e.name == "proc_free":
            frees.setdefault(e["pid"], []).append(x)
        elif e.name == "kref_error":
            errors.setdefault(e["pid"], []).append((x, e["count"]))
    for pid in sorted(series):
        pts = series[pid]
        # Changes before the visible window: only the count they left.
        before = [p for p in pts if p[0] <= xlim[0]]
        pts = ([(xlim[0], before[-1][1])] if before else []) + \
            [p for p in pts if p[0] > xlim[0]]
        if not frees.get(pid):      # still alive at the end: carry the line there
            pts = pts + [(xlim[1], pts[-1][1])]
        if frees.get(pid) and frees[pid][-1] <= xlim[0]:
            continue                # freed before the window: nothing to draw
        xs, ys = zip(*pts)
        color = tp.pid_color(pid)
        ax.step(xs, ys, where="post", color=color, linewidth=2,
                label=tp.pid_label(pid, names.get(pid)) if legend else None)
        for fx in frees.get(pid, []):
            ax.plot([fx], [0], marker="X", markersize=11, color=color,
                    markeredgecolor="black", linestyle="none", zorder=6)
        for ex, ey in errors.get(pid, []):
            ax.plot([ex], [ey], marker="^", markersize=10, color="red",
                    markeredgecolor="black", linestyle="none", zorder=6)
    # Traps and user faults other than the crash: small markers along the top.
    c = tp.crash(t)
    traps = [xf(t.ns(e.ts)) for e in t.events if e.name in ("trap", "proc_fault")
             and not (c and t.ns(e.ts) == c[0])]
    top = max([y for pts in series.values() for _, y in pts] + [1]) + 0.4
    if traps:
        ax.plot(traps, [top] * len(traps), marker="v", color="purple", linestyle="none",
                markersize=8, label="trap / user fault" if legend else None)
    if c:
        ax.axvline(xf(c[0]), color="red", linewidth=2, linestyle="--", zorder=5,
                   label=c[1] if legend else None)
    if legend:
        ax.plot([], [], marker="X", color="white", markeredgecolor="black", markersize=10,
                linestyle="none", label="proc freed (__proc_free)")
        if errors:
            ax.plot([], [], marker="^", color="red", markeredgecolor="black", markersize=9,
                    linestyle="none", label="refused get/put (kref_error)")
    ax.set_ylabel("references held")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(bottom=-0.3)
    ax.set_xlim(*xlim)
    ax.grid(True, alpha=0.3)


def main():
    args = tp.parse_args(__doc__.splitlines()[0])
    t = tp.load(args.trace)
    div, unit = tp.time_unit(t)
    end = t.ns(t.events[-1].ts)
    zoom = None if args.no_zoom or len(t.events) <= 2 * tp.ZOOM_EVENTS else \
        t.events[-tp.ZOOM_EVENTS:]
    if zoom:
        fig, (ax, az) = tp.plt.subplots(2, 1, figsize=(12, 10.5),
                                        gridspec_kw=dict(height_ratios=[1, 1.15]))
    else:
        fig, ax = tp.plt.subplots(figsize=(11, 4.8))
    draw(ax, t, lambda ns: ns / div, (0, end / div * 1.02 or 1), True)
    ax.set_xlabel("time since the first event (%s)" % unit)
    title = args.title or "Reference count per process"
    sub = [s for s in (t.cmdline, "CRASHED" if t.panicked else "") if s]
    ax.set_title(title + ("  (%s)" % ", ".join(sub) if sub else ""))
    ax.legend(loc="upper left", fontsize=9, ncol=2)
    if zoom:
        # The end of the run, one column per event (see cpu_lanes.py).
        zts = [t.ns(e.ts) for e in zoom]

        def col(ns):
            return bisect.bisect_left(zts, ns) - 0.5

        draw(az, t, col, (-0.5, len(zoom) - 0.5), False)
        az.set_xticks(range(len(zoom)))
        az.set_xticklabels(["%d %s" % (e.cpu, e.name) for e in zoom], rotation=90, fontsize=6)
        az.set_xlabel("the last %d events, in order (CPU, event; tracecat shows their fields)"
                      % len(zoom))
        az.set_title("zoom: the end of the run, event by event (shaded above)", fontsize=10)
        ax.axvspan(zts[0] / div, end / div, color="gold", alpha=0.35, zorder=0)
    fig.tight_layout()
    tp.save(fig, args)


if __name__ == "__main__":
    main()
