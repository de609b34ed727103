"""tk_kernel: read tkern's structures out of a stopped kernel, through GDB.

Every command in tools/gdb/ goes through this module, never through byte
offsets: a field is found by name in the DWARF type of the kernel GDB has
loaded (build/kernel.elf). So a struct that grows a field, or reorders its
fields, needs no change here; a field that does not exist yet (the kernel
is built in layers, VMX after the process model) is reported as absent
instead of crashing the command.

Conventions for the commands built on it:
  - `Missing` stands for "this kernel has no such symbol or field"; its
    str() is the one clean line a command prints in its place.
  - A pointer that cannot be read (not mapped, poisoned by kfree/page_free)
    is shown as such: reading freed memory is often exactly what a student
    is looking for, so it must never abort the whole listing.
"""

import gdb

# kfree() and page_free() fill freed memory with this byte (kernel/mm.h), so a
# pointer read back from freed memory is this non-canonical value.
POISON_BYTE = 0x6B
POISON_U64 = int.from_bytes(bytes([POISON_BYTE]) * 8, "little")

U64_MASK = (1 << 64) - 1

# Long linked lists in a corrupted kernel must not hang GDB.
MAX_LIST_WALK = 1024


class Missing:
    """A symbol or field the kernel being debugged does not have (yet)."""

    def __init__(self, what):
        self.what = what

    def __bool__(self):
        return False

    def __str__(self):
        return f"{self.what}: not in this kernel"


class KernelError(Exception):
    """Something a command needs is missing or unreadable (see run_command)."""


def run_command(name, fn, *args):
    """Run a command body; any kernel problem becomes one line "name: why".

    gdb.GdbError is GDB's way to fail a command without a Python traceback;
    a memory error (paging not on yet, a wild pointer) is reported the same
    way, so a script driving GDB sees which command failed and why.
    """
    try:
        return fn(*args)
    except KernelError as e:
        raise gdb.GdbError(f"{name}: {e}")
    except gdb.MemoryError as e:
        raise gdb.GdbError(f"{name}: kernel memory not readable here ({e}); "
                           "is the kernel past its early boot (paging on)?")


# ------------------------------------------------------------------ symbols

def symbol(name):
    """The value of a global (or file-static) kernel variable, or Missing."""
    sym = gdb.lookup_global_symbol(name)
    if sym is None:
        sym = gdb.lookup_static_symbol(name)
    # A CU that only declares `extern T name;` gives an UNRESOLVED symbol,
    # which GDB resolves through the ELF symbol table when read.
    if sym is None or not (sym.is_variable or sym.addr_class == gdb.SYMBOL_LOC_UNRESOLVED):
        return Missing(name)
    return sym.value()


def field_names(typ):
    typ = typ.strip_typedefs()
    return [f.name for f in typ.fields() if f.name]


def has_field(value_or_type, name):
    typ = value_or_type if isinstance(value_or_type, gdb.Type) else value_or_type.type
    return name in field_names(typ)


def field(value, name, owner=None):
    """value[name], or Missing("owner.name") when the struct has no such field."""
    if has_field(value, name):
        return value[name]
    tag = owner or value.type.strip_typedefs().tag or str(value.type)
    return Missing(f"{tag}.{name}")


def array_len(value):
    lo, hi = value.type.strip_typedefs().range()
    return hi - lo + 1


def sizeof(typ):
    return typ.strip_typedefs().sizeof


# ------------------------------------------------------------------- values

def addr(value):
    """A pointer's (or integer's) value as a Python int, 0 for NULL."""
    return int(value)


def is_poison(address):
    return address == POISON_U64


def readable(address, length=1):
    """True if GDB can read `length` bytes at `address` right now."""
    if address == 0 or is_poison(address):
        return False
    try:
        gdb.selected_inferior().read_memory(address, length)
        return True
    except gdb.MemoryError:
        return False


def cstring(value):
    """A char array or char * as text; never reads past the array."""
    typ = value.type.strip_typedefs()
    try:
        if typ.code == gdb.TYPE_CODE_ARRAY:
            raw = bytes(gdb.selected_inferior().read_memory(value.address, typ.sizeof))
        else:
            p = addr(value)
            if p == 0:
                return ""
            raw = bytes(gdb.selected_inferior().read_memory(p, 64))
    except gdb.MemoryError:
        return "<unreadable>"
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def enum_name(value, prefix=""):
    """An enum value by its name without `prefix` (PROC_DYING -> DYING)."""
    text = str(value)
    if prefix and text.startswith(prefix):
        text = text[len(prefix):]
    return text


