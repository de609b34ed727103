# mk/labs.mk: the labs (labs/NAME/, one lab.conf each; tools/lab/).
#
#   make lab-NAME [EMU=qemu|bochs|kvm] [CPUS=N] [BUGS=...] [SIGNAL=VARIANT] [OUT=DIR]
#       runs the lab's scenario; writes out/lab-NAME/ (console, status,
#       trace.raw, trace.txt, trace.perfetto-trace, PNG plots) and a summary.
#       BUGS unset: the lab's own flags; BUGS= (empty): every flag off.
#   make grade-abandon-core [GRADE_BUGS=abandon_core] [GRADE_BASE=commit] [EMU=..] [CPUS=N]
#       grades a student's fix of the abandon_core bug (labs/abandon-core/README.md)
#   make grade-tracing-basics [ANSWERS=labs/tracing-basics/answers.txt]
#   make run|qemu|gdb LAB=NAME [BUGS=...] [SIGNAL=...]
#       the same scenario by hand or under GDB (LAB's command line + CMDLINE)

LABS     := $(patsubst labs/%/lab.conf,%,$(wildcard labs/*/lab.conf))
LAB_PY   := $(PYTHON) tools/lab/lab.py
SIGNAL   ?=
# BUGS given on the command line (even empty) replaces the lab's flags.
LAB_BUGS  = $(if $(filter command line environment,$(origin BUGS)),--bugs '$(BUGS)')
LAB_OUT   = $(if $(filter command line environment,$(origin OUT)),--out '$(OUT)')

.PHONY: labs $(addprefix lab-,$(LABS)) grade-abandon-core grade-tracing-basics
labs:
	@echo $(LABS)

$(addprefix lab-,$(LABS)): lab-%: all
	@$(SETUP) $(if $(filter bochs,$(EMU)),bochs iso,qemu)
	@$(LAB_PY) $* --emu $(EMU) --cpus $(CPUS) $(LAB_BUGS) $(LAB_OUT) \
		$(if $(SIGNAL),--signal $(SIGNAL)) $(if $(TIMEOUT),--timeout $(TIMEOUT))

GRADE_BUGS ?= abandon_core
GRADE_BASE ?= HEAD
grade-abandon-core:
	@$(PYTHON) tools/lab/grade_abandon_core.py --bugs '$(GRADE_BUGS)' --base '$(GRADE_BASE)' \
		--emu $(EMU) --cpus $(CPUS)

ANSWERS ?= labs/tracing-basics/answers.txt
grade-tracing-basics:
	@$(PYTHON) tools/lab/grade_tracing_basics.py '$(ANSWERS)'

# LAB=NAME on run/qemu/bochs/gdb: the lab's scenario in front of CMDLINE.
# (This file sorts before run.mk, which reads CMDLINE once.)
ifneq ($(strip $(LAB)),)
LAB_CMDLINE := $(shell $(PYTHON) tools/lab/lab.py $(LAB) --print-cmdline --bugs '' \
	$(if $(SIGNAL),--signal $(SIGNAL)))
ifeq ($(LAB_CMDLINE),)
$(error LAB=$(LAB): no such lab (labs: $(LABS)))
endif
override CMDLINE := $(strip $(LAB_CMDLINE) $(CMDLINE))
endif
