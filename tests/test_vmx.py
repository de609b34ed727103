"""VMX on both backends: the VMM scenario, the lazy VMCS policy, EPT
violations, and the VMfails the ud2 wrappers turn into Invalid Opcode.

QEMU (TCG) runs the emulated backend, Bochs the hardware one (real VMX
instructions). What must hold on both:

- the VMM scenario (vmm starts a spinning guest that makes hypercalls, is
  sent SIGINT, destroys itself) ends cleanly, and its VMX events follow the
  same sequence once repetitions of the guest loop are folded (how many
  hypercalls and timer exits happen before the signal depends on the
  emulator's speed, not on VMX);
- a guest that writes memory its VMM never mapped gets an EPT violation,
  the VM is killed, and the kernel carries on;
- the same deliberate VMfail gives the same VM-instruction error (or
  VMfailInvalid) on both, reported at the wrapper's ud2.
The GPC-moves-core check is a ktest (vmx/vmx_ktest.c); here its trace is
checked for the remote VMCLEAR and the VMPTRLD that follows on core 1.
"""

import os
import re
import subprocess

import pytest

from conftest import ROOT, kvm_backend, on_kvm

TRACECAT = os.path.join(ROOT, "build", "bin", "tracecat")
VMX_EVENTS = ("vmx_backend", "vmxon", "gpc_create", "gpc_free", "gpc_load", "vmptrld",
              "vmcs_lazy_unload", "vmclear", "invept", "vmx_insn_fail", "vm_entry",
              "vm_exit", "ept_map")
# The fields that say what happened (addresses, rips and timestamps aside).
KEY_FIELDS = ("how", "kind", "reason", "why", "type", "backend")

# Only the VMX events are recorded, so that the rings hold the whole run
# however often the timer interrupts the guest.
VMX_ONLY = "trace_off=irq,syscall,kref,kmsg,proc,mm,kthread"
# The VMM killed by another process (SIGINT after 5 ticks): how far the
# guest got depends on the emulator's speed.
SCENARIO = "init=vmmtest initargs=spin,2,5 " + VMX_ONLY
# The VMM alone, sending itself SIGINT after the guest's first progress
# report: the same VMX story on every emulator, timer exits aside.
SELF_KILL = "init=vmm initargs=spin,1 " + VMX_ONLY


