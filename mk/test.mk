# mk/test.mk: the tests and the benchmarks.
#
#   make test [PYTEST_ARGS='-m bochs' | '-m "not bochs"' | '-k name'] [TESTS=tests/...]
#       everything in tests/ through one pytest run (pytest-xdist on all
#       cores when installed); the last line is pytest's summary.
#   make bench
#       every figure, one per line as `name: value unit`.
#
# How an area joins in, without editing this file:
#   test-prep: <what its tests need built>     (ordinary prerequisites)
#   bench: <its bench target>                  (its recipe prints its figures)
# and its pytest files in tests/ are collected by the one pytest run.

TESTS       ?= tests
PYTEST_ARGS ?=
# --durations: the slowest tests, to keep make test well under 15 minutes.
# -n: one worker per core; --dist loadfile keeps a test file (and its
# module-scoped boots) on one worker.
XDIST = $(shell $(PYTHON) -c 'import xdist' 2>/dev/null && echo "-n auto --dist loadfile")

.PHONY: test test-prep bench bench-boot

test-prep: all

test: test-prep
	@$(SETUP) test qemu bochs iso gdb
	$(PYTHON) -m pytest -p no:cacheprovider -rfEs --durations=8 $(XDIST) $(PYTEST_ARGS) $(TESTS)

bench: bench-boot
bench-boot: all
	@$(SETUP) qemu bochs iso
	@$(PYTHON) tools/bench_boot.py
