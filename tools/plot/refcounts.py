#!/usr/bin/python3
"""refcounts: each process's reference count over time, from a raw trace.

    /usr/bin/python3 tools/plot/refcounts.py IN.raw -o OUT.png [--svg]

One step line per process (the count after each kref get/put), a cross
where the process was freed, a triangle at each refused get/put (kref_error),
and the crash (first trap or panic) as a red dashed line. A count that drops
to zero while something still points at the process is the story of the
abandon_core lab: read this plot beside the CPU lanes (cpu_lanes.py).
"""
import traceplot as tp


def main():
    args = tp.parse_args(__doc__.splitlines()[0])
    t = tp.load(args.trace)
    div, unit = tp.time_unit(t)

    series, frees, errors = {}, {}, {}
    for e in t.events:
        x = t.ns(e.ts) / div
        if e.name in ("kref_get", "kref_put"):
            pts = series.setdefault(e["pid"], [])
            if not pts:
                pts.append((x, e["old"]))
            pts.append((x, e["new"]))
        elif e.name == "proc_free":
            frees.setdefault(e["pid"], []).append(x)
        elif e.name == "kref_error":
            errors.setdefault(e["pid"], []).append((x, e["count"]))

    fig, ax = tp.plt.subplots(figsize=(11, 4.8))
    end = t.ns(t.events[-1].ts) / div
    for pid in sorted(series):
        pts = series[pid]
        if not frees.get(pid):      # still alive at the end: carry the line there
            pts = pts + [(end, pts[-1][1])]
        xs, ys = zip(*pts)
        color = tp.pid_color(pid)
        ax.step(xs, ys, where="post", color=color, linewidth=2, label="pid %d" % pid)
        for fx in frees.get(pid, []):
            ax.plot([fx], [0], marker="X", markersize=11, color=color,
                    markeredgecolor="black", linestyle="none", zorder=6)
        for ex, ey in errors.get(pid, []):
            ax.plot([ex], [ey], marker="^", markersize=10, color="red",
                    markeredgecolor="black", linestyle="none", zorder=6)
    # legend entries for the markers, once
    ax.plot([], [], marker="X", color="white", markeredgecolor="black", markersize=10,
            linestyle="none", label="proc freed (__proc_free)")
    if errors:
        ax.plot([], [], marker="^", color="red", markeredgecolor="black", markersize=9,
                linestyle="none", label="refused get/put (kref_error)")
    # Traps and user faults other than the crash: small markers along the top.
    c = tp.crash(t)
    traps = [t.ns(e.ts) / div for e in t.events if e.name in ("trap", "proc_fault")
             and not (c and t.ns(e.ts) == c[0])]
    top = max([y for pts in series.values() for _, y in pts] + [1]) + 0.4
    if traps:
        ax.plot(traps, [top] * len(traps), marker="v", color="purple", linestyle="none",
                markersize=8, label="trap / user fault")
    tp.mark_crash(ax, t, div)

    ax.set_xlabel("time since the first event (%s)" % unit)
    ax.set_ylabel("references held")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(bottom=-0.3)
    ax.grid(True, alpha=0.3)
    title = args.title or "Reference count per process"
    sub = [s for s in (t.cmdline, "CRASHED" if t.panicked else "") if s]
    ax.set_title(title + ("  (%s)" % ", ".join(sub) if sub else ""))
    ax.legend(loc="upper left", fontsize=9, ncol=2)
    tp.save(fig, args)


if __name__ == "__main__":
    main()