def tracecat(boot):
    raw = boot.path("trace.raw")
    assert os.path.isfile(raw), f"no trace.raw: {boot.reason}"
    p = subprocess.run([TRACECAT, raw], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


def vmx_events(lines):
    """(cpu, event, {field: value}) for each VMX event, in trace order."""
    out = []
    for line in lines:
        parts = line.split()
        if len(parts) < 3 or parts[2] not in VMX_EVENTS:
            continue
        fields = dict(f.split("=", 1) for f in parts[3:] if "=" in f)
        out.append((int(parts[1]), parts[2], fields))
    return out


# Exits whose number and order depend on the emulator's speed: the spin
# guest's progress hypercalls and the timer. One token for both.
TIMING_EXITS = {"VMCALL", "EXTERNAL_INTERRUPT"}


def token(event, fields):
    keys = {k: v for k, v in fields.items() if k in KEY_FIELDS}
    if event == "vm_exit" and keys.get("reason") in TIMING_EXITS:
        keys["reason"] = "VMCALL|EXTERNAL_INTERRUPT"
    return event + "(" + ",".join(f"{k}={v}" for k, v in sorted(keys.items())) + ")"


def skeleton(events):
    """The VMX story with the guest loop folded: each event becomes its
    name and key fields; then any block of 1..12 events that repeats the
    block just before it is dropped, until nothing changes. What is left
    is the order of things (launch, lazy reloads, clears, frees), not how
    many times the guest went round or was preempted."""
    seq = [token(e, f) for _, e, f in events if e not in ("vmxon", "vmx_backend")]
    changed = True
    while changed:
        changed = False
        for n in range(1, 13):
            i = n
            while i + n <= len(seq):
                if seq[i:i + n] == seq[i - n:i]:
                    del seq[i:i + n]
                    changed = True
                else:
                    i += 1
    return seq



# ---- the VMM scenario ---------------------------------------------------

SCENARIO_RUNS = [("qemu", 1), ("qemu", 4), ("bochs", 1), ("bochs", 2), ("kvm", 1), ("kvm", 2)]


def runs(*pairs):
    return [on_kvm(e, c, id=f"{e}-{c}cpu") if e == "kvm" else pytest.param(e, c, id=f"{e}-{c}cpu")
            for e, c in pairs]


def emus(*names):
    return [on_kvm(e) if e == "kvm" else e for e in names]


@pytest.mark.parametrize("emu,cpus", runs(*SCENARIO_RUNS))
def test_vmm_scenario_ends_cleanly(tkern_boot, emu, cpus, request):
    request.applymarker(getattr(pytest.mark, emu))
    b = tkern_boot(emu, cpus, SCENARIO)
    assert b.status == "success", b.console[-3000:]
    c = b.console
    backend = {"bochs": "hardware", "qemu": "emulated", "kvm": kvm_backend()}[emu]
    assert f"vmx: {backend} backend" in c
    assert "guest: spinning, counting" in c          # HC_PUTS through VMCALL
    assert "vmm: signal 2: destroying myself" in c   # SIGINT reached the VMM
    assert re.search(r"vmmtest: reaped vmm pid \d+, status 130", c)
    assert "procs: 0 leaked, 0 kref errors" in c

    ev = vmx_events(tracecat(b))
    names = [e for _, e, _ in ev]
    for must in ("gpc_create", "vmptrld", "vm_entry", "vm_exit", "vmcs_lazy_unload",
                 "vmclear", "invept", "gpc_free"):
        assert must in names, f"no {must} in the trace"
    kinds = {(e, f.get("kind") or f.get("how") or f.get("reason")) for _, e, f in ev}
    assert ("vm_entry", "launch") in kinds
    assert ("vm_entry", "resume") in kinds            # lazy: VMRESUME without VMPTRLD
    assert ("gpc_load", "still_current") in kinds
    assert ("vm_exit", "VMCALL") in kinds
    assert ("invept", "VMsucceed") in kinds
    assert ("vmx_backend", backend) in {(e, f.get("backend")) for _, e, f in ev}
    # A reload that found the VMCS still current did no VMPTRLD.
    for i, (_, e, f) in enumerate(ev):
        if e == "gpc_load" and f["how"] == "still_current":
            assert ev[i + 1][1] != "vmptrld"


@pytest.mark.bochs
@pytest.mark.qemu
def test_vmm_scenario_same_vmx_sequence_on_both_backends(tkern_boot):
    emu = skeleton(vmx_events(tracecat(tkern_boot("qemu", 1, SELF_KILL))))
    hw = skeleton(vmx_events(tracecat(tkern_boot("bochs", 1, SELF_KILL))))
    assert emu == hw, "\n".join(["emulated:"] + emu + ["hardware:"] + hw)
    # The folded story still has its milestones, in order.
    story = [s.split("(")[0] for s in emu]
    assert story.index("gpc_create") < story.index("vm_entry") < story.index("vmclear")
    assert story[-1] == "gpc_free"


def test_skeleton_folds_repeats_only():
    a = [(0, "vm_entry", {"kind": "resume"}), (0, "vm_exit", {"reason": "VMCALL"})]
    b = [(0, "vm_entry", {"kind": "resume"}), (0, "vm_exit", {"reason": "HLT"})]
    t = [(0, "vm_entry", {"kind": "resume"}), (0, "vm_exit", {"reason": "EXTERNAL_INTERRUPT"})]
    assert skeleton(a + t + a) == skeleton(a)
    assert skeleton(a * 5) == skeleton(a)
    assert skeleton(a * 3 + b) != skeleton(a + b + b + [(0, "gpc_free", {})])
    assert len(skeleton(a + b + a)) == 6


# ---- EPT violation: the VM dies, the kernel does not ---------------------

@pytest.mark.parametrize("emu", emus("qemu", "bochs", "kvm"))
def test_ept_violation_kills_the_vm_only(tkern_boot, emu, request):
    request.applymarker(getattr(pytest.mark, emu))
    b = tkern_boot(emu, 1, "init=vmmtest initargs=ept,0")
    assert b.status == "success", b.console[-3000:]
    c = b.console
    assert "EPT violation, VM killed" in c
    assert "vmm: EPT violation at guest-physical 400000" in c
    assert re.search(r"vmmtest: reaped vmm pid \d+, status 3", c)
    ev = vmx_events(tracecat(b))
    viol = [f for _, e, f in ev if e == "vm_exit" and f["reason"] == "EPT_VIOLATION"]
    assert len(viol) == 1
    assert int(viol[0]["gpa"], 16) == 0x400000
    qual = int(viol[0]["qual"], 16)
    assert qual & 0x2, "the qualification says it was a write"
    assert not qual & 0x38, "and that the EPT allowed nothing there"


@pytest.mark.parametrize("emu", emus("qemu", "bochs", "kvm"))
def test_guest_exception_is_reported_and_kills_the_vm(tkern_boot, emu, request):
    """Any other exit is reported cleanly: the guest's ud2 is exit 0 with
    the same interruption information on both backends (valid, hardware
    exception, vector 6)."""
    request.applymarker(getattr(pytest.mark, emu))
    b = tkern_boot(emu, 1, "init=vmmtest initargs=ud2,0")
    assert b.status == "success", b.console[-3000:]
    assert ("VM exit 0 (exception), qualification 0, rip 100d, interruption 80000306:"
            " VM killed") in b.console
    assert re.search(r"vmmtest: reaped vmm pid \d+, status 2", b.console)


@pytest.mark.parametrize("emu", emus("qemu", "bochs", "kvm"))
def test_halting_guest(tkern_boot, emu, request):
    request.applymarker(getattr(pytest.mark, emu))
    b = tkern_boot(emu, 1, "init=vmmtest initargs=halt,2,5")
    assert b.status == "success", b.console[-3000:]
    assert "guest: halting" in b.console
    assert "vmm: guest halted at rip 100d" in b.console   # the HLT, after 2 movs and a VMCALL
    reasons = {f.get("reason") for _, e, f in vmx_events(tracecat(b)) if e == "vm_exit"}
    assert "HLT" in reasons


# ---- a GPC moving core: the ktest's trace --------------------------------

@pytest.mark.parametrize("emu", ["qemu", "bochs"])
def test_remote_clear_when_gpc_moves_core(tkern_boot, emu, request):
    request.applymarker(getattr(pytest.mark, emu))
    b = tkern_boot(emu, 2, "ktest=vmx_lazy_unload_and_reload,vmx_remote_clear_when_gpc_moves")
    assert "KTEST PASS vmx_remote_clear_when_gpc_moves" in b.console, b.console[-2000:]
    ev = vmx_events(tracecat(b))
    remote = [i for i, (cpu, e, f) in enumerate(ev)
              if e == "vmclear" and f["why"] == "remote" and cpu == 0 and f["requester"] == "1"]
    assert len(remote) == 1, "core 0 cleared the VMCS once, on core 1's request"
    after = [(cpu, e, f.get("how")) for cpu, e, f in ev[remote[0] + 1:]]
    assert after[0][:2] == (0, "invept")
    assert after[1] == (1, "gpc_load", "vmptrld") and after[2][:2] == (1, "vmptrld")
    # The second load on core 1 found it still current: no VMPTRLD.
    assert (1, "gpc_load", "still_current") in after
    assert [x for x in after if x[1] == "vmptrld"] == [after[2]]


# ---- deliberate VMfails: the ud2 wrappers on both backends ---------------

FAULTS = {
    "vmclear_unaligned": "VMCLEAR failed (operand {pa:x}): VMfailValid, VM-instruction error 2",
    "vmclear_vmxon": "VMCLEAR failed (operand {vmxon:x}): VMfailValid, VM-instruction error 3",
    "vmresume_clear": "VMRESUME failed (operand 0): VMfailValid, VM-instruction error 5",
    "vmptrld_unaligned": "VMPTRLD failed (operand {pa:x}): VMfailValid, VM-instruction error 9",
    "vmptrld_vmxon": "VMPTRLD failed (operand {vmxon:x}): VMfailValid, VM-instruction error 10",
    "vmptrld_revision": "VMfailValid, VM-instruction error 11",
    "vmread_unsupported": "VMREAD failed (operand 6c7e): VMfailValid, VM-instruction error 12",
    "vmwrite_readonly": "VMWRITE failed (operand 4402): VMfailValid, VM-instruction error 13",
    "vmxon_again": "VMXON failed (operand {vmxon:x}): VMfailValid, VM-instruction error 15",
    "invept0": "INVEPT failed (operand 0): VMfailValid, VM-instruction error 28",
    "invept0_nocurrent": "INVEPT failed (operand 0): VMfailInvalid (no current VMCS)",
    "vmlaunch_controls": "VMLAUNCH failed (operand 0): VMfailValid, VM-instruction error 7",
    "vmlaunch_host_state": "VMLAUNCH failed (operand 0): VMfailValid, VM-instruction error 8",
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("emu", ["qemu", "bochs"])
def test_vmfail_is_invalid_opcode_with_the_error(tkern_boot, emu, fault, request):
    """The same mistake, the same answer from the model (QEMU) and from
    Bochs's VMX: each VM-instruction error number the model implements."""
    request.applymarker(getattr(pytest.mark, emu))
    b = tkern_boot(emu, 1, f"vmx_fault={fault}")
    misc = int(re.search(r"IA32_VMX_MISC ([0-9a-f]+)\)", b.console).group(1), 16)
    if fault == "vmwrite_readonly" and misc & (1 << 29):
        # This CPU lets VMWRITE write exit-information fields (SDM 24.11.2).
        assert b.status == "panic" and "no VMfail happened" in b.console
        return
    assert b.status == "panic", b.console[-2000:]
    assert "PANIC: Invalid Opcode (vector 6) in kernel mode" in b.console
    vmxon = int(re.search(r"vmxon cpu=0 vmxon_pa=0x([0-9a-f]+)", "\n".join(tracecat(b))).group(1), 16)
    pa = [f for _, e, f in vmx_events(tracecat(b)) if e == "vmx_insn_fail"][0]["operand"]
    assert FAULTS[fault].format(vmxon=vmxon, pa=int(pa, 16)) in b.console
    fails = [f for _, e, f in vmx_events(tracecat(b)) if e == "vmx_insn_fail"]
    assert len(fails) == 1


# ---- the backend choice ---------------------------------------------------

@pytest.mark.qemu
def test_vmx_hw_refused_without_cpuid_vmx(tkern_boot):
    b = tkern_boot("qemu", 1, "vmx=hw")
    assert b.status == "panic"
    assert "vmx=hw, but CPUID.1:ECX.VMX is 0" in b.console


@pytest.mark.bochs
def test_emulated_backend_on_a_cpu_with_vmx(tkern_boot):
    """vmx=emu on Bochs: the model and the de-privileged guest run where
    real VMX is available too, and tell the same story."""
    b = tkern_boot("bochs", 1, "vmx=emu " + SELF_KILL)
    assert b.status == "success", b.console[-3000:]
    assert "vmx: emulated backend (CPUID.1:ECX.VMX=1, chosen on the command line)" in b.console
    assert "vmm: signal 2: destroying myself" in b.console
    emu = skeleton(vmx_events(tracecat(b)))
    hw = skeleton(vmx_events(tracecat(tkern_boot("bochs", 1, SELF_KILL))))
    assert emu == hw, "\n".join(["emulated:"] + emu + ["hardware:"] + hw)


# ---- what the abandon_core lab builds on -----------------------------------

@pytest.mark.parametrize("emu", ["qemu", "bochs"])
def test_abandon_core_bug_ends_in_invept_with_eptp_0(tkern_boot, emu, request):
    """The one-core chain of the abandon-core lab (INSTRUCTOR.md): the parent (vmmtest)
    blocks in waitpid, the VMM gets SIGINT at an external-interrupt exit
    with its VMCS lingering and destroys itself; the parent's kthread is
    restarted on this core, reaps the VMM, and with bugs=abandon_core the
    core's lazily held VMCS of the freed VMM is cleared in __abandon_core:
    INVEPT with EPTP 0 (read through the stale gpc->proc) traps in its
    wrapper. Right after VMCLEAR of the current VMCS no VMCS is current, so
    it is VMfailInvalid on both backends (error 28 needs a current VMCS)."""
    request.applymarker(getattr(pytest.mark, emu))
    b = tkern_boot(emu, 1, "bugs=abandon_core " + SCENARIO)
    assert b.status == "panic", b.console[-3000:]
    assert "PANIC: Invalid Opcode" in b.console
    ev = vmx_events(tracecat(b))
    fail = [f for _, e, f in ev if e == "vmx_insn_fail"]
    assert len(fail) == 1 and fail[0]["insn"] == "INVEPT" and fail[0]["operand"] == "0x0"
    assert fail[0]["how"] == "VMfailInvalid"
    clears = [f for _, e, f in ev if e == "vmclear"]
    assert clears[-1]["site"].startswith("__abandon_core")
    assert clears[-1]["pid"] == "0", "gpc->proc is a freed slot"
    fixed = tkern_boot(emu, 1, SCENARIO)
    assert fixed.status == "success"
