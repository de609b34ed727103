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

include $(sort $(wildcard mk/*.mk))

.PHONY: clean
clean:
	rm -rf $(BUILD)
