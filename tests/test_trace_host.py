"""Host unit tests of the trace core.

Each C test of build/bin/trace_host_test (tests/trace_host_test.c: rings,
nesting, the round trip of every event in trace/events.def, the extractor
and reader against truncation and corruption at every offset) is one
pytest case. The command-line tools are checked on a trace made by the
test program's own emit path.
"""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "bin")
TEST = os.path.join(BIN, "trace_host_test")


def _names():
    if not os.path.exists(TEST):
        return ["missing-build"]
    out = subprocess.run([TEST, "--list"], capture_output=True, text=True, check=True)
    return out.stdout.split()


@pytest.mark.parametrize("name", _names())
def test_c_unit(name):
    assert os.path.exists(TEST), "run `make trace-tools` first"
    r = subprocess.run([TEST, name], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == f"PASS {name}"


def _run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, **kw)


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """A 64 MiB RAM image with full rings on all 8 CPUs (trace_bench_emit)."""
    path = tmp_path_factory.mktemp("img") / "ram.bin"
    r = _run(os.path.join(BIN, "trace_bench_emit"), "image", str(path))
    assert r.returncode == 0, r.stderr
    return path


def test_extract_and_cat(image, tmp_path):
    raw = tmp_path / "trace.raw"
    r = _run(os.path.join(BIN, "traceextract"), str(image), str(raw))
    assert r.returncode == 0, r.stderr
    assert "records" in r.stdout
    cat = _run(os.path.join(BIN, "tracecat"), "--no-symbols", str(raw))
    assert cat.returncode == 0, cat.stderr
    lines = cat.stdout.splitlines()
    # Flight recorder: 100 records per CPU were overwritten, and say so first.
    lost = [l for l in lines if " trace_lost " in l]
    assert len(lost) == 8 and all("count=100 reason=overwritten" in l for l in lost)
    cpus = {l.split()[1] for l in lines}
    assert cpus == {str(c) for c in range(8)}
    ts = [int(l.split()[0]) for l in lines]
    assert ts == sorted(ts), "not merged in timestamp order"
    summ = _run(os.path.join(BIN, "tracecat"), "--summary", str(raw))
    assert ("cpu 7 records 4096 lost 100 reserved 4196 written 4196 overwritten 100 dropped 0"
            in summ.stdout.splitlines())
    assert "total records 32768 lost 800" in summ.stdout
    only = _run(os.path.join(BIN, "tracecat"), "--cpu", "3", "--event", "ipi_send", str(raw))
    assert only.stdout and all(l.split()[1:3] == ["3", "ipi_send"] for l in only.stdout.splitlines())
    # --ns: nanoseconds since the first event (the image's TSC runs at 1 GHz).
    ns = _run(os.path.join(BIN, "tracecat"), "--no-symbols", "--ns", str(raw)).stdout.splitlines()
    assert ns[0].split()[0] == "0"
    assert [int(l.split()[0]) for l in ns] == [t - ts[0] for t in ts]
    cat_f = _run(os.path.join(BIN, "tracecat"), "--cat", "trap", str(raw))
    assert cat_f.stdout and all(" trap vector=PF " in l for l in cat_f.stdout.splitlines())


def test_tracecat_damaged_file(image, tmp_path):
    raw = tmp_path / "trace.raw"
    assert _run(os.path.join(BIN, "traceextract"), "-q", str(image), str(raw)).returncode == 0
    data = raw.read_bytes()
    cut = tmp_path / "cut.raw"
    cut.write_bytes(data[: len(data) // 2])
    r = _run(os.path.join(BIN, "tracecat"), "--no-symbols", str(cut))
    assert r.returncode == 1
    assert "offset" in r.stderr and "decoded" in r.stderr
    assert "reason=damaged" in r.stdout


def test_bad_input_messages(tmp_path):
    junk = tmp_path / "junk"
    junk.write_bytes(b"\0" * 8192)
    r = _run(os.path.join(BIN, "traceextract"), str(junk), str(tmp_path / "out.raw"))
    assert r.returncode == 1 and "no trace area" in r.stderr
    assert not (tmp_path / "out.raw").exists()
    r = _run(os.path.join(BIN, "tracecat"), str(junk))
    assert r.returncode == 2 and "not a tkern raw trace" in r.stderr
    r = _run(os.path.join(BIN, "tracecat"), "--event", "no_such_event", str(junk))
    assert r.returncode == 2 and "unknown event" in r.stderr


def test_events_doc_up_to_date():
    """course-notes/events.md is generated from trace/events.def: `make events-doc`."""
    r = _run(os.path.join(BIN, "tracedoc"))
    assert r.returncode == 0
    with open(os.path.join(ROOT, "course-notes", "events.md")) as f:
        assert f.read() == r.stdout, "course-notes/events.md is stale: run `make events-doc`"