def symbolize(address):
    """A code or data address as symbol+0xoff (as tracecat prints KSYMs)."""
    if address == 0:
        return "0"
    try:
        text = gdb.execute(f"info symbol {address:#x}", to_string=True).strip()
    except gdb.error:
        return f"{address:#x}"
    # "name + 12 in section .text" / "name in section .text" / "No symbol matches ..."
    if text.startswith("No symbol"):
        return f"{address:#x}"
    name = text.split(" in section")[0]
    if " + " in name:
        base, off = name.split(" + ")
        return f"{base}+{int(off):#x}"
    return name


def walk_list(head, next_field="next"):
    """Follow a NULL-terminated singly linked list; stops at loops and bad links."""
    seen = set()
    node = head
    while addr(node) != 0 and len(seen) < MAX_LIST_WALK:
        a = addr(node)
        if a in seen or not readable(a):
            yield node, "unreadable" if a not in seen else "loop"
            return
        seen.add(a)
        yield node, None
        node = node.dereference()[next_field]


# ------------------------------------------------------------------ per-CPU

def per_cpu_blocks():
    """[(core id, struct per_cpu_info value)] for every CPU that came up.

    A block belongs to a CPU that ran percpu_init_* once its `self` points
    at itself; the rest of the static array is untouched zeroes.
    """
    infos = symbol("per_cpu_infos")
    if isinstance(infos, Missing):
        raise KernelError(str(infos) + " (the kernel has no per-CPU blocks yet)")
    out = []
    for i in range(array_len(infos)):
        pc = infos[i]
        try:
            if addr(pc["self"]) != int(pc.address):
                continue
        except gdb.MemoryError as e:
            raise KernelError(f"per_cpu_infos is not readable yet ({e}): "
                              "is the kernel past percpu_init_bsp()?")
        out.append((i, pc))
    if not out:
        raise KernelError("no CPU has set up its per-CPU block yet "
                          "(stopped before percpu_init_bsp?)")
    return out


def cpu_of_thread():
    """{core id: gdb thread} for QEMU's gdbstub, which makes CPU n thread n+1."""
    inf = gdb.selected_inferior()
    return {t.num - 1: t for t in inf.threads()}


def selected_core():
    """The core id of the thread GDB has selected (QEMU numbering), or None."""
    t = gdb.selected_thread()
    return None if t is None else t.num - 1


def thread_pc(thread):
    """The RIP of another CPU, by switching threads and back.

    The student's selected thread and frame (say, `frame 3` in a backtrace)
    are put back afterwards, so tk-cpus can be run in the middle of a
    session without losing one's place.
    """
    here = gdb.selected_thread()
    try:
        frame_level = gdb.selected_frame().level()
    except gdb.error:
        frame_level = None
    try:
        thread.switch()
        return gdb.newest_frame().pc()
    except gdb.error:
        return None
    finally:
        if here is not None:
            here.switch()
            if frame_level:
                try:
                    gdb.execute(f"frame {frame_level}", to_string=True)
                except gdb.error:
                    pass


# -------------------------------------------------------------------- procs

class ProcTable:
    """The static slot table of struct proc (kernel/proc.h)."""

    def __init__(self):
        self.table = symbol("proc_table")
        if isinstance(self.table, Missing):
            raise KernelError(str(self.table) + " (the kernel has no process model yet)")
        self.nslots = array_len(self.table)
        self.proc_type = self.table.type.strip_typedefs().target()
        self.base = int(self.table[0].address)
        self.stride = sizeof(self.proc_type)

    def slot_of(self, address):
        """The slot index a struct proc * points into, or None."""
        off = address - self.base
        if off < 0 or off >= self.nslots * self.stride or off % self.stride:
            return None
        return off // self.stride

    def slots(self):
        for i in range(self.nslots):
            yield i, self.table[i]


def proc_state(p):
    return enum_name(p["state"], "PROC_")


def proc_is_free(p):
    return int(p["pid"]) == 0 or proc_state(p) == "FREE"


def proc_label(ptr, table=None):
    """How a struct proc * reads right now: "3 vmm", "-" for NULL, or what
    is wrong with it (a freed slot, a pointer outside the table)."""
    a = addr(ptr)
    if a == 0:
        return "-"
    if is_poison(a):
        return f"{a:#x} (poison: read from freed memory)"
    table = table or ProcTable()
    slot = table.slot_of(a)
    if slot is None:
        return f"{a:#x} (not a proc_table slot)"
    p = table.table[slot]
    if proc_is_free(p):
        return f"slot {slot}, FREE (freed: a dangling pointer)"
    return f"{int(p['pid'])} {cstring(p['name'])}"


def proc_pid(ptr, table=None):
    """pid a struct proc * names, 0 for NULL or a freed slot (as the trace's F_PID)."""
    a = addr(ptr)
    if a == 0 or is_poison(a):
        return 0
    table = table or ProcTable()
    slot = table.slot_of(a)
    if slot is None:
        return 0
    p = table.table[slot]
    return 0 if proc_is_free(p) else int(p["pid"])
