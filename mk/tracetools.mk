# mk/tracetools.mk: the tools that read traces for people: trace2perfetto
# (Perfetto UI), tracecheck (invariants, for grading) and the plots.
# (Named to sort after trace.mk, whose TRACELIB_* variables it uses.)
#
#   build/bin/trace2perfetto IN.raw OUT.perfetto-trace   [--elf build/kernel.elf]
#   build/bin/tracecheck IN.raw                          exit 0 clean, 1 violations, 2 unreadable
#   build/bin/trace-schema-json                          the event table as JSON (Python tools)
#   /usr/bin/python3 tools/plot/refcounts.py IN.raw -o OUT.png
#   /usr/bin/python3 tools/plot/cpu_lanes.py IN.raw -o OUT.png
#   make test-tracetools    pytest: tests/test_perfetto.py, test_tracecheck.py, test_plot.py
#
# The protobuf-c code is generated from tools/perfetto/perfetto_trace.proto
# into build/gen/ at build time and never committed.

PROTOC_C    ?= protoc-c
PF_GEN      := $(BUILD)/gen/perfetto
PF_PROTO    := tools/perfetto/perfetto_trace.proto
PF_PB_C     := $(PF_GEN)/perfetto_trace.pb-c.c
PF_PB_H     := $(PF_GEN)/perfetto_trace.pb-c.h
TT_CFLAGS   := -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -I$(PF_GEN)

PF_SRCS     := tools/perfetto/trace2perfetto.c tools/perfetto/convert.c \
	       tools/perfetto/convert_events.c tools/perfetto/pf_writer.c tools/perfetto/chrome_json.c \
	       tools/perfetto/event_map.c tools/perfetto/pf_encode.c tools/perfetto/pf_strtab.c \
	       tools/kaddr2line.c
PF_HDRS     := tools/perfetto/convert.h tools/perfetto/convert_state.h tools/perfetto/pf_writer.h \
	       tools/perfetto/pf_encode.h tools/perfetto/pf_strtab.h \
	       tools/perfetto/chrome_json.h tools/perfetto/event_map.h \
	       tools/perfetto/event_map.def tools/kaddr2line.h
CHECK_SRCS  := tools/tracecheck.c tools/perfetto/event_map.c tools/kaddr2line.c
CHECK_HDRS  := tools/perfetto/event_map.h tools/perfetto/event_map.def tools/kaddr2line.h

TRACETOOLS  := $(BIN)/trace2perfetto $(BIN)/tracecheck $(BIN)/trace-schema-json \
	       $(BIN)/pf_writer_test

.PHONY: all tracetools test-tracetools tracetools-bench test bench
all: tracetools
tracetools: $(TRACETOOLS)

$(PF_PB_C) $(PF_PB_H): $(PF_PROTO)
	@mkdir -p $(PF_GEN)
	$(PROTOC_C) --c_out=$(PF_GEN) -I$(dir $(PF_PROTO)) $(PF_PROTO)

# The generated code is not ours to warn about beyond what it promises.
$(PF_GEN)/perfetto_trace.pb-c.o: $(PF_PB_C) $(PF_PB_H)
	$(HOSTCC) -std=gnu11 -O2 -g -Wall -Werror -I$(PF_GEN) -c $< -o $@

$(BIN)/trace2perfetto: $(PF_SRCS) $(PF_HDRS) $(PF_GEN)/perfetto_trace.pb-c.o \
		$(TRACELIB_SRCS) $(TRACELIB_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TT_CFLAGS) -o $@ $(PF_SRCS) $(PF_GEN)/perfetto_trace.pb-c.o \
		$(TRACELIB_SRCS) -lprotobuf-c -ldw $(TRACELIB_LIBS)

$(BIN)/tracecheck: $(CHECK_SRCS) $(CHECK_HDRS) $(TRACELIB_SRCS) $(TRACELIB_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TT_CFLAGS) -o $@ $(CHECK_SRCS) $(TRACELIB_SRCS) -ldw $(TRACELIB_LIBS)

# The writer alone (sorting, interning at first use), for tests/test_perfetto.py.
PF_WRITER_SRCS := tools/perfetto/pf_writer.c tools/perfetto/pf_encode.c tools/perfetto/pf_strtab.c
$(BIN)/pf_writer_test: tests/pf_writer_test.c $(PF_WRITER_SRCS) tools/perfetto/pf_writer.h \
		tools/perfetto/pf_encode.h tools/perfetto/pf_strtab.h $(PF_GEN)/perfetto_trace.pb-c.o
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TT_CFLAGS) -o $@ tests/pf_writer_test.c $(PF_WRITER_SRCS) \
		$(PF_GEN)/perfetto_trace.pb-c.o -lprotobuf-c

$(BIN)/trace-schema-json: tools/trace_schema_json.c trace/schema.c $(TRACE_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(TT_CFLAGS) -o $@ tools/trace_schema_json.c trace/schema.c

test-tracetools: $(TRACETOOLS)
	$(PYTHON) -m pytest -q tests/test_perfetto.py tests/test_tracecheck.py tests/test_plot.py

# make test runs all of tests/ in one pytest (mk/test.mk); it needs these built.
test-prep: $(TRACETOOLS)

bench: tracetools-bench
tracetools-bench: $(TRACETOOLS)
	@$(PYTHON) tools/perfetto/bench.py
