"""tk-cpus and tk-kmsgs: the per-CPU state of the process model and VMX.

struct per_cpu_info (kernel/percpu.h) is filled in by layers: the platform
first, then the process model (cur_proc, owning_proc, owning_vcoreid,
cur_kthread, kmsgs), then VMX (gpc_to_clear_to). Each field is looked up
by name; one that a layer has not added yet prints "not in this kernel",
and the command picks it up as soon as the kernel has it.

The lazy VMCS slot is the heart of the abandon_core lab: gpc_to_clear_to
is a weak pointer to a guest pcore, and gpc->proc a weak pointer to its
process. Both are followed here and checked: a GPC in freed (poisoned)
memory or a proc slot that was reset is said so in words.
"""

import gdb

import tk_kernel as K


# ------------------------------------------------------------------ labels

def kthread_label(ptr, table):
    a = K.addr(ptr)
    if a == 0:
        return "-"
    if not K.readable(a):
        return f"{a:#x} (unreadable{', poison' if K.is_poison(a) else ''})"
    kt = ptr.dereference()
    parts = []
    kid = K.field(kt, "id")
    parts.append(f"kthread {int(kid)}" if not isinstance(kid, K.Missing) else f"kthread {a:#x}")
    name = K.field(kt, "name")
    if not isinstance(name, K.Missing) and K.addr(name) != 0:
        parts.append(f'"{K.cstring(name)}"')
    is_ktask = K.field(kt, "is_ktask")
    proc = K.field(kt, "proc")
    if not isinstance(is_ktask, K.Missing) and bool(is_ktask):
        parts.append("(ktask)")
    elif not isinstance(proc, K.Missing) and K.addr(proc) != 0:
        parts.append(f"(proc {K.proc_label(proc, table)})")
    return " ".join(parts)


def gpc_label(ptr, table):
    """The lazy VMCS slot: the GPC, its VMCS and the proc gpc->proc names."""
    a = K.addr(ptr)
    if a == 0:
        return "- (no VMCS held here)"
    if K.is_poison(a):
        return f"{a:#x} (poison: the slot was read from freed memory)"
    if not K.readable(a, K.sizeof(ptr.type.target())):
        return f"gpc {a:#x} (unreadable)"
    gpc = ptr.dereference()
    text = f"gpc {a:#x}"
    gid = K.field(gpc, "gpcid")
    if not isinstance(gid, K.Missing):
        text += f" (#{int(gid)})"
    in_use = K.field(gpc, "in_use")
    if not isinstance(in_use, K.Missing) and not bool(in_use):
        text += " [GPC slot not in use: freed]"
    vmcs = K.field(gpc, "vmcs")
    if not isinstance(vmcs, K.Missing) and K.addr(vmcs) != 0:
        text += f" vmcs={K.addr(vmcs):#x}{vmcs_page_state(K.addr(vmcs))}"
    proc = K.field(gpc, "proc")
    if isinstance(proc, K.Missing):
        return text + f"; {proc}"
    pa = K.addr(proc)
    if K.is_poison(pa):
        return text + " -> proc <poison>: the GPC itself was freed (dangling slot)"
    label = K.proc_label(proc, table)
    eptp = ""
    slot = table.slot_of(pa)
    if slot is not None and K.has_field(table.proc_type, "eptp"):
        eptp = f", eptp={int(table.table[slot]['eptp']):#x}"
    return text + f" -> proc {label}{eptp}"


def vmcs_page_state(va):
    """" (page freed: poisoned)" when the VMCS page reads as page_free left it.

    A VMCS page starts with its revision id, never 0x6b6b6b6b; page_free
    fills the whole page with POISON_BYTE, so a VMCLEAR through a stale
    slot would hit a page in this state.
    """
    try:
        head = bytes(gdb.selected_inferior().read_memory(va, 8))
    except gdb.MemoryError:
        return " (unreadable)"
    return " (page freed: poisoned)" if head == bytes([K.POISON_BYTE]) * 8 else ""


# ------------------------------------------------------------------- KMSGs

def kmsg_queues(pc):
    """[(queue name, fifo value)] or a Missing for a kernel without KMSGs."""
    q = K.field(pc, "kmsgs")
    if isinstance(q, K.Missing):
        return q
    return [(name, q[name]) for name in ("immediate", "routine") if K.has_field(q, name)]


def kmsg_lines(fifo):
    out = []
    for node, problem in K.walk_list(fifo["head"]):
        if problem:
            out.append(f"<{problem} link {K.addr(node):#x}>")
            break
        m = node.dereference()
        # The args are `long`; a kernel pointer reads best as unsigned hex,
        # the way tracecat prints a kmsg_send's arg0.
        args = ", ".join(f"{int(m[f]) & K.U64_MASK:#x}" for f in ("arg0", "arg1", "arg2")
                         if K.has_field(m, f))
        out.append(f"{K.symbolize(K.addr(m['pc']))}({args}) from cpu {int(m['srcid'])}")
    return out


