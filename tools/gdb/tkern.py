"""tkern.py: load tkern's GDB commands (source it from GDB, or `make gdb`).

    (gdb) source tools/gdb/tkern.py
    (gdb) tk-help

The commands live in one module per idea beside this file:
  tk_kernel.py   reading kernel structures through DWARF types (no offsets)
  tk_procs.py    tk-ps
  tk_cpus.py     tk-cpus, tk-kmsgs
  tk_trace.py    tk-trace, tk-trace-dump
Sourcing this file again reloads them, so a helper edited during a session
takes effect without restarting GDB (and QEMU).
"""

import importlib
import os
import sys

import gdb

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

MODULES = ("tk_kernel", "tk_procs", "tk_cpus", "tk_trace")
for _name in MODULES:
    if _name in sys.modules:
        importlib.reload(sys.modules[_name])
    else:
        importlib.import_module(_name)


class TkHelp(gdb.Command):
    """List tkern's GDB commands (help CMD says more about each).

Usage: tk-help"""

    COMMANDS = (
        ("tk-ps [all]", "every process: pid, name, state, refcount, parent, cores"),
        ("tk-cpus", "per CPU: cur_proc, owning_proc, cur_kthread, lazy VMCS, KMSGs"),
        ("tk-kmsgs [CPU]", "the immediate and routine KMSG queues"),
        ("tk-trace [N]", "the last N trace events, as tracecat prints them"),
        ("tk-trace-dump FILE", "the trace up to now as a raw trace file"),
    )

    def __init__(self):
        super().__init__("tk-help", gdb.COMMAND_SUPPORT)

    def invoke(self, arg, from_tty):
        width = max(len(c) for c, _ in self.COMMANDS)
        for cmd, what in self.COMMANDS:
            gdb.write(f"  {cmd.ljust(width)}  {what}\n")


TkHelp()
