#!/usr/bin/python3
"""tools/run.py: boot tkern once, scripted, and say how it ended.

    tools/run.py [--emu qemu|bochs] [--cpus N] [--cmdline '...'] [--out DIR]
                 [--timeout SECONDS] [--keep-ram] [--kernel build/kernel.elf]

This is the runner behind `make run` (tests and labs use it too). It writes

    DIR/console.log   everything the kernel printed on COM1
    DIR/status        one word: success, panic, hang or error
    DIR/reason        one line saying why (exit code, marker, timeout, ...)
    DIR/run.json      the same facts for scripts
    DIR/trace.raw     the trace rings, when build/bin/traceextract exists
    DIR/emulator.log  the emulator's own output (and bochs.log on Bochs)

and exits 0 only on success.

How a run ends (HACKING.md, "Exit protocol"): the kernel prints
`TKERN-EXIT: success|panic|fail` last, then leaves QEMU through isa-debug-exit
(exit status 33, 35, 37) or Bochs through the magic breakpoint and the
shutdown port. The status word:

    success  QEMU exit 33 / Bochs marker "success"
    panic    the kernel stopped on a failure it detected: QEMU exit 35
             (marker "panic") or 37 (marker "fail": a self-test failed), the
             same markers on Bochs; also a triple fault or reset (QEMU exits
             0 under -no-reboot, Bochs logs the triple fault), where the
             kernel could not even print its marker. `reason` tells which.
    hang     the timeout expired; the emulator was stopped.
    error    the emulator could not run or ended in a way the protocol does
             not explain (bad option, missing file, crash of the emulator).

Deterministic by default: QEMU runs with -icount shift=0,sleep=off, -kernel
(no GRUB) and an RTC fixed at 2000-01-01 on virtual time; Bochs with clock
sync=none and a fixed time0. The same
kernel, CPU count and command line give byte-identical console output.

Trace: QEMU keeps guest RAM in DIR/ram.bin (a memory-backend file, shared),
so the rings can be read after the run, even after a hang or triple fault;
the file is deleted afterwards unless --keep-ram (or KEEP_RAM=1). Bochs's
debugger script dumps the kernel's `trace_area` symbol (address and size from
`nm -S`) with `writemem` at the magic breakpoint, or when the timeout stops
a hung run, into DIR/trace-area.bin. Either image is handed to
`build/bin/traceextract IMAGE DIR/trace.raw` when that tool exists.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

QEMU = "qemu-system-x86_64"
BOCHS = "bochs"
RAM_MB = 256
# Bochs's wall clock at boot: fixed, so that a run never depends on the date
# (2000-01-01 00:00:00 UTC).
BOCHS_TIME0 = 946684800
BOCHS_CPU_MODEL = "corei7_haswell_4770"
BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest"
BOCHS_VGABIOS = "/usr/share/bochs/VGABIOS-lgpl-latest"
TRACE_SYMBOL = "trace_area"

QEMU_EXIT = {33: "success", 35: "panic", 37: "fail"}
MARKER_RE = re.compile(r"^TKERN-EXIT: (\w+)\s*$", re.M)
# Wall time, so generous: a loaded machine (tests on every core) runs a
# deterministic boot several times slower than an idle one.
DEFAULT_TIMEOUT = {"qemu": 300, "kvm": 300, "bochs": 900}
KVM_DEV = "/dev/kvm"
MAX_CPUS = 8


class RunError(Exception):
    """The run could not even start (bad input, missing tool or file)."""


def need_tool(name, group):
    if shutil.which(name) is None:
        raise RunError(f"{name} not found: install it with 'tools/setup.sh {group}'")


def last_marker(console):
    found = MARKER_RE.findall(console)
    return found[-1] if found else None


def trace_symbol(kernel_elf):
    """(address, size) of the kernel's trace area, or None if it has none."""
    if shutil.which("nm") is None:
        return None
    out = subprocess.run(["nm", "-S", "--defined-only", kernel_elf],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] == TRACE_SYMBOL:
            addr, size = int(parts[0], 16), int(parts[1], 16)
            if size > 0:
                return addr, size
    return None