def kmsg_summary(pc):
    queues = kmsg_queues(pc)
    if isinstance(queues, K.Missing):
        return str(queues)
    parts = []
    for name, fifo in queues:
        handlers = [l.split("(")[0] for l in kmsg_lines(fifo)]
        parts.append(f"{name} {len(handlers)}" + (f" [{', '.join(handlers)}]" if handlers else ""))
    return "; ".join(parts)


# -------------------------------------------------------------------- CPUs

def cpu_field(pc, name, fmt):
    v = K.field(pc, name)
    return str(v) if isinstance(v, K.Missing) else fmt(v)


def format_cpus():
    table = None
    try:
        table = K.ProcTable()
    except K.KernelError as e:
        no_procs = str(e)
    threads = K.cpu_of_thread()
    here = K.selected_core()
    lines = []
    for core, pc in K.per_cpu_blocks():
        head = f"CPU {core}"
        t = threads.get(core)
        if t is not None:
            rip = K.thread_pc(t)
            head += f"  (gdb thread {t.num}{', selected' if core == here else ''})"
            if rip is not None:
                head += f"  at {K.symbolize(rip)}"
        if K.has_field(pc, "online") and not bool(pc["online"]):
            head += "  [not online]"
        # Set by a CPU as it halts for another CPU's panic (smp_stop_others).
        if K.has_field(pc, "stopped") and bool(pc["stopped"]):
            head += "  [stopped by a panic]"
        lines.append(head)

        def proc_fmt(v):
            return K.proc_label(v, table) if table else no_procs
        rows = [
            ("cur_proc", cpu_field(pc, "cur_proc", proc_fmt)),
            ("owning_proc", cpu_field(pc, "owning_proc", proc_fmt)),
            ("owning_vcoreid", cpu_field(pc, "owning_vcoreid", lambda v: str(int(v)))),
            ("cur_kthread", cpu_field(pc, "cur_kthread",
                                      lambda v: kthread_label(v, table) if table else no_procs)),
            ("gpc_to_clear_to", cpu_field(pc, "gpc_to_clear_to",
                                          lambda v: gpc_label(v, table) if table else no_procs)),
            ("kmsgs", kmsg_summary(pc)),
        ]
        for name, text in rows:
            lines.append(f"  {name:<17}{text}")
    return "\n".join(lines)


def format_kmsgs(only=None):
    lines = []
    blocks = K.per_cpu_blocks()
    if only is not None and only not in [c for c, _ in blocks]:
        raise K.KernelError(f"no CPU {only} (online: {', '.join(str(c) for c, _ in blocks)})")
    for core, pc in blocks:
        if only is not None and core != only:
            continue
        queues = kmsg_queues(pc)
        if isinstance(queues, K.Missing):
            return str(queues)
        for name, fifo in queues:
            msgs = kmsg_lines(fifo)
            depth = f" depth={int(fifo['depth'])}" if K.has_field(fifo, "depth") else ""
            lines.append(f"CPU {core} {name}:{depth}" + ("" if msgs else " (empty)"))
            lines += [f"  {i}: {m}" for i, m in enumerate(msgs)]
    return "\n".join(lines)


class TkCpus(gdb.Command):
    """Show each CPU's process-model and VMX state.

Usage: tk-cpus

For every CPU that came up (per_cpu_infos), where it is stopped and:
  cur_proc         whose address space is loaded (a counted ref)
  owning_proc      who should run on the core (a counted ref)
  owning_vcoreid   the vcore of owning_proc
  cur_kthread      the kthread whose stack the core runs on, and its proc
  gpc_to_clear_to  the lazy VMCS slot: the guest pcore whose VMCS is still
                   current here, and the proc its weak gpc->proc names (a
                   freed proc slot or a poisoned GPC is said in words)
  kmsgs            queued immediate and routine kernel messages (tk-kmsgs
                   lists them with their arguments)
A field the kernel does not have yet prints "not in this kernel"."""

    def __init__(self):
        super().__init__("tk-cpus", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        if arg.strip():
            raise gdb.GdbError("usage: tk-cpus")
        gdb.write(K.run_command("tk-cpus", format_cpus) + "\n")

class TkKmsgs(gdb.Command):
    """List the kernel messages queued on each CPU (or on one).

Usage: tk-kmsgs [CPU]

Per CPU, the immediate queue (run in the IPI handler) and the routine queue
(run at the next safe point: proc_restartcore or smp_idle), in FIFO order:
handler(arg0, arg1, arg2) and the sending CPU. A routine message queued to
the core itself raised no IPI: it waits here until the core drains it."""

    def __init__(self):
        super().__init__("tk-kmsgs", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if len(args) > 1 or (args and not args[0].isdigit()):
            raise gdb.GdbError("usage: tk-kmsgs [CPU]")
        only = int(args[0]) if args else None
        gdb.write(K.run_command("tk-kmsgs", format_kmsgs, only) + "\n")

TkCpus()
TkKmsgs()
