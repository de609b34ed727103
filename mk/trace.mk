# mk/trace.mk: the tracing tools on the host, their unit tests, the event
# reference and the trace figures. The kernel side (trace/kernel/) is built
# by kernel.mk's wildcard.
#
#   build/bin/traceextract RAM OUT.raw   trace area out of a RAM image
#   build/bin/tracecat OUT.raw           the events as text
#   build/bin/tracedoc                   course-notes/events.md from events.def
#   make test-trace                      host unit tests (pytest)
#   make events-doc                      regenerate course-notes/events.md
#   make bench                           instructions per event, extraction speed
#
# Other host tools that read traces link $(TRACELIB_SRCS) with $(TRACELIB_LIBS).

HOSTCC ?= gcc
TRACE_HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -I.

TRACE_HDRS    := trace/events.def trace/events.h trace/format.h trace/schema.h trace/trace.h
TRACELIB_SRCS := tools/tracelib.c tools/tracesyms.c trace/schema.c
TRACELIB_HDRS := tools/tracelib.h $(TRACE_HDRS)
TRACELIB_LIBS := -lelf

TRACE_TOOLS := $(BIN)/tracecat $(BIN)/traceextract $(BIN)/tracedoc
TRACE_TESTS := $(BIN)/trace_host_test $(BIN)/trace_bench_emit

.PHONY: all trace-tools test-trace events-doc bench trace-bench test
all: trace-tools
trace-tools: $(TRACE_TOOLS) $(TRACE_TESTS)

$(BIN)/tracecat: tools/tracecat.c $(TRACELIB_SRCS) $(TRACELIB_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TRACE_HOST_CFLAGS) -o $@ tools/tracecat.c $(TRACELIB_SRCS) $(TRACELIB_LIBS)

$(BIN)/traceextract: tools/traceextract.c $(TRACELIB_SRCS) $(TRACELIB_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TRACE_HOST_CFLAGS) -o $@ tools/traceextract.c $(TRACELIB_SRCS) $(TRACELIB_LIBS)

$(BIN)/tracedoc: tools/tracedoc.c trace/schema.c $(TRACE_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TRACE_HOST_CFLAGS) -o $@ tools/tracedoc.c trace/schema.c

# The ring and emit path built for the host with 16-slot rings, so that the
# tests wrap, fill and nest quickly.
$(BIN)/trace_host_test: tests/trace_host_test.c trace/ring.c $(TRACELIB_SRCS) $(TRACELIB_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TRACE_HOST_CFLAGS) -DTRACE_HOST -DTRACE_RING_RECORDS=16 -o $@ \
		tests/trace_host_test.c trace/ring.c $(TRACELIB_SRCS) $(TRACELIB_LIBS)

# The emit path as the kernel compiles it (-O2, no SSE, rdtsc, absolute
# addresses as with -mcmodel=kernel), for callgrind.
$(BIN)/trace_bench_emit: tests/trace_bench_emit.c trace/ring.c trace/schema.c $(TRACE_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TRACE_HOST_CFLAGS) -mno-sse -mgeneral-regs-only -fno-pie -no-pie -DTRACE_HOST -DTRACE_HOST_RDTSC \
		-o $@ tests/trace_bench_emit.c trace/ring.c trace/schema.c

test-trace: $(TRACE_TOOLS) $(TRACE_TESTS)
	$(PYTHON) -m pytest -q tests/test_trace_host.py

test: test-trace

# The event reference is generated, and committed so it reads on GitHub too;
# tests/test_trace_host.py fails when it is stale.
events-doc: $(BIN)/tracedoc
	@mkdir -p course-notes
	$(BIN)/tracedoc > course-notes/events.md

bench: trace-bench
trace-bench: $(TRACE_TOOLS) $(TRACE_TESTS)
	@$(PYTHON) tools/trace_bench.py
