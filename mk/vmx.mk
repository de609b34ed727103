# mk/vmx.mk: the host-side pieces of VMX. The kernel build picks up vmx/*.c
# by wildcard; here is only the host unit-test program of the emulated
# model, which compiles vmx/emu_model.c for the host with the test driver.

VMX_MODEL_TEST := $(BIN)/vmx_model_test

$(VMX_MODEL_TEST): tests/vmx_model_test.c vmx/emu_model.c vmx/emu_model.h \
		vmx/vmx_arch.h vmx/vmcs_fields.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -o $@ \
		tests/vmx_model_test.c vmx/emu_model.c

HOSTCC ?= gcc

# make test runs all of tests/ in one pytest (mk/test.mk); it needs this built.
test-prep: $(VMX_MODEL_TEST)

.PHONY: test-vmx-model
test-vmx-model: $(VMX_MODEL_TEST)
	$(PYTHON) -m pytest -q tests/test_vmx_model.py

test-prep: $(VMX_MODEL_TEST)
