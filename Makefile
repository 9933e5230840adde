# SPDX-License-Identifier: BSD-2-Clause
# hellod: a greeting daemon (RFC 865 style) and its health-check client.

VERSION = 0.1.0

PREFIX ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
SBINDIR ?= $(EXEC_PREFIX)/sbin
BINDIR ?= $(EXEC_PREFIX)/bin
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config
UNITDIR ?= $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
CATALOGDIR ?= $(shell $(PKG_CONFIG) --variable=catalogdir systemd 2>/dev/null || echo /usr/lib/systemd/catalog)
INSTALL ?= install
CFLAGS ?= -O2 -g
BUILDDIR ?= build
# HELLOD=PATH (environment or command line) names the binary that make soak tests: taken here,
# before HELLOD below names the daemon's sources.
SOAK_HELLOD := $(HELLOD)

# Warnings are ours (STYLE.md); CFLAGS, CPPFLAGS and LDFLAGS are the distribution's and come last.
WARNFLAGS = -std=gnu17 -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wwrite-strings \
	-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wimplicit-fallthrough -Wvla \
	-Werror=implicit-function-declaration -fno-common -Wno-unused-parameter
WERROR ?=
# Recursive (=) on purpose: evaluated after `make check` or `make run` installed the libraries.
LIB_CFLAGS = $(shell $(PKG_CONFIG) --cflags libsystemd inih)
LIB_LIBS = $(shell $(PKG_CONFIG) --libs libsystemd inih)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs inih)
# hellod's workers are threads: -pthread when compiling and when linking.
ALL_CFLAGS = $(WARNFLAGS) $(WERROR) -pthread -D_GNU_SOURCE -Isrc/common -DHELLOD_VERSION='"$(VERSION)"' \
	-DHELLOD_CONFIG_PATH='"$(SYSCONFDIR)/hellod/hellod.conf"' $(LIB_CFLAGS) $(CPPFLAGS) $(CFLAGS)

COMMON = src/common/addr.c src/common/config.c src/common/config-keys.c src/common/config-types.c \
	src/common/access.c src/common/log.c \
	src/common/quotes.c src/common/template.c src/common/util.c
HELLOD = src/hellod/main.c src/hellod/listen.c src/hellod/server.c src/hellod/tcp.c \
	src/hellod/workers.c src/hellod/limits.c src/hellod/status.c src/hellod/udp.c \
	src/hellod/daemon.c src/hellod/notify.c src/hellod/stats.c src/hellod/conn.c \
	src/hellod/reload.c src/hellod/timer.c src/hellod/budget.c src/hellod/proxy.c \
	src/hellod/greet.c src/hellod/http.c src/hellod/metrics.c src/hellod/metrics-text.c
CHECK = src/check/main.c src/check/probe.c src/check/prom.c src/check/proxy-header.c \
	src/check/report.c
UNIT_TESTS = test_config test_addr test_util test_report test_limits test_conn test_proxy \
	test_proxy_header test_template test_quotes test_prom test_greet test_http test_metrics \
	test_budget test_daemon test_reload
TEST_TOOLS = client fakeserver
FUZZ_TARGETS = fuzz_config fuzz_reply fuzz_proxy fuzz_template fuzz_quotes fuzz_http

obj = $(patsubst src/%.c,$(BUILDDIR)/obj/%.o,$(1))

# Debian packages: to build, and to run the tests (ss, systemd-socket-activate, /etc/services,
# systemd-nspawn for real systemd as PID 1, HAProxy and nginx stream in front of hellod, and
# python3 for HAProxy's stats socket).
BUILD_DEPS = gcc libc6-dev make pkgconf libsystemd-dev libinih-dev
CHECK_DEPS = $(BUILD_DEPS) systemd systemd-container iproute2 netbase procps jq groff-base \
	monitoring-plugins-basic haproxy nginx libnginx-mod-stream python3 netcat-openbsd

LINT_DEPS = cppcheck clang-tidy shellcheck gcc pyflakes3
FUZZ_DEPS = clang libclang-rt-14-dev
FUZZ_SECONDS ?= 60

ASAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

all: $(BUILDDIR)/hellod $(BUILDDIR)/hellod-check

