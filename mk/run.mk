# mk/run.mk: run tkern by hand or scripted, and debug it.
#
#   make run   EMU=qemu|bochs CPUS=N CMDLINE='...' BUGS=... OUT=DIR [TIMEOUT=s] [KEEP_RAM=1]
#   make qemu  CPUS=N CMDLINE='...'     console on the terminal (Ctrl-A X quits)
#   make bochs CPUS=N CMDLINE='...'     the same on Bochs (Ctrl-] quits)
#   make gdb   CPUS=N CMDLINE='...'     QEMU paused + GDB on a per-user port
#   make help                           targets, variables, bug flags, labs
#
# All of them go through tools/run.py (its docstring is the contract of
# `make run`). Each target first asks tools/setup.sh for the packages it
# needs: it installs them when it can, or names them and stops.

SETUP    := tools/setup.sh
TIMEOUT  ?=
KEEP_RAM ?=
# One gdbstub port per user, so that two people on one machine don't collide.
GDB_PORT ?= $(shell echo $$((20000 + $$(id -u) % 20000)))

comma := ,
empty :=
space := $(empty) $(empty)

# The kernel command line: CMDLINE, plus bugs=a,b for BUGS='a b' or BUGS=a,b.
# Passed through the environment, so any quoting in CMDLINE survives.
export TKERN_CMDLINE := $(strip $(CMDLINE) $(if $(strip $(BUGS)),bugs=$(subst $(space),$(comma),$(strip $(BUGS)))))

RUN_PY  := $(PYTHON) tools/run.py
EMU_PKG  = $(if $(filter bochs,$(EMU)),bochs iso,qemu)

.PHONY: run qemu bochs gdb help setup

setup:
	@$(SETUP)

run: all
	@$(SETUP) $(EMU_PKG)
	@$(RUN_PY) --emu $(EMU) --cpus $(CPUS) --cmdline "$$TKERN_CMDLINE" --out $(OUT) \
		$(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(filter-out 0,$(KEEP_RAM)),--keep-ram)

qemu: all
	@$(SETUP) qemu
	@$(RUN_PY) --interactive --emu qemu --cpus $(CPUS) --cmdline "$$TKERN_CMDLINE"

bochs: all
	@$(SETUP) bochs iso
	@$(RUN_PY) --interactive --emu bochs --cpus $(CPUS) --cmdline "$$TKERN_CMDLINE" --out $(BUILD)/bochs

# The gdbinit comes from tools/gdb/gdbinit.in (ELF, port, helper directory).
# `make gdbinit GDBINIT=FILE GDB_PORT=N` only writes it (tests use that).
GDBINIT ?= $(BUILD)/gdbinit
.PHONY: gdbinit
gdbinit: $(GDBINIT)
$(GDBINIT): tools/gdb/gdbinit.in FORCE
	@mkdir -p $(dir $@)
	@sed -e 's|@ELF@|$(abspath $(BUILD))/kernel.elf|g' -e 's|@PORT@|$(GDB_PORT)|g' \
		-e 's|@GDBDIR@|$(abspath tools/gdb)|g' $< > $@.tmp && mv $@.tmp $@

gdb: all $(GDBINIT)
	@$(SETUP) qemu gdb
	@$(RUN_PY) --gdb $(GDB_PORT) --gdbinit $(GDBINIT) --cpus $(CPUS) \
		--cmdline "$$TKERN_CMDLINE" --out $(BUILD)/gdb

help:
	@$(PYTHON) tools/makehelp.py
