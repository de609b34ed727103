"""tk-trace-dump and tk-trace: the trace rings out of a stopped kernel.

The kernel's trace area (the `trace_area` object, trace/format.h) is
self-describing, and build/bin/traceextract already turns any image that
holds it into the raw trace file (framed chunks with CRC32) that tracecat,
trace2perfetto and tracecheck read. So these commands do not decode
anything themselves: they copy the area out of guest memory into an image
file and hand it to the same extractor the run scripts use. One format,
one reader, whatever way the trace left the guest.

At a breakpoint the rings are not flushed: the per-ring counts in the
header are not final, and a record another CPU was writing at that instant
may be uncommitted. The extractor handles both (it trusts next_seq and each
record's commit word), so the dump holds every event committed so far.
"""

import os
import subprocess
import tempfile

import gdb

import tk_kernel as K

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AREA_SYMBOL = "trace_area"
TRACE_MAGIC = 0x3145434152544B54  # "TKTRACE1", as trace/format.h


def tool_path(name):
    """build/bin/NAME beside the kernel ELF GDB has loaded, else in this tree."""
    dirs = []
    elf = gdb.current_progspace().filename
    if elf:
        dirs.append(os.path.join(os.path.dirname(os.path.abspath(elf)), "bin"))
    dirs.append(os.path.join(ROOT, "build", "bin"))
    for d in dirs:
        p = os.path.join(d, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    raise K.KernelError(f"{name} not found in {' or '.join(dirs)}: build it with 'make'")


def kernel_elf():
    return gdb.current_progspace().filename


def dump_area_image(path):
    """Write the trace area, as it is in guest memory now, to `path`.

    The whole object (its size from the DWARF type of `trace_area`) in one
    read: 2 MiB come through QEMU's gdbstub in a tenth of a second, and a
    byte-for-byte copy lets traceextract judge a damaged header itself.
    """
    area = K.symbol(AREA_SYMBOL)
    if isinstance(area, K.Missing):
        raise K.KernelError(f"{area} (the kernel has no trace rings)")
    base, size = int(area.address), K.sizeof(area.type)
    try:
        image = bytes(gdb.selected_inferior().read_memory(base, size))
    except gdb.MemoryError as e:
        raise K.KernelError(f"cannot read the trace area ({e}): is paging on yet?")
    if int.from_bytes(image[:8], "little") != TRACE_MAGIC:
        raise K.KernelError("the trace area has no magic yet: the kernel has not "
                           "reached trace_init (continue past it and try again)")
    with open(path, "wb") as f:
        f.write(image)
    return size


def extract(image, raw):
    """traceextract IMAGE RAW; its message on failure."""
    p = subprocess.run([tool_path("traceextract"), image, raw],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise K.KernelError("traceextract failed: " + (p.stderr or p.stdout).strip())
    return (p.stdout + p.stderr).strip()


def dump_raw(raw):
    """The whole route: guest memory -> area image -> raw trace at `raw`."""
    with tempfile.TemporaryDirectory(prefix="tk-trace-") as tmp:
        image = os.path.join(tmp, "trace-area.bin")
        nbytes = dump_area_image(image)
        note = extract(image, raw)
    return nbytes, note


def tracecat(raw, extra):
    """tracecat's text for `raw`, symbolised with the kernel GDB has loaded."""
    argv = [tool_path("tracecat")]
    elf = kernel_elf()
    if elf:
        argv += ["--elf", elf]
    argv += extra + [raw]
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode not in (0, 1) or (p.returncode == 1 and not p.stdout):
        raise K.KernelError("tracecat failed: " + (p.stderr or p.stdout).strip())
    return p.stdout, p.stderr.strip()


class TkTraceDump(gdb.Command):
    """Write the kernel's trace rings to a raw trace file.

Usage: tk-trace-dump FILE

Copies the trace area out of the stopped kernel's memory and frames it with
build/bin/traceextract, exactly as a finished run's trace.raw: tracecat,
trace2perfetto and tracecheck read it. So at a breakpoint, or attached to
a hung kernel, you get the trace up to this instant:

  (gdb) tk-trace-dump /tmp/now.raw
  $ build/bin/tracecat /tmp/now.raw | tail
  $ build/bin/trace2perfetto /tmp/now.raw now.perfetto-trace"""

    def __init__(self):
        super().__init__("tk-trace-dump", gdb.COMMAND_DATA, gdb.COMPLETE_FILENAME)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if len(args) != 1:
            raise gdb.GdbError("usage: tk-trace-dump FILE")
        raw = os.path.abspath(os.path.expanduser(args[0]))
        nbytes, note = K.run_command("tk-trace-dump", dump_raw, raw)
        gdb.write(f"tk-trace-dump: {raw} ({nbytes} bytes of trace area read)"
                  + (f": {note}" if note else "") + "\n")


class TkTrace(gdb.Command):
    """Show the last N trace events, decoded as tracecat prints them.

Usage: tk-trace [N] [TRACECAT-OPTIONS...]

N defaults to 20 (0: every event). Options after N go to tracecat, e.g.
`tk-trace 50 --cat kref` for the last 50 refcount events. The rings are
read from the stopped kernel (as tk-trace-dump does) and decoded by
build/bin/tracecat, so the lines are the ones tracecat gives for the
finished run's trace.raw."""

    def __init__(self):
        super().__init__("tk-trace", gdb.COMMAND_DATA)

    @staticmethod
    def decode(tracecat_args):
        with tempfile.TemporaryDirectory(prefix="tk-trace-") as tmp:
            raw = os.path.join(tmp, "trace.raw")
            dump_raw(raw)
            return tracecat(raw, tracecat_args)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        count = 20
        if args and args[0].isdigit():
            count = int(args.pop(0))
        text, warn = K.run_command("tk-trace", self.decode, args)
        lines = text.splitlines()
        if count:
            lines = lines[-count:]
        gdb.write("\n".join(lines) + ("\n" if lines else "(no events)\n"))
        if warn:
            gdb.write(f"tracecat: {warn}\n")


TkTraceDump()
TkTrace()