$(BUILDDIR)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILDDIR)/obj/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -Isrc/check -MMD -MP -c -o $@ $<

# An archive: a unit test that includes a module's .c to reach its statics replaces that member.
$(BUILDDIR)/libcommon.a: $(call obj,$(COMMON))
	$(AR) rcs $@ $^

$(BUILDDIR)/hellod: $(call obj,$(HELLOD)) $(BUILDDIR)/libcommon.a
	$(CC) $(CFLAGS) -pthread $(LDFLAGS) -o $@ $^ $(LIB_LIBS)

# The client needs no libsystemd: small images can carry it alone.
$(BUILDDIR)/hellod-check: $(call obj,$(CHECK)) $(BUILDDIR)/libcommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

$(BUILDDIR)/tests/test_%: $(BUILDDIR)/obj/tests/unit/test_%.o $(BUILDDIR)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -pthread $(LDFLAGS) -o $@ $^ $(LIB_LIBS)

$(BUILDDIR)/tests/%: $(BUILDDIR)/obj/tests/tools/%.o $(BUILDDIR)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIB_LIBS)

# The fuzz targets, run by a plain driver over the committed corpus (make check); make fuzz
# builds them with libFuzzer instead.
$(BUILDDIR)/tests/fuzz_config: $(BUILDDIR)/obj/tests/fuzz/fuzz_config.o \
		$(BUILDDIR)/obj/tests/fuzz/driver.o $(BUILDDIR)/libcommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

$(BUILDDIR)/tests/fuzz_reply: $(BUILDDIR)/obj/tests/fuzz/fuzz_reply.o \
		$(BUILDDIR)/obj/tests/fuzz/driver.o $(call obj,src/check/report.c) $(BUILDDIR)/libcommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

$(BUILDDIR)/tests/fuzz_proxy: $(BUILDDIR)/obj/tests/fuzz/fuzz_proxy.o \
		$(BUILDDIR)/obj/tests/fuzz/driver.o $(call obj,src/hellod/proxy.c) $(BUILDDIR)/libcommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

$(BUILDDIR)/tests/fuzz_http: $(BUILDDIR)/obj/tests/fuzz/fuzz_http.o \
		$(BUILDDIR)/obj/tests/fuzz/driver.o $(call obj,src/hellod/http.c)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(BUILDDIR)/tests/fuzz_template: $(BUILDDIR)/obj/tests/fuzz/fuzz_template.o \
		$(BUILDDIR)/obj/tests/fuzz/driver.o $(BUILDDIR)/libcommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

$(BUILDDIR)/tests/fuzz_quotes: $(BUILDDIR)/obj/tests/fuzz/fuzz_quotes.o \
		$(BUILDDIR)/obj/tests/fuzz/driver.o $(BUILDDIR)/libcommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS)

# The accept4() stall shim (LD_PRELOAD) of 044: plain flags, no sanitizer, so that it can be
# preloaded before an ASan build's runtime too.
$(BUILDDIR)/tests/stall.so: tests/tools/stall.c
	@mkdir -p $(@D)
	$(CC) $(WARNFLAGS) $(WERROR) -O2 -fPIC -shared -o $@ $< -ldl

# The fault shim (issue 24): the same plain flags, so that it runs before an ASan runtime.
$(BUILDDIR)/tests/fault.so: tests/fault/fault.c
	@mkdir -p $(@D)
	$(CC) $(WARNFLAGS) $(WERROR) -O2 -fPIC -shared -o $@ $< -ldl

tests: all $(addprefix $(BUILDDIR)/tests/,$(UNIT_TESTS) $(TEST_TOOLS) $(FUZZ_TARGETS)) \
	$(BUILDDIR)/tests/stall.so $(BUILDDIR)/tests/fault.so

-include $(shell find $(BUILDDIR)/obj -name '*.d' 2>/dev/null)

deps:
	@packaging/build-deps.sh $(BUILD_DEPS)

check-deps:
	@packaging/build-deps.sh $(CHECK_DEPS)

# The daemon in the foreground on 127.0.0.1:12345: the repository's etc/hellod.conf with the
# host narrowed to loopback, so that a try-out is not reachable from the network.
run: deps
	@$(MAKE) --no-print-directory all
	@{ cat etc/hellod.conf; printf '\n[server]\nhost = 127.0.0.1\n'; } > $(BUILDDIR)/run.conf
	@echo "hellod listens on 127.0.0.1:12345 in the foreground; stop it with Ctrl-C."
	@echo "Probe it from another terminal:  nc 127.0.0.1 12345"
	@echo "          (without netcat, bash): cat < /dev/tcp/127.0.0.1/12345"
	@echo "          (the health check):     $(BUILDDIR)/hellod-check --config $(BUILDDIR)/run.conf"
	exec $(BUILDDIR)/hellod -c $(BUILDDIR)/run.conf

# The test build treats warnings as errors, in its own directory.
check: check-deps
	@$(MAKE) --no-print-directory BUILDDIR=build/check WERROR=-Werror tests
	@tests/run.sh build/check

check-asan: check-deps
	@$(MAKE) --no-print-directory BUILDDIR=build/asan WERROR=-Werror CFLAGS="$(ASAN_FLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" tests
	@HELLOD_SANITIZER=1 tests/run.sh build/asan

check-valgrind: check-deps
	@packaging/build-deps.sh valgrind
	@$(MAKE) --no-print-directory BUILDDIR=build/check WERROR=-Werror tests
	@HELLOD_VALGRIND=1 HELLOD_JOBS=$${HELLOD_JOBS:-2} tests/run.sh build/check

# The container image (issue 27): the two binaries and the files of this machine's Debian
# packages they need, FROM scratch (packaging/container/). podman's settings for this kind of
# machine come from packaging/container/containers.conf, never from /etc/containers.
IMAGE_DEPS = podman runc
IMAGE ?= hellod
PODMAN = CONTAINERS_CONF=$(CURDIR)/packaging/container/containers.conf podman
image: deps
	@packaging/build-deps.sh $(IMAGE_DEPS)
	@$(MAKE) --no-print-directory BUILDDIR=build/image all
	@packaging/container/rootfs.sh build/image build/image/root
	$(PODMAN) build --quiet --format docker --build-arg VERSION=$(VERSION) \
		-f packaging/container/Containerfile -t $(IMAGE):$(VERSION) -t $(IMAGE):latest \
		build/image/root >/dev/null
	@$(PODMAN) image inspect --format '$(IMAGE):$(VERSION): {{.Size}} bytes uncompressed' \
		$(IMAGE):$(VERSION)

# Issue 24: line and branch coverage of the whole suite (unit, system, the scenarios and the fault
# sweep), per file and in total, with gcovr. Daemons that drop privileges write their counts too:
# the build directory is made writable by all. What runs inside the systemd container (016, 017)
# is the packages' own build and is not counted.
COVERAGE_DEPS = gcovr
coverage: check-deps
	@packaging/build-deps.sh $(COVERAGE_DEPS)
	@rm -rf build/coverage
	@$(MAKE) --no-print-directory BUILDDIR=build/coverage WERROR=-Werror CFLAGS="-O0 -g --coverage" \
		LDFLAGS="--coverage" tests
	@# Each binary run once makes its .gcda files, then all are made writable to all: the
	@# processes that drop privileges (-u, hellod-check as nobody, test_daemon's child) add
	@# their counts too. The unit tests run whole for that: a test's own .gcda holds the
	@# counts of the module it includes.
	@build/coverage/hellod -V >/dev/null && build/coverage/hellod-check -V >/dev/null
	@for t in build/coverage/tests/test_*; do $$t >/dev/null 2>&1 || true; done
	@chmod -R a+rwX build/coverage
	@tests/run.sh build/coverage | grep -E '^(FAIL|SKIP) |passed,' || true
	@gcovr --root . --object-directory build/coverage/obj --filter src/ \
		--exclude-unreachable-branches --txt build/coverage/lines.txt
	@gcovr --root . --object-directory build/coverage/obj --filter src/ --branches \
		--exclude-unreachable-branches --print-summary \
		--txt build/coverage/branches.txt >build/coverage/summary.txt
	@cat build/coverage/lines.txt build/coverage/branches.txt build/coverage/summary.txt

# Issue 24: every error at every call site, without make check's time bound.
fault-sweep: check-deps
	@$(MAKE) --no-print-directory BUILDDIR=build/check WERROR=-Werror tests
	@python3 tests/fault/sweep.py --build build/check --full

