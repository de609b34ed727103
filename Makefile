# tkern: the one entry point. Each area keeps its rules in mk/<area>.mk.
# Variables, not file edits, choose the emulator, CPUs, bugs and labs.

EMU     ?= qemu
CPUS    ?= 1
CMDLINE ?=
OUT     ?= out/run
BUGS    ?=

BUILD   := build
BIN     := $(BUILD)/bin
PYTHON  := /usr/bin/python3

.DEFAULT_GOAL := all

# First make on a fresh machine: tools/setup.sh installs every dependency
# (apt, as root), or names the packages and stops. Remembered in a stamp;
# each run/test target still checks its own tools.
ifeq ($(filter clean help,$(MAKECMDGOALS)),)
ifeq ($(wildcard $(BUILD)/.setup-done),)
ifneq ($(shell tools/setup.sh >&2 && mkdir -p $(BUILD) && touch $(BUILD)/.setup-done && echo ok),ok)
$(error tools/setup.sh could not install the dependencies (see above))
endif
endif
endif

include $(sort $(wildcard mk/*.mk))

.PHONY: clean
clean:
	rm -rf $(BUILD)

# Keep intermediate objects: no `rm` lines after pytest's summary (CI reads
# the last line), and no rebuilds of user programs on every make.
.SECONDARY:
