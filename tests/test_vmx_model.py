"""Host unit tests of the emulated VMX model (vmx/emu_model.c).

Each check of the model (an SDM VM-instruction outcome, with the error
number Bochs 2.7 gives for the same mistake) is one C test in
tests/vmx_model_test.c; this file builds that program and makes each of
its tests a pytest case.
"""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "build", "bin", "vmx_model_test")


def _build_and_list():
    subprocess.run(["make", "-s", "-C", ROOT, "build/bin/vmx_model_test"],
                   check=True)
    out = subprocess.run([BINARY, "--list"], check=True,
                         capture_output=True, text=True).stdout
    return out.split()


NAMES = _build_and_list()


def test_the_model_has_its_checks():
    # The error numbers the kernel can hit each have a test.
    for must in ("vmclear_bad_address_is_error_2",
                 "vmptrld_wrong_revision_is_error_11",
                 "vmlaunch_launched_vmcs_is_error_4",
                 "vmresume_clear_vmcs_is_error_5",
                 "vmread_unsupported_field_is_error_12",
                 "vmwrite_read_only_field_is_error_13",
                 "invept_eptp_zero_is_error_28"):
        assert must in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_model(name):
    res = subprocess.run([BINARY, name], capture_output=True, text=True)
    assert res.stdout.strip() == f"PASS {name}", res.stdout + res.stderr
    assert res.returncode == 0