# Static analysis; every finding fails (tests/lint.sh says which tools and why these checks).
lint: check-deps
	@packaging/build-deps.sh $(LINT_DEPS)
	@tests/lint.sh "$(LIB_CFLAGS)"

# libFuzzer on the config parser, hellod-check's reply handling, the PROXY header parser, greeting
# templates, the fortune file reader and the metrics endpoint's request reader, FUZZ_SECONDS each.
fuzz: check-deps
	@packaging/build-deps.sh $(FUZZ_DEPS)
	@tests/fuzz/fuzz.sh $(FUZZ_SECONDS) "$(LIB_CFLAGS)" "$(LIB_LIBS)"

UNITS = hellod.socket hellod-udp.socket hellod-metrics.socket hellod.service hellod-standalone.service \
	hellod-check.service hellod-check.timer hellod-check-prom.service hellod-check-prom.timer

# Files that name installed paths get them at install time.
SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

install: all
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/hellod \
		$(DESTDIR)$(SYSCONFDIR)/cron.d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CATALOGDIR) \
		$(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 755 $(BUILDDIR)/hellod $(DESTDIR)$(SBINDIR)/hellod
	$(INSTALL) -m 755 $(BUILDDIR)/hellod-check $(DESTDIR)$(BINDIR)/hellod-check
	test -e $(DESTDIR)$(SYSCONFDIR)/hellod/hellod.conf || \
		$(INSTALL) -m 644 etc/hellod.conf $(DESTDIR)$(SYSCONFDIR)/hellod/hellod.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/cron.d/hellod-check || \
		{ $(SUBST) etc/cron.d/hellod-check > $(DESTDIR)$(SYSCONFDIR)/cron.d/hellod-check && \
		chmod 644 $(DESTDIR)$(SYSCONFDIR)/cron.d/hellod-check; }
	for u in $(UNITS); do \
		$(SUBST) systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && chmod 644 $(DESTDIR)$(UNITDIR)/$$u; \
	done
	$(INSTALL) -m 644 systemd/hellod.catalog $(DESTDIR)$(CATALOGDIR)/hellod.catalog
	$(INSTALL) -m 644 src/hellod/hellod.8 $(DESTDIR)$(MANDIR)/man8/hellod.8
	$(INSTALL) -m 644 src/hellod/hellod.conf.5 $(DESTDIR)$(MANDIR)/man5/hellod.conf.5
	$(INSTALL) -m 644 src/check/hellod-check.1 $(DESTDIR)$(MANDIR)/man1/hellod-check.1

# The configuration files stay: they may hold the administrator's changes.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/hellod $(DESTDIR)$(BINDIR)/hellod-check \
		$(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) \
		$(DESTDIR)$(CATALOGDIR)/hellod.catalog \
		$(DESTDIR)$(MANDIR)/man8/hellod.8 $(DESTDIR)$(MANDIR)/man5/hellod.conf.5 \
		$(DESTDIR)$(MANDIR)/man1/hellod-check.1

# The unit tests alone: what a package build runs (the system tests start servers). Under
# HELLOD_WRAPPER when set: qemu-user for a cross build's (HELLOD_WRAPPER=qemu-aarch64-static).
check-unit: tests
	@for t in $(addprefix $(BUILDDIR)/tests/,$(UNIT_TESTS)); do $(HELLOD_WRAPPER) $$t || exit 1; done

# Cross-building for another Debian architecture, ARCH=armhf, arm64, s390x, i386...: the
# target's hellod, hellod-check, unit tests and fuzz drivers in build/ARCH, with the Debian
# triplet's compiler and pkg-config and warnings as errors. cross-deps.sh installs what it
# needs; the triplet is asked for only then, in a sub-make, since dpkg-dev may come with it.
ARCH ?=
CROSS_TRIPLET = $(shell dpkg-architecture -a$(ARCH) -qDEB_HOST_GNU_TYPE 2>/dev/null)
CROSS_TARGETS = all $(addprefix build/$(ARCH)/tests/,$(UNIT_TESTS) $(FUZZ_TARGETS))
# What runs the target's binaries here: qemu-user (qemu's name for the architecture where it
# differs from Debian's), without -L: the multiarch loader in /lib goes with the multiarch libc,
# the cross toolchain's in /usr/<triplet> does not (stack smashing on s390x, hangs on arm64).
# Nothing for i386 on amd64, which the kernel runs itself.
QEMU_ARCH_arm64 = aarch64
QEMU_ARCH_armhf = arm
QEMU_ARCH_armel = arm
QEMU_ARCH_ppc64el = ppc64le
CROSS_WRAPPER = $(if $(filter amd64:i386,$(shell dpkg --print-architecture):$(ARCH)),,\
	qemu-$(or $(QEMU_ARCH_$(ARCH)),$(ARCH))-static)

cross:
	@$(if $(ARCH),,echo "make cross needs ARCH=<a Debian architecture> such as arm64" >&2; exit 64)
	@packaging/cross-deps.sh $(ARCH)
	@$(MAKE) --no-print-directory cross-build ARCH=$(ARCH)

cross-build:
	@$(MAKE) --no-print-directory BUILDDIR=build/$(ARCH) WERROR=-Werror \
		CC=$(CROSS_TRIPLET)-gcc PKG_CONFIG=$(CROSS_TRIPLET)-pkg-config $(CROSS_TARGETS)

# The unit tests and the system tests against the cross build: its binaries under
# $(CROSS_WRAPPER), the test tools (client, fakeserver, loadgen) from the host's build/check.
# Tests that cannot apply under emulation skip with their reason.
check-cross: check-deps
	@$(MAKE) --no-print-directory cross ARCH=$(ARCH)
	@$(MAKE) --no-print-directory BUILDDIR=build/check WERROR=-Werror tests
	@HELLOD_JOBS=$${HELLOD_JOBS:-2} HELLOD_CROSS=$(ARCH) HELLOD_WRAPPER="$(strip $(CROSS_WRAPPER))" \
		HELLOD_TOOLS=build/check \
		tests/run.sh build/$(ARCH)

# A release tarball from git: the committed tree, plus uncommitted changes to tracked files
# (said when there are any), never untracked files.
DIST = $(BUILDDIR)/hellod-$(VERSION).tar.gz
dist:
	@mkdir -p $(BUILDDIR)
	@rev=$$(git stash create) && \
	if [ -n "$$rev" ]; then echo "make dist: the tarball has uncommitted changes" >&2; fi && \
	git archive --prefix=hellod-$(VERSION)/ -o $(DIST) $${rev:-HEAD}
	@echo $(DIST)

# The scenario engine (tests/scenario/README.md): fresh seeds until SECONDS are spent, then
# one line, "soak: S seeds, C clients, G greetings checked, M mismatches"; it fails on any
# mismatch or death. HELLOD=PATH tests that binary instead of the test build's.
SECONDS ?= 600
.PHONY: soak
soak: deps
	@packaging/build-deps.sh python3
	@$(if $(SOAK_HELLOD),,$(MAKE) --no-print-directory BUILDDIR=build/check WERROR=-Werror all)
	@nice -n 10 python3 tests/scenario/scenario.py \
		--hellod "$(or $(SOAK_HELLOD),build/check/hellod)" --soak $(SECONDS)

# A package builds with its own make: nothing of this one may leak in, neither MAKEFLAGS nor
# the variables given on our command line (BUILDDIR=..., say), which make also exports.
CLEAN_ENV = env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	$(strip $(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $v)),-u $v)))

