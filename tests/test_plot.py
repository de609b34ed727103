"""The plot scripts (tools/plot/) run headless on synthetic raw traces and
write non-empty images; the lanes they draw are the ones of the scenario;
bad input is a clear error.
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLOTS = os.path.join(ROOT, "tools", "plot")
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, PLOTS)

import synth_trace  # noqa: E402
import traceplot  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    d = tmp_path_factory.mktemp("plot")
    out = {}
    for name in ("abandon_core", "fixed"):
        out[name] = d / (name + ".raw")
        synth_trace.scenario(name).write(str(out[name]))
    return d, out


def plot(script, raw, out, *extra):
    env = dict(os.environ)
    env.pop("DISPLAY", None)                    # headless, always
    return subprocess.run(["/usr/bin/python3", os.path.join(PLOTS, script), str(raw),
                           "-o", str(out), *extra], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.mark.parametrize("script", ["refcounts.py", "cpu_lanes.py"])
@pytest.mark.parametrize("scenario", ["abandon_core", "fixed"])
def test_png_written(traces, script, scenario):
    d, raws = traces
    out = d / ("%s-%s.png" % (scenario, script))
    r = plot(script, raws[scenario], out)
    assert r.returncode == 0, r.stderr
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10000


def test_svg_on_request(traces):
    d, raws = traces
    out = d / "lanes.svg"
    r = plot("cpu_lanes.py", raws["abandon_core"], out, "--svg")
    assert r.returncode == 0, r.stderr
    svg = out.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    # the crash and the dangling VMCS are in the picture's text
    assert "crash: UD trap" in svg and "VMCS of a freed proc" in svg
    # processes are named by their program, as in Perfetto: legend and bars
    assert "vmm [2]" in svg and "sh [1]" in svg and "pid 2" not in svg
    # the end of the run, event by event, with the events named in order
    assert "zoom: the end of the run" in svg
    assert svg.index("0 proc_free") < svg.index("0 vmclear") < svg.index("0 trap")
    r = plot("cpu_lanes.py", raws["abandon_core"], d / "nozoom.svg", "--no-zoom")
    assert r.returncode == 0 and "zoom" not in (d / "nozoom.svg").read_text()


def test_lanes_follow_the_scenario(traces):
    _, raws = traces
    t = traceplot.rawtrace.read(str(raws["abandon_core"]))
    lanes = traceplot.lanes(t)
    assert [iv[2] for iv in lanes[0]["cur_proc"]] == [2, 1]
    assert [iv[4] for iv in lanes[0]["cur_proc"]] == ["vmm [2]", "sh [1]"]
    assert traceplot.proc_names(t) == {1: "sh", 2: "vmm"}
    assert [iv[2] for iv in lanes[0]["owning_proc"]] == [2]
    states = [iv[3] for iv in lanes[0]["VMCS"]]
    assert states[0] == "loaded" and "lingering" in states and states[-1] == "freed"
    assert traceplot.crash(t)[1] == "crash: UD trap"
    t = traceplot.rawtrace.read(str(raws["fixed"]))
    assert traceplot.crash(t) is None
    assert "freed" not in [iv[3] for iv in traceplot.lanes(t)[0]["VMCS"]]


def test_bad_input_is_a_clear_error(traces):
    d, _ = traces
    bad = d / "junk.raw"
    bad.write_bytes(b"junk" * 50)
    r = plot("refcounts.py", bad, d / "junk.png")
    assert r.returncode != 0 and "not a tkern raw trace" in r.stderr
    assert not (d / "junk.png").exists()


def test_damaged_trace_still_plots(traces):
    d, raws = traces
    w = synth_trace.scenario("abandon_core")
    w.chunk_records = 16
    data = w.tobytes()
    cut = d / "cut.raw"
    cut.write_bytes(data[: len(data) * 2 // 3])
    r = plot("refcounts.py", cut, d / "cut.png")
    assert r.returncode == 0, r.stderr
    assert "warning" in r.stderr and (d / "cut.png").stat().st_size > 10000
