# SPDX-License-Identifier: BSD-2-Clause
# The benchmark of issue 6 (make bench, make bench-quick): its tools and the driver, included by
# the top Makefile, whose variables (CC, ALL_CFLAGS, LDFLAGS, LIB_LIBS, BUILDDIR) it uses.

# Included once, however the top Makefile and a command line (-f) name it.
ifndef HELLOD_BENCH_MK
HELLOD_BENCH_MK := $(lastword $(MAKEFILE_LIST))

# Debian packages: nginx with its stream module (the reference server), python3 (the driver
# and the tutorial server), binutils (strip), iproute2 (ip, for the private network namespace).
BENCH_DEPS = nginx libnginx-mod-stream python3 binutils iproute2
BENCH_TOOLS = $(addprefix $(BUILDDIR)/bench/,loadgen limit textbook forkserver)
BENCH_ARGS ?=

# Each tool is one file; the checked number parser comes from libcommon.a.
$(BUILDDIR)/bench/%: tests/bench/%.c $(BUILDDIR)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(BENCH_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILDDIR)/libcommon.a \
		$(BENCH_LIBS)

$(BUILDDIR)/bench/limit: BENCH_CFLAGS = -pthread
$(BUILDDIR)/bench/limit: BENCH_LIBS = -pthread
$(BUILDDIR)/bench/textbook: BENCH_LIBS = $(LIB_LIBS)

bench-tools: $(BENCH_TOOLS)

bench-deps: deps
	@packaging/build-deps.sh $(BENCH_DEPS)

# The release build (default CFLAGS), then the driver (how long each takes: tests/bench/README.md).
# A sub-make builds after the dependencies are installed, as `make run` does.
bench: bench-deps
	@$(MAKE) --no-print-directory all bench-tools
	python3 tests/bench/bench.py --build $(BUILDDIR) $(BENCH_ARGS)

bench-quick: bench-deps
	@$(MAKE) --no-print-directory all bench-tools
	python3 tests/bench/bench.py --build $(BUILDDIR) --quick $(BENCH_ARGS)

.PHONY: bench bench-quick bench-tools bench-deps

endif
