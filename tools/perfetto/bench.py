#!/usr/bin/python3
"""bench: trace2perfetto's figures for `make bench`, one `name: value unit`
line each, on a synthetic raw trace of >= 1M records (tools/synth_trace.py
`big`: the reference scenario's steady state: guest entries and exits,
interrupts, syscalls, kref traffic, KMSGs), beside the same events written
as Chrome JSON trace events by the same converter.

Times are CPU times of the process (the host may be busy); "speed" includes
decoding the raw file, "convert_speed" is trace2perfetto's own work.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import rawtrace  # noqa: E402
import synth_trace  # noqa: E402

OUT = os.path.join(ROOT, "build", "bench")
T2P = os.path.join(ROOT, "build", "bin", "trace2perfetto")


def stats(*args):
    r = subprocess.run([T2P, "--stats", *args], capture_output=True, text=True, check=True)
    out = {}
    for line in r.stdout.splitlines():
        name, val = line.split(":", 1)
        out[name] = float(val.split()[0])
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    raw = os.path.join(OUT, "big-%x.raw" % rawtrace.schema()["hash"])
    if not os.path.exists(raw):          # the table changed, or first run
        synth_trace.scenario("big").write(raw)
    pf = os.path.join(OUT, "big.perfetto-trace")
    js = os.path.join(OUT, "big.json")
    full = stats("--chrome-json", js, raw, pf)
    lean = stats("--lean", raw, os.path.join(OUT, "big-lean.perfetto-trace"))
    n = full["trace2perfetto_records"]
    json_bytes = os.path.getsize(js)
    conv = full["trace2perfetto_convert_time"]
    figures = [
        ("perfetto_bench_records", n, "records"),
        ("perfetto_speed", full["trace2perfetto_speed"], "records/s"),
        ("perfetto_convert_speed", full["trace2perfetto_convert_speed"], "records/s"),
        ("perfetto_bytes_per_record", full["trace2perfetto_bytes_per_record"], "bytes/record"),
        ("perfetto_lean_convert_speed", lean["trace2perfetto_convert_speed"], "records/s"),
        ("perfetto_lean_bytes_per_record", lean["trace2perfetto_bytes_per_record"], "bytes/record"),
        ("chrome_json_convert_speed", n / (conv + full["chrome_json_write_time"]), "records/s"),
        ("chrome_json_bytes_per_record", json_bytes / n, "bytes/record"),
        ("perfetto_vs_chrome_json_size", json_bytes / full["trace2perfetto_size"], "x smaller"),
    ]
    for name, val, unit in figures:
        print("%s: %.1f %s" % (name, val, unit) if val < 100 else "%s: %.0f %s" % (name, val, unit))


if __name__ == "__main__":
    main()