DEB_DEPS = $(BUILD_DEPS) systemd debhelper dpkg-dev fakeroot lintian
# ARCH=<debian-arch> cross-builds the package for that architecture (make deb ARCH=arm64) into
# build/deb-ARCH, with the cross and nocheck build profiles: the unit tests of a foreign binary
# need qemu, which make check-cross runs. ARCH empty or this machine's architecture: native.
DEB_NATIVE_ARCH = $(shell dpkg --print-architecture 2>/dev/null)
DEB_CROSS = $(filter-out $(DEB_NATIVE_ARCH),$(ARCH))
DEB_DIR = $(BUILDDIR)/deb$(if $(DEB_CROSS),-$(DEB_CROSS))
# CC too: dpkg-buildpackage warns when the compiler's target is not the host architecture.
DEB_CROSS_ENV = $(if $(DEB_CROSS),CC=$(shell dpkg-architecture -a$(DEB_CROSS) \
	-qDEB_HOST_GNU_TYPE 2>/dev/null)-gcc \
	DEB_BUILD_OPTIONS="$${DEB_BUILD_OPTIONS:+$$DEB_BUILD_OPTIONS }nocheck")
DEB_CROSS_OPTS = $(if $(DEB_CROSS),-a$(DEB_CROSS) -Pcross$(comma)nocheck)
comma = ,
# The .deb, built as Debian builds it: the tarball as the .orig, packaging/debian as debian/,
# in build/deb (or build/deb-ARCH); then lintian, pedantic, with every tag an error.
deb: dist
	@packaging/build-deps.sh $(DEB_DEPS)
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)
	cp $(DIST) $(DEB_DIR)/hellod_$(VERSION).orig.tar.gz
	tar -C $(DEB_DIR) -xzf $(DIST)
	cp -R packaging/debian $(DEB_DIR)/hellod-$(VERSION)/debian
	$(if $(DEB_CROSS),@packaging/deb-cross-deps.sh $(DEB_CROSS) $(DEB_DIR)/hellod-$(VERSION))
	cd $(DEB_DIR)/hellod-$(VERSION) && $(CLEAN_ENV) $(DEB_CROSS_ENV) dpkg-buildpackage -us -uc \
		--build=source,binary $(DEB_CROSS_OPTS)
	@echo "lintian: any tag fails, only an override with its reason may silence one"
	lintian --fail-on error,warning -EI --pedantic --tag-display-limit 0 \
		$(DEB_DIR)/hellod_$(VERSION)-*.changes >$(DEB_DIR)/lintian.log 2>&1; \
		status=$$?; cat $(DEB_DIR)/lintian.log; \
		[ $$status = 0 ] && ! grep -Eq '^[EWIPXC]: ' $(DEB_DIR)/lintian.log

