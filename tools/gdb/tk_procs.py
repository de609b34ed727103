"""tk-ps: every process in the kernel's slot table, as the kernel sees it now.

The columns are the ones the labs ask about: the refcount (and who holds
it, as far as the per-CPU pointers tell), the state, the parent, and for a
VMM its EPT pointer and guest pcores. Nothing here is computed from the
trace: this is the live memory, so comparing it with the trace's last
kref_get/kref_put for a pid is a check of the kernel's bookkeeping.
"""

import gdb

import tk_kernel as K


def core_roles(table):
    """{slot: ["cur@0", "own@1", ...]}: which cores point at each proc.

    These are the counted CUR_PROC and OWNING refs of the abandon-core chain,
    so a student can account for part of the refcount at a glance.
    """
    roles = {}
    try:
        blocks = K.per_cpu_blocks()
    except K.KernelError:
        return roles
    for core, pc in blocks:
        for fname, tag in (("cur_proc", "cur"), ("owning_proc", "own")):
            ptr = K.field(pc, fname)
            if isinstance(ptr, K.Missing) or K.addr(ptr) == 0:
                continue
            slot = table.slot_of(K.addr(ptr))
            if slot is not None:
                roles.setdefault(slot, []).append(f"{tag}@{core}")
    return roles


def children_pids(p, table):
    kids = K.field(p, "children")
    if isinstance(kids, K.Missing) or not K.has_field(p, "sibling"):
        return None
    out = []
    for node, problem in K.walk_list(kids, "sibling"):
        if problem:
            out.append(f"<{problem}>")
            break
        out.append(str(K.proc_pid(node, table) or f"{K.addr(node):#x}"))
    return out


def vmx_summary(p):
    """"eptp=0x... gpcs=1", or "" when the proc has no VM state (or no VMX)."""
    parts = []
    eptp = K.field(p, "eptp")
    if not isinstance(eptp, K.Missing) and int(eptp) != 0:
        parts.append(f"eptp={int(eptp):#x}")
    n = K.field(p, "nr_gpcs")
    if not isinstance(n, K.Missing) and int(n) != 0:
        parts.append(f"gpcs={int(n)}")
    return " ".join(parts)


def format_ps(show_all=False):
    table = K.ProcTable()
    roles = core_roles(table)
    has_parent = K.has_field(table.proc_type, "parent")
    rows = [("SLOT", "PID", "NAME", "STATE", "REFS", "PARENT", "CHILDREN", "CORES", "VMX")]
    for slot, p in table.slots():
        if K.proc_is_free(p) and not show_all:
            continue
        parent = K.proc_label(p["parent"], table).split(" ")[0] if has_parent else "?"
        kids = children_pids(p, table)
        rows.append((
            str(slot),
            str(int(p["pid"])),
            K.cstring(p["name"]) or "-",
            K.proc_state(p),
            str(int(p["refcnt"])),
            parent,
            ",".join(kids) if kids else "-",
            ",".join(roles.get(slot, [])) or "-",
            vmx_summary(p) or "-",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    if len(rows) == 1:
        lines.append("(no process slot in use)")
    if not has_parent:
        lines.append("parent: " + str(K.Missing("struct proc.parent")))
    return "\n".join(lines)


class TkPs(gdb.Command):
    """List every process: slot, pid, name, state, refcount, parent.

Usage: tk-ps [all]

One line per used slot of proc_table (with `all`: every slot, free ones too,
to see what a reset slot holds). Columns:
  REFS      the kref count right now (proc_incref/proc_decref)
  PARENT    the parent's pid (the parent pointer holds no ref)
  CHILDREN  pids on the children list (each holds a CHILDREN ref)
  CORES     cores whose cur_proc (cur@N) or owning_proc (own@N) point here:
            each is one counted ref
  VMX       the EPT pointer and guest pcore count of a VMM
A freed slot reads pid 0, state FREE and EPTP 0: that is what a stale
gpc->proc sees."""

    def __init__(self):
        super().__init__("tk-ps", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if args not in ([], ["all"]):
            raise gdb.GdbError("usage: tk-ps [all]")
        gdb.write(K.run_command("tk-ps", format_ps, bool(args)) + "\n")

TkPs()
