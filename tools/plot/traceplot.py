"""traceplot: what the plot scripts share: reading a raw trace (through
tools/rawtrace.py), time units, per-process colours, the crash marker and the
command line (IN.raw -o OUT.png [--svg]).

The intervals drawn (cur_proc, owning_proc and VMCS state per CPU) are
computed here from the same events trace2perfetto reads for its lanes
(tools/perfetto/event_map.def), so the PNG and the Perfetto view agree.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # headless: no display needed, ever
import matplotlib.pyplot as plt  # noqa: E402,F401

import rawtrace  # noqa: E402


# The end of a run is where its story is (the destroy, the free, the crash),
# and it is short next to the whole run: a second panel shows its last events.
ZOOM_EVENTS = 60


def parse_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("trace", help="raw trace (trace.raw)")
    ap.add_argument("-o", "--output", required=True, help="image to write (.png, or .svg)")
    ap.add_argument("--svg", action="store_true", help="write SVG whatever the file name says")
    ap.add_argument("--title", help="title instead of the default")
    ap.add_argument("--no-zoom", action="store_true",
                    help="no second panel on the last %d events" % ZOOM_EVENTS)
    return ap.parse_args()


def load(path):
    """The decoded trace, or exit 2 with a clear message."""
    try:
        t = rawtrace.read(path)
    except (OSError, rawtrace.TraceError) as e:
        sys.exit("%s: %s: %s" % (os.path.basename(sys.argv[0]), path, e))
    if t.damaged:
        print("%s: warning: %s: %s; plotting the %d events before it"
              % (os.path.basename(sys.argv[0]), path, t.error, len(t.events)), file=sys.stderr)
    if not t.events:
        sys.exit("%s: %s: no events to plot" % (os.path.basename(sys.argv[0]), path))
    return t


def unit_for(span_ns):
    """(divisor from ns, label) for a span of time."""
    for div, name in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if span_ns >= 10 * div:
            return div, name
    return 1.0, "ns"


def time_unit(t):
    """(divisor from ns, label) so that the run spans a readable range."""
    return unit_for(t.ns(t.events[-1].ts))


def pid_color(pid):
    """A stable colour per pid (the same in every plot of a run)."""
    cmap = plt.get_cmap("tab10")
    return cmap((pid - 1) % 10) if pid else (0.6, 0.6, 0.6, 1.0)


def pid_label(pid, name=None):
    """How the plots (and trace2perfetto) name a process: "vmm [3]", or
    "pid 3" when the trace never said which program it runs."""
    return "%s [%d]" % (name, pid) if name else "pid %d" % pid


def proc_names(t):
    """pid -> the last name the trace gave it (proc_create, then proc_exec)."""
    names = {}
    for e in t.events:
        if e.name in ("proc_create", "proc_exec") and e["name"]:
            names[e["pid"]] = e["name"]
    return names


def crash(t):
    """(ns, text) of the first trap or panic of a crashed run, else None."""
    if not t.panicked:
        return None
    for e in t.events:
        if e.name in ("trap", "panic"):
            if e.name == "trap":
                return t.ns(e.ts), "crash: %s trap" % t.enum_name("trap_vector", e["vector"])
            return t.ns(e.ts), "crash: panic"
    return t.ns(t.events[-1].ts), "crash"


def mark_crash(ax, t, div, label=True):
    c = crash(t)
    if c:
        ax.axvline(c[0] / div, color="red", linewidth=2, linestyle="--",
                   label=c[1] if label else None, zorder=5)
    return c


def lanes(t):
    """Per CPU: {"cur_proc": [(start, end, pid, state, label)], "owning_proc": ..., "VMCS": ...}.

    VMCS states: "loaded" (VMPTRLD), "lingering" (lazy unload), "freed"
    (its proc freed while the core still caches it). Times in ns; a lane
    still open at the end of the trace ends there. label: the process as
    it was named when the interval began ("vmm [3]", pid_label); an exec
    starts a new interval under the new name, as in trace2perfetto.
    """
    end = t.ns(t.events[-1].ts)
    out = {}
    open_ = {}
    gpc_pid = {}
    names = {}

    def close(cpu, lane, ts):
        cur = open_.pop((cpu, lane), None)
        if cur:
            out.setdefault(cpu, {}).setdefault(lane, []).append(
                (cur[0], ts, cur[1], cur[2], pid_label(cur[1], cur[4])))
        return cur

    def start(cpu, lane, ts, pid, state, key=None):
        close(cpu, lane, ts)
        open_[(cpu, lane)] = (ts, pid, state, key, names.get(pid, ""))

    for e in t.events:
        ts = t.ns(e.ts)
        out.setdefault(e.cpu, {})
        if e.name == "proc_create":
            names[e["pid"]] = e["name"]
        elif e.name == "proc_exec" and e["name"]:
            names[e["pid"]] = e["name"]
            for (cpu, lane), cur in list(open_.items()):
                if lane != "VMCS" and cur[1] == e["pid"]:
                    start(cpu, lane, ts, cur[1], cur[2], cur[3])
        elif e.name in ("cur_proc", "owning_proc"):
            if e["new"]:
                start(e.cpu, e.name, ts, e["new"], "")
            else:
                close(e.cpu, e.name, ts)
        elif e.name in ("vmptrld", "vmcs_lazy_unload"):
            gpc_pid[e["gpc"]] = e["pid"]
            start(e.cpu, "VMCS", ts, e["pid"], "loaded" if e.name == "vmptrld" else "lingering",
                  e["gpc"])
        elif e.name == "vm_entry":
            cur = open_.get((e.cpu, "VMCS"))
            if cur and cur[3] == e["gpc"] and cur[2] == "lingering":   # in use again
                start(e.cpu, "VMCS", ts, cur[1], "loaded", cur[3])
        elif e.name == "vmclear":
            cur = open_.get((e.cpu, "VMCS"))
            if cur and cur[3] == e["gpc"]:
                close(e.cpu, "VMCS", ts)
        elif e.name == "gpc_free":
            for (cpu, lane), cur in list(open_.items()):
                if lane == "VMCS" and cur[3] == e["gpc"]:
                    start(cpu, "VMCS", ts, cur[1], "freed", cur[3])
    for (cpu, lane) in list(open_):
        close(cpu, lane, end)
    return out


def save(fig, args):
    out = args.output
    fmt = "svg" if args.svg or out.endswith(".svg") else "png"
    fig.savefig(out, format=fmt, dpi=120, bbox_inches="tight")
    print("%s: wrote %s" % (os.path.basename(sys.argv[0]), out))
