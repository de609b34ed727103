"""The kernel's self-tests (kernel/ktest.h), one pytest case each.

The cases are the KTESTs compiled into build/kernel.elf (their
`ktest_desc_<name>` symbols), so collection needs no boot and is the same on
every xdist worker. One boot with `ktest=all` (QEMU, 2 CPUs, module scope)
runs them all; each case then looks for its own line:

    KTEST PASS <name>
    KTEST FAIL <name>: <file>:<line>: <why>

A test the kernel never reported (it died half-way) fails with the
console's tail. The summary line `KTEST DONE <n> passed, <m> failed` and the
run's status must agree with the lines.
"""

import os
import re
import subprocess

import pytest

from conftest import KERNEL

KTEST_CPUS = 2
LINE = re.compile(r"^KTEST (PASS|FAIL) (\w+)(?:: (.*))?$", re.M)
DONE = re.compile(r"^KTEST DONE (\d+) passed, (\d+) failed$", re.M)


def compiled_ktests():
    if not os.path.isfile(KERNEL):
        return []
    p = subprocess.run(["nm", "--defined-only", KERNEL], capture_output=True, text=True)
    names = set()
    for line in p.stdout.splitlines():
        m = re.search(r"\bktest_desc_(\w+)$", line)
        if m:
            names.add(m.group(1))
    return sorted(names)


NAMES = compiled_ktests()


@pytest.fixture(scope="module")
def ktest_run(tkern_boot):
    b = tkern_boot("qemu", KTEST_CPUS, "ktest=all")
    results = {}
    for verdict, name, why in LINE.findall(b.console):
        results[name] = (verdict, why)
    return b, results


def test_kernel_has_ktests():
    assert os.path.isfile(KERNEL), f"{KERNEL} missing: run 'make'"
    assert NAMES, "no ktest_desc_* symbols in the kernel: KTEST registration is broken"


@pytest.mark.qemu
@pytest.mark.parametrize("name", NAMES)
def test_ktest(ktest_run, name):
    b, results = ktest_run
    if name not in results:
        pytest.fail(f"KTEST {name} never reported: {b!r}")
    verdict, why = results[name]
    assert verdict == "PASS", f"KTEST FAIL {name}: {why}"


@pytest.mark.qemu
def test_ktest_summary_agrees(ktest_run):
    b, results = ktest_run
    done = DONE.findall(b.console)
    assert done, f"no 'KTEST DONE' line: {b!r}"
    passed, failed = map(int, done[-1])
    n_pass = sum(1 for v, _ in results.values() if v == "PASS")
    assert (passed, failed) == (n_pass, len(results) - n_pass), repr(b)
    unknown = sorted(set(results) - set(NAMES))
    assert not unknown, f"reported tests the ELF does not hold: {unknown}"
    assert b.status == ("success" if failed == 0 else "panic"), repr(b)


@pytest.mark.qemu
def test_multi_core_ktests_skip_on_one_cpu_and_say_why(tkern_boot):
    """ktest=all must pass on 1 CPU (EMU=kvm boots there too), and a test
    that needs a second core must say it did not run rather than pass."""
    multi = ["kmsg_routine_to_other_core_runs_there", "vmx_remote_clear_when_gpc_moves"]
    b = tkern_boot("qemu", 1, "ktest=" + ",".join(multi + ["kref_get_put_and_free"]))
    assert b.status == "success", repr(b)
    skipped = re.findall(r"^KTEST SKIP (\w+): (.*)$", b.console, re.M)
    assert sorted(skipped) == sorted((n, "needs num_cores() >= 2") for n in multi), skipped
    assert DONE.findall(b.console)[-1] == ("1", "0"), repr(b)
