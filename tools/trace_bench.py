#!/usr/bin/python3
"""`make bench` figures of the trace core, one `name: value unit` per line.

- Instructions per enabled and per disabled event: the kernel's emit path
  built for the host (build/bin/trace_bench_emit, same flags as the kernel
  where they matter) counted with valgrind's callgrind over N calls of a
  noinline wrapper; deterministic, includes the wrapper's ret.
- Extraction throughput: build/bin/traceextract on a 64 MiB RAM image whose
  trace area holds 8 full rings (best of 5 runs, as the tool times itself),
  in MiB of trace area per second (the rest of the image is only scanned).
- The same path in the kernel itself: ktest trace_emit_cost under QEMU
  with -icount shift=0, where one TSC tick is one instruction.
- Bytes per record: in the ring (fixed slot) and in trace.raw (compact).
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "bin")
N = 10000


def instructions(mode):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        fn = "emit_enabled" if mode == "enabled" else "emit_disabled"
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        "--collect-atstart=no", f"--toggle-collect={fn}",
                        os.path.join(BIN, "trace_bench_emit"), mode, str(N)],
                       check=True, capture_output=True)
        with open(out) as f:
            total = int(re.search(r"^summary:\s+(\d+)", f.read(), re.M).group(1))
    return total / N


def kernel_cost():
    """(enabled, disabled) TSC ticks per event from the in-kernel ktest, or None."""
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "run.py"), "--cpus", "1",
                        "--cmdline", "ktest=trace_emit_cost", "--out", d, "--timeout", "120"],
                       capture_output=True)
        try:
            with open(os.path.join(d, "console.log")) as f:
                log = f.read()
        except FileNotFoundError:
            return None
    m = re.search(r"emit cost ([\d.]+) TSC ticks per enabled event, ([\d.]+) per disabled", log)
    return (m.group(1), m.group(2)) if m else None


def main():
    try:
        print(f"trace_host_instructions_enabled_event: {instructions('enabled'):.1f} instructions")
        print(f"trace_host_instructions_disabled_event: {instructions('disabled'):.1f} instructions")
    except FileNotFoundError:
        print("trace_instructions: valgrind not installed (tools/setup.sh)", file=sys.stderr)
    cost = kernel_cost()
    if cost:
        print(f"trace_kernel_instructions_enabled_event: {cost[0]} instructions")
        print(f"trace_kernel_instructions_disabled_event: {cost[1]} instructions")
    else:
        print("trace_kernel_instructions: the ktest run failed (make all first)", file=sys.stderr)
    with tempfile.TemporaryDirectory() as d:
        img, raw = os.path.join(d, "ram.bin"), os.path.join(d, "trace.raw")
        subprocess.run([os.path.join(BIN, "trace_bench_emit"), "image", img], check=True)
        best, recs = None, 0
        for _ in range(5):
            out = subprocess.run([os.path.join(BIN, "traceextract"), img, raw], check=True,
                                 capture_output=True, text=True).stdout
            m = re.search(r"(\d+) records, (\d+) bytes .* \(([\d.]+) ms\)", out)
            recs, size, ms = int(m.group(1)), int(m.group(2)), float(m.group(3))
            best = ms if best is None else min(best, ms)
        # The area (header page + 8 rings of 4096 x 64 bytes) is what is
        # decoded; the rest of the image is only scanned page by page.
        area_mib = (4096 + 8 * 4096 * 64) / (1 << 20)
        print(f"trace_extract_throughput: {area_mib / (best / 1000):.0f} MiB/s")
        print(f"trace_extract_records_rate: {recs / (best / 1000) / 1e6:.1f} Mrecords/s")
        print("trace_bytes_per_record_ring: 64 bytes")
        print(f"trace_bytes_per_record_raw: {size / recs:.1f} bytes")


if __name__ == "__main__":
    main()