def stop(proc, grace=5.0):
    """End an emulator we started: SIGTERM to its process group, then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass


# ---------------------------------------------------------------- QEMU

# MSRs that a limited KVM (nested, or a host without VMX/SVM) may refuse to
# set although its CPUID reports them, and the QEMU feature behind each.
KVM_MSR_FEATURE = {
    0x10a: ("IA32_ARCH_CAPABILITIES", "arch-capabilities"),
    0x48: ("IA32_SPEC_CTRL", "spec-ctrl"),
    0x122: ("IA32_TSX_CTRL", "tsx-ctrl"),
}
KVM_MSR_REFUSED = re.compile(r"failed to set MSR (0x[0-9a-fA-F]+)")


def kvm_probe_cpu(model):
    """Start QEMU on KVM with -cpu model, paused, and quit from its monitor:
    QEMU sets every MSR of the model on the way, so a refused one shows
    here in a few milliseconds. Returns the refused MSR number, or None."""
    out = subprocess.run([QEMU, "-enable-kvm", "-cpu", model, "-S", "-nodefaults",
                          "-display", "none", "-no-reboot", "-monitor", "stdio"],
                         input="quit\n", capture_output=True, text=True, timeout=60)
    m = KVM_MSR_REFUSED.search(out.stdout + out.stderr)
    if m:
        return int(m.group(1), 16)
    if out.returncode != 0:
        said = (out.stderr.strip().splitlines() or ["no message"])[-1]
        raise RunError(f"QEMU cannot start on KVM with -cpu {model}: {said}")
    return None


_kvm_cpu = None


def kvm_cpu_model():
    """-cpu host if KVM takes it; else host without each feature whose MSR
    KVM refused, said in one line on stderr (never a QEMU assertion)."""
    global _kvm_cpu
    if _kvm_cpu:
        return _kvm_cpu
    model, dropped = "host", []
    while True:
        msr = kvm_probe_cpu(model)
        if msr is None:
            break
        if msr not in KVM_MSR_FEATURE or len(dropped) == len(KVM_MSR_FEATURE):
            raise RunError(f"KVM refuses MSR {msr:#x} of -cpu {model}, and no CPU "
                           "feature is known to drop for it: use EMU=qemu (TCG)")
        name, feat = KVM_MSR_FEATURE[msr]
        dropped.append(f"{msr:#x} ({name})")
        model += f",-{feat}"
    if dropped:
        print(f"run: this KVM refuses MSR {', '.join(dropped)} of -cpu host; "
              f"using -cpu {model}", file=sys.stderr)
    _kvm_cpu = model
    return model


def kvm_unusable():
    """None where this host's KVM can start a VM, else why not. Measured,
    not guessed: /dev/kvm must open, and QEMU must start a paused VM on it
    with the CPU model kvm_cpu_model picks (the tests skip their KVM cases,
    and `make bench` its KVM figures, with this reason)."""
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as e:
        return f"no KVM here (/dev/kvm: {e.strerror})"
    if shutil.which(QEMU) is None:
        return f"{QEMU} not installed (tools/setup.sh installs it)"
    try:
        kvm_cpu_model()
    except (RunError, OSError, subprocess.TimeoutExpired) as e:
        return f"this KVM cannot start a VM: {e}"
    return None


def accel_args(a):
    """TCG with instruction counting (deterministic), or KVM with the host
    CPU (the hardware VMX backend where the host nests VMX; fast, but not
    deterministic)."""
    if getattr(a, "emu", "qemu") == "kvm":
        return ["-enable-kvm", "-cpu", kvm_cpu_model()]
    return ["-icount", "shift=0,sleep=off"]


def need_kvm(a):
    if getattr(a, "emu", "qemu") == "kvm" and not os.access(KVM_DEV, os.R_OK | os.W_OK):
        raise RunError(f"EMU=kvm needs {KVM_DEV} (KVM, with nested VMX for the "
                       "hardware backend); use EMU=qemu (TCG) or EMU=bochs")


def qemu_argv(a, out, kernel32, ram):
    argv = [QEMU,
            "-kernel", kernel32,
            "-append", a.cmdline,
            "-smp", str(a.cpus),
            "-m", f"{RAM_MB}M",
            *accel_args(a),
            # The CMOS clock too: a fixed date, advancing with virtual time
            # (as Bochs's time0), so no run depends on the host's clock.
            "-rtc", "base=2000-01-01T00:00:00,clock=vm",
            "-no-reboot",
            "-display", "none",
            "-monitor", "none",
            "-serial", "file:" + os.path.join(out, "console.log"),
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if ram:
        argv += ["-object",
                 f"memory-backend-file,id=mem,size={RAM_MB}M,mem-path={ram},share=on",
                 "-machine", "memory-backend=mem"]
    return argv


def run_qemu(a, out):
    need_tool(QEMU, "qemu")
    kernel32 = a.kernel32
    if not os.path.isfile(kernel32):
        raise RunError(f"no {kernel32}: build it with 'make'")
    need_kvm(a)
    if "," in out:
        raise RunError(f"QEMU's options cannot name a file in {out!r} (a comma): choose another OUT")
    ram = os.path.join(out, "ram.bin")
    argv = qemu_argv(a, out, kernel32, ram)
    with open(os.path.join(out, "emulator.log"), "wb") as log:
        log.write((" ".join(argv) + "\n").encode())
        log.flush()
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout=a.timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            stop(proc)
            rc, timed_out = None, True
        elapsed = time.monotonic() - t0

    console = read_text(os.path.join(out, "console.log"))
    marker = last_marker(console)
    if timed_out:
        status, reason = "hang", f"no exit within {a.timeout:g} s (QEMU stopped)"
    elif rc in QEMU_EXIT:
        word = QEMU_EXIT[rc]
        status = "success" if word == "success" else "panic"
        reason = f"QEMU exit {rc} ({word})"
        if marker != word:
            reason += f"; marker {marker!r} disagrees, the exit code wins"
    elif rc == 0:
        status = "panic"
        reason = "QEMU exit 0 without isa-debug-exit: triple fault or reset (-no-reboot)"
        if marker:
            reason += f"; marker {marker!r}"
    else:
        status = "error"
        # The log's first line is the command; what QEMU said follows it.
        said = read_text(os.path.join(out, "emulator.log")).strip().splitlines()[1:]
        reason = f"QEMU exit {rc}: " + (" | ".join(said[-3:]) or "no message")
    return dict(status=status, reason=reason, exit_code=rc, marker=marker,
                seconds=round(elapsed, 3), image=ram)


# ---------------------------------------------------------------- Bochs

def bochsrc(a, out, iso):
    return "\n".join([
        f"megs: {RAM_MB}",
        f"cpu: count={a.cpus}, model={BOCHS_CPU_MODEL}, reset_on_triple_fault=0",
        f"clock: sync=none, time0={BOCHS_TIME0}",
        f"romimage: file={BOCHS_BIOS}",
        f"vgaromimage: file={BOCHS_VGABIOS}",
        "display_library: term",
        f"ata0-master: type=cdrom, path={iso}, status=inserted",
        "boot: cdrom",
        f"com1: enabled=1, mode=file, dev={os.path.join(out, 'console.log')}",
        "magic_break: enabled=1",
        "sound: driver=dummy",
        "speaker: enabled=0",
        "mouse: enabled=0",
        "private_colormap: enabled=0",
        f"log: {os.path.join(out, 'bochs.log')}",
        # Anything Bochs calls a panic (a triple fault, with
        # reset_on_triple_fault=0) ends the run instead of asking a human.
        "panic: action=fatal",
        "error: action=report",
        "info: action=report",
        "debug: action=ignore",
        "",
    ])


def bochs_script(trace_dump, area):
    # `c` runs until the magic breakpoint (or until a SIGINT from the
    # timeout); then the trace area is dumped and Bochs quits.
    lines = ["c"]
    if area:
        lines.append(f'writemem "{trace_dump}" {area[0]:#x} {area[1]}')
    lines += ["quit", ""]
    return "\n".join(lines)


BOCHS_TRIPLE = re.compile(r"triple fault|shutdown status|exception\(\): 3rd", re.I)


def run_bochs(a, out):
    need_tool(BOCHS, "bochs")
    for f, grp in ((BOCHS_BIOS, "bochs"), (BOCHS_VGABIOS, "bochs")):
        if not os.path.isfile(f):
            raise RunError(f"{f} missing: install it with 'tools/setup.sh {grp}'")
    if not os.path.isdir("/usr/lib/x86_64-linux-gnu/bochs/plugins") or not any(
            "term" in p for p in os.listdir("/usr/lib/x86_64-linux-gnu/bochs/plugins")):
        raise RunError("Bochs's term display is missing: 'tools/setup.sh bochs' (bochs-term)")
    if not os.path.isfile(a.kernel):
        raise RunError(f"no {a.kernel}: build it with 'make'")
    if re.search(r"[\s,\"]", out):
        raise RunError(f"Bochs's config cannot name a file in {out!r} "
                       "(spaces, commas, quotes): choose another OUT")
    iso = os.path.join(out, "tkern.iso")
    mk = subprocess.run([os.path.join(ROOT, "tools", "mkiso.sh"), a.kernel, iso, a.cmdline],
                        capture_output=True, text=True)
    if mk.returncode != 0:
        raise RunError("making the boot ISO failed: " + mk.stderr.strip())
    area = trace_symbol(a.kernel)
    dump = os.path.join(out, "trace-area.bin")
    rc_file = os.path.join(out, "bochs.dbg")
    rc_text = os.path.join(out, "bochsrc")
    with open(rc_text, "w") as f:
        f.write(bochsrc(a, out, iso))
    with open(rc_file, "w") as f:
        f.write(bochs_script(dump, area))

    env = dict(os.environ, TERM=os.environ.get("TERM") or "xterm")
    if env["TERM"] in ("dumb", "unknown"):
        env["TERM"] = "xterm"
    argv = [BOCHS, "-q", "-f", rc_text, "-rc", rc_file]
    timed_out = False
    with open(os.path.join(out, "emulator.log"), "wb") as log:
        log.write((" ".join(argv) + "\n").encode())
        log.flush()
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env, cwd=out,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=a.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            # Ctrl-C drops Bochs into its debugger, which goes on with the
            # script: the trace area is dumped even from a hung kernel.
            try:
                os.killpg(proc.pid, signal.SIGINT)
                rc = proc.wait(timeout=20)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                stop(proc)
                rc = None
        elapsed = time.monotonic() - t0
    if not a.keep_ram:
        remove(iso)

    console = read_text(os.path.join(out, "console.log"))
    marker = last_marker(console)
    blog = read_text(os.path.join(out, "bochs.log"))
    if marker in ("success", "panic", "fail") and not timed_out:
        status = "success" if marker == "success" else "panic"
        reason = f"marker {marker!r}"
    elif timed_out:
        status, reason = "hang", f"no exit within {a.timeout:g} s (Bochs stopped)"
    elif BOCHS_TRIPLE.search(blog):
        status = "panic"
        reason = "Bochs: triple fault (no marker): " + first_match(BOCHS_TRIPLE, blog)
    else:
        status = "error"
        reason = f"Bochs ended (exit {rc}) without a TKERN-EXIT marker"
        bad = [l for l in blog.splitlines() if re.match(r"\d+[ep]\[", l)]
        if bad:
            reason += ": " + bad[-1].strip()
    image = dump if os.path.isfile(dump) else None
    return dict(status=status, reason=reason, exit_code=rc, marker=marker,
                seconds=round(elapsed, 3), image=image)


# ---------------------------------------------------------------- by hand

def exit_word(rc):
    return QEMU_EXIT.get(rc, "triple fault or reset" if rc == 0 else f"QEMU error (exit {rc})")


def interactive_qemu(a):
    """make qemu: COM1 on this terminal. Ctrl-C goes to the kernel (the
    shell's ctrl-c); Ctrl-A X quits QEMU, Ctrl-A C toggles its monitor.
    Not deterministic (no -icount): meant for a person at the keyboard."""
    need_tool(QEMU, "qemu")
    need_kvm(a)
    if not os.path.isfile(a.kernel32):
        raise RunError(f"no {a.kernel32}: build it with 'make'")
    argv = [QEMU, "-kernel", a.kernel32, "-append", a.cmdline, "-smp", str(a.cpus),
            "-m", f"{RAM_MB}M", "-no-reboot", "-display", "none",
            *(accel_args(a) if a.emu == "kvm" else []),
            "-chardev", "stdio,id=con,mux=on,signal=off",
            "-serial", "chardev:con", "-mon", "chardev=con,mode=readline",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    print(f"run: QEMU, {a.cpus} CPU(s), cmdline '{a.cmdline}'. Ctrl-A X quits, Ctrl-C goes to tkern.",
          file=sys.stderr)
    rc = subprocess.run(argv).returncode
    if rc == 0:
        # Ctrl-A X exits 0, and so does a triple fault under -no-reboot.
        print("\nrun: QEMU ended without an exit code: quit by hand (Ctrl-A X), "
              "or a triple fault/reset", file=sys.stderr)
        return 0
    print(f"\nrun: QEMU ended: {exit_word(rc)}", file=sys.stderr)
    return 0 if rc == 33 else 1


def interactive_bochs(a):
    """make bochs: Bochs's COM1 is a pseudo-terminal that this function
    joins to the user's terminal (Bochs's own term display, the VGA screen,
    goes to OUT/emulator.log). Ctrl-] quits."""
    import pty
    import select
    import termios
    import tty
    need_tool(BOCHS, "bochs")
    if not os.path.isfile(a.kernel):
        raise RunError(f"no {a.kernel}: build it with 'make'")
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    iso = os.path.join(out, "tkern.iso")
    mk = subprocess.run([os.path.join(ROOT, "tools", "mkiso.sh"), a.kernel, iso, a.cmdline],
                        capture_output=True, text=True)
    if mk.returncode != 0:
        raise RunError("making the boot ISO failed: " + mk.stderr.strip())
    master, slave = pty.openpty()
    tty.setraw(slave)
    rc_text = os.path.join(out, "bochsrc")
    cfg = bochsrc(a, out, iso).replace(
        f"com1: enabled=1, mode=file, dev={os.path.join(out, 'console.log')}",
        f"com1: enabled=1, mode=term, dev={os.ttyname(slave)}")
    cfg = cfg.replace(f"clock: sync=none, time0={BOCHS_TIME0}", "clock: sync=realtime, time0=local")
    with open(rc_text, "w") as f:
        f.write(cfg)
    rc_file = os.path.join(out, "bochs.dbg")
    with open(rc_file, "w") as f:
        f.write("c\nquit\n")
    env = dict(os.environ, TERM="xterm")
    log = open(os.path.join(out, "emulator.log"), "wb")
    proc = subprocess.Popen([BOCHS, "-q", "-f", rc_text, "-rc", rc_file], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=out,
                            start_new_session=True)
    print(f"run: Bochs, {a.cpus} CPU(s), cmdline '{a.cmdline}'. Ctrl-] quits; "
          f"Bochs's log is in {a.out}/bochs.log.", file=sys.stderr)
    stdin = sys.stdin.fileno()
    saved = termios.tcgetattr(stdin) if os.isatty(stdin) else None
    seen = b""
    try:
        if saved:
            tty.setraw(stdin)
        while proc.poll() is None:
            r, _, _ = select.select([master, stdin], [], [], 0.2)
            if master in r:
                data = os.read(master, 4096)
                seen = (seen + data)[-4096:]
                os.write(sys.stdout.fileno(), data)
            if stdin in r:
                data = os.read(stdin, 1024)
                if not data or b"\x1d" in data:
                    break
                os.write(master, data)
    finally:
        if saved:
            termios.tcsetattr(stdin, termios.TCSADRAIN, saved)
        stop(proc)
        log.close()
        os.close(master)
        os.close(slave)
        remove(iso)
    marker = last_marker(seen.decode("utf-8", "replace"))
    print(f"\nrun: Bochs ended: {marker or 'stopped'}", file=sys.stderr)
    return 0 if marker == "success" else 1


def run_gdb(a):
    """make gdb: QEMU paused before the first instruction, a gdbstub on
    the given port, COM1 into OUT/console.log, and GDB in the foreground;
    QEMU goes away with GDB. Deterministic like a scripted run (-icount)."""
    need_tool(QEMU, "qemu")
    need_tool("gdb", "gdb")
    for f in (a.kernel, a.kernel32):
        if not os.path.isfile(f):
            raise RunError(f"no {f}: build it with 'make'")
    if not a.gdbinit or not os.path.isfile(a.gdbinit):
        raise RunError("--gdb needs --gdbinit FILE (make gdb generates build/gdbinit)")
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    remove(os.path.join(out, "console.log"))
    argv = qemu_argv(a, out, a.kernel32, None) + ["-S", "-gdb", f"tcp:127.0.0.1:{a.gdb}"]
    log = open(os.path.join(out, "emulator.log"), "wb")
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        time.sleep(0.3)
        if proc.poll() is not None:
            log.flush()
            raise RunError(f"QEMU did not start (port {a.gdb} in use?): "
                           + read_text(os.path.join(out, "emulator.log")).strip()[-300:])
        print(f"run: QEMU paused, gdbstub on localhost:{a.gdb}; the console goes to "
              f"{a.out}/console.log (tail -f it in another terminal).", file=sys.stderr)
        # GDB gets the terminal's SIGINT (Ctrl-C stops the guest); QEMU,
        # in its own session, does not.
        return subprocess.run(["gdb", "-q", "-x", a.gdbinit]).returncode
    finally:
        stop(proc)
        log.close()


# ---------------------------------------------------------------- common

def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def first_match(rx, text):
    for line in text.splitlines():
        if rx.search(line):
            return line.strip()
    return ""


def remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def extract_trace(res, out):
    """Run the trace extractor on the RAM image, if both exist."""
    tool = os.path.join(ROOT, "build", "bin", "traceextract")
    image = res.get("image")
    if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
        return "no build/bin/traceextract (trace not extracted)"
    if not image or not os.path.isfile(image):
        return "no RAM image to extract the trace from"
    p = subprocess.run([tool, image, os.path.join(out, "trace.raw")],
                       capture_output=True, text=True)
    with open(os.path.join(out, "traceextract.log"), "w") as f:
        f.write(p.stdout + p.stderr)
    if p.returncode != 0:
        return f"traceextract failed (exit {p.returncode}): see traceextract.log"
    return "trace.raw written"


def parse_args(argv):
    env = os.environ
    p = argparse.ArgumentParser(
        prog="tools/run.py",
        description="Boot tkern once (scripted, deterministic) and write OUT/status.")
    p.add_argument("--emu", default=env.get("EMU") or "qemu", choices=["qemu", "bochs", "kvm"],
                   help="qemu: TCG, deterministic (default); bochs: real VMX via GRUB; "
                        "kvm: QEMU on KVM (nested VMX), not deterministic")
    p.add_argument("--cpus", type=int, default=int(env.get("CPUS") or 1),
                   help=f"number of CPUs, 1..{MAX_CPUS} (default 1)")
    p.add_argument("--cmdline", default=env.get("CMDLINE", ""),
                   help="the kernel command line (QEMU -append; grub.cfg on Bochs)")
    p.add_argument("--out", default=env.get("OUT") or "out/run",
                   help="output folder (default out/run)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds of wall time before the run counts as a hang "
                        "(default: 300 on QEMU, 900 on Bochs)")
    p.add_argument("--kernel", default=os.path.join(ROOT, "build", "kernel.elf"),
                   help="the ELF64 kernel (Bochs boots it through GRUB)")
    p.add_argument("--kernel32", default=None,
                   help="the elf32 copy for QEMU -kernel (default: kernel32.elf beside --kernel)")
    p.add_argument("--keep-ram", action="store_true",
                   default=env.get("KEEP_RAM", "") not in ("", "0"),
                   help="keep OUT/ram.bin (QEMU) / the ISO (Bochs) after the run")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--interactive", action="store_true",
                      help="console on this terminal, keyboard to the kernel (make qemu / make bochs)")
    mode.add_argument("--gdb", type=int, metavar="PORT",
                      help="QEMU stopped before the first instruction with a gdbstub on PORT, "
                           "and GDB attached with --gdbinit (make gdb)")
    p.add_argument("--gdbinit", help="the GDB script for --gdb")
    a = p.parse_args(argv)
    if not 1 <= a.cpus <= MAX_CPUS:
        p.error(f"--cpus must be 1..{MAX_CPUS}, not {a.cpus}")
    if a.timeout is None:
        t = env.get("TIMEOUT")
        a.timeout = float(t) if t else DEFAULT_TIMEOUT[a.emu]
    if a.timeout <= 0:
        p.error("--timeout must be positive")
    if "\n" in a.cmdline:
        p.error("--cmdline may not hold a newline")
    a.kernel = os.path.abspath(a.kernel)
    if a.kernel32 is None:
        a.kernel32 = os.path.join(os.path.dirname(a.kernel), "kernel32.elf")
    a.kernel32 = os.path.abspath(a.kernel32)
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if a.interactive or a.gdb:
        try:
            if a.gdb:
                return run_gdb(a)
            return interactive_bochs(a) if a.emu == "bochs" else interactive_qemu(a)
        except RunError as e:
            print(f"run.py: {e}", file=sys.stderr)
            return 1
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    for f in ("console.log", "status", "reason", "run.json", "trace.raw", "ram.bin",
              "trace-area.bin", "emulator.log", "bochs.log", "traceextract.log"):
        remove(os.path.join(out, f))
    try:
        res = run_bochs(a, out) if a.emu == "bochs" else run_qemu(a, out)
    except RunError as e:
        res = dict(status="error", reason=str(e), exit_code=None, marker=None,
                   seconds=0.0, image=None)
    res["trace"] = extract_trace(res, out)
    if a.emu != "bochs" and not a.keep_ram:
        remove(os.path.join(out, "ram.bin"))

    with open(os.path.join(out, "status"), "w") as f:
        f.write(res["status"] + "\n")
    with open(os.path.join(out, "reason"), "w") as f:
        f.write(res["reason"] + "\n")
    meta = dict(emu=a.emu, cpus=a.cpus, cmdline=a.cmdline, timeout=a.timeout,
                kernel=a.kernel, **{k: v for k, v in res.items() if k != "image"})
    if a.emu == "kvm" and _kvm_cpu:
        meta["cpu_model"] = _kvm_cpu
    with open(os.path.join(out, "run.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    if not a.quiet or res["status"] != "success":
        print(f"run: {a.emu} cpus={a.cpus} cmdline='{a.cmdline}': {res['status']} "
              f"({res['reason']}; {res['seconds']:.1f} s; {res['trace']}) -> {a.out}",
              file=sys.stderr if res["status"] != "success" else sys.stdout)
    return 0 if res["status"] == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