# The footprint table: hellod and hellod-check per architecture (this machine's, and each foreign
# one whose cross toolchain is installed, or only ARCH) and per set of size-conscious flags.
size: deps
	@MAKE="$(MAKE)" packaging/size.sh $(ARCH)

RPM_DEPS = $(BUILD_DEPS) systemd rpm rpmlint elfutils debugedit devscripts
# The RPM, built by rpmbuild from the same tarball, in build/rpm. Debian's rpm has no systemd
# macros (a small file supplies them) and no database of build dependencies (--nodeps), and
# its brp-compress needs bash. Then rpmlint with a Fedora-like configuration.
rpm: dist
	@packaging/build-deps.sh $(RPM_DEPS)
	rm -rf $(BUILDDIR)/rpm && mkdir -p $(BUILDDIR)/rpm/SOURCES
	cp $(DIST) $(BUILDDIR)/rpm/SOURCES/
	$(CLEAN_ENV) rpmbuild -ba --nodeps --load=packaging/rpm/macros.debian-host \
		--define "_topdir $(abspath $(BUILDDIR)/rpm)" \
		--define "__brp_compress /bin/bash /usr/lib/rpm/brp-compress /usr" \
		packaging/rpm/hellod.spec
	rpmlint -c packaging/rpm/rpmlint.toml -r packaging/rpm/hellod.rpmlintrc $(BUILDDIR)/rpm/SRPMS/*.rpm \
		$(BUILDDIR)/rpm/RPMS/*/hellod-$(VERSION)-*.rpm >$(BUILDDIR)/rpm/rpmlint.log 2>&1; \
		status=$$?; cat $(BUILDDIR)/rpm/rpmlint.log; \
		[ $$status = 0 ] && grep -q ' 0 errors, 0 warnings' $(BUILDDIR)/rpm/rpmlint.log

clean:
	rm -rf build

# make bench, make bench-quick: the load generator, the peers and the driver (issue 6).
include tests/bench/bench.mk

# The test build compiles the benchmark's tools too (with -Werror); 020 uses the load generator.
tests: $(BENCH_TOOLS)

.PHONY: all tests deps check-deps run check check-asan check-valgrind check-unit lint fuzz \
	fault-sweep coverage image \
	cross cross-build check-cross install uninstall \
	dist deb size rpm clean
