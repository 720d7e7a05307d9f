# sysplex - top-level build.  `make` builds bin/*, `make test` runs every test
# tier, `make demo` starts the default emulated sysplex, shows it working and
# tears it down.  `make deps` installs the Debian packages below (only when one
# is missing); `make demo`, `make test`, `make test-stress` and `make bench`
# run it first.  A plain `make` never installs anything: when a package it
# needs to build is missing it says which and stops (`make deps` gets them).
#
# Modules are folders; each is a static library built from every .c in it
# (testsrv/: all but httpd.c, the sample server's program).  The daemons'
# folders too, but for their main.c: libstack.a (tcpip-stack/) and
# libagent.a (client-agent/), so unit tests link the daemons' decisions.
# Unit tests: tests/unit/test_<name>.c -> build/tests/test_<name> (cmocka);
# test_stack_* also link libstack.a with a fake bus and clock
# (tests/unit/fake_*.c), test_agent_* libagent.a.
# `make SANITIZE=1 ...` (ASan/UBSan) builds into build-san/ and bin-san/, so
# it never mixes with a plain build; its tests run the bin-san/ programs.
# `make -s` prints no CC/LINK lines; `make V=1` prints the full commands.

# Needed to build (checked by `make`) and, in addition, to run the demo and
# the tests (installed by `make deps`).
BUILD_PKGS = build-essential pkg-config libzmq3-dev libsqlite3-dev libuv1-dev \
	libcmocka-dev liblua5.4-dev libmnl-dev libedit-dev lua5.4 libjansson-dev
RUN_PKGS = iproute2 nftables curl tshark python3 python3-scapy iperf3 sqlite3 jq procps \
	psmisc haproxy wrk stress-ng frr gnuplot-nox
DEBIAN_PKGS = $(BUILD_PKGS) $(RUN_PKGS)

CC ?= cc
PKG_LIBS = libzmq sqlite3 libuv lua5.4 libmnl libedit jansson
CFLAGS ?= -O2 -g
override CPPFLAGS += -I. -D_GNU_SOURCE
WFLAGS = -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
LDLIBS_ALL = -lpthread -lm
ifeq ($(SANITIZE),1)
# -fno-builtin-memcmp: GCC expands a short memcmp inline without ASan's
# checks; as a call, ASan's interceptor checks every byte it reads (a read
# after scope in tests/unit/test_stack_mip6.c is caught that way).
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
	-fno-builtin-memcmp
BUILD = build-san
BIN = bin-san
else
SANFLAGS =
BUILD = build
BIN = bin
endif
ALL_CFLAGS = $(CPPFLAGS) $(WFLAGS) $(CFLAGS) $(SANFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

# Quiet rules: the CC/LINK lines are left out under `make -s`; V=1 shows the
# commands themselves instead.
ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
say = :
else
say = echo
endif
ifeq ($(V),1)
Q =
say = :
else
Q = @
endif

# pkg-config is only consulted once the packages are present.
pc = $(shell pkg-config --cflags $(1) 2>/dev/null)
pl = $(shell pkg-config --libs $(1) 2>/dev/null)

LIB_SRC  = $(wildcard lib/*.c)
WIRE_SRC = $(wildcard wire/*.c)
XCF_SRC  = $(wildcard xcf/*.c)
VIPA_SRC = $(wildcard vipa/*.c)
STACK_SRC = $(filter-out tcpip-stack/main.c,$(wildcard tcpip-stack/*.c))
AGENT_SRC = $(filter-out client-agent/main.c,$(wildcard client-agent/*.c))
PLEX_SRC = $(wildcard sysplex/*.c)
HTTPD_SRC = testsrv/httpd.c
TESTSRV_SRC = $(filter-out $(HTTPD_SRC),$(wildcard testsrv/*.c))
UNIT_SRC = $(wildcard tests/unit/test_*.c)
FAKE_SRC = $(wildcard tests/unit/fake_*.c)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC = $(wildcard bench/*.c)

# The version of every program (--version, the manual pages' footer), from
# one place: RELEASE here and, in a git checkout, the commit it was built
# from (RELEASE+gHASH, "-dirty" with uncommitted changes).  lib_version is
# generated into $(BUILD)/gen/version.c, rewritten only when it changes.
RELEASE = 0.9
VERSION := $(shell v=$$(git describe --always --dirty --abbrev=7 2>/dev/null) && \
	echo "$(RELEASE)+g$$v" || echo "$(RELEASE)")
VERSION_C = $(BUILD)/gen/version.c
VERSION_O = $(BUILD)/gen/version.o
obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIBA_LIB  = $(BUILD)/liblib.a
LIBA_WIRE = $(BUILD)/libwire.a
LIBA_XCF  = $(BUILD)/libxcf.a
LIBA_VIPA = $(BUILD)/libvipa.a
LIBA_TESTSRV = $(BUILD)/libtestsrv.a
LUAC ?= luac5.4
PRELUDE_C = $(BUILD)/gen/sysplex/prelude.c
PRELUDE_O = $(BUILD)/gen/sysplex/prelude.o
LIBA_STACK = $(BUILD)/libstack.a
LIBA_AGENT = $(BUILD)/libagent.a
# kdp/ (the eBPF block at the end): the stack loads its connection events.
LIBA_KDP = $(BUILD)/libkdp.a
KDP_LIBS = -lbpf
MODLIBS = $(LIBA_VIPA) $(LIBA_XCF) $(LIBA_WIRE) $(LIBA_LIB)
EXT_CFLAGS = $(call pc,$(PKG_LIBS))
EXT_LIBS = $(call pl,$(PKG_LIBS))

PROGS = $(BIN)/tcpip-stack $(BIN)/client-agent $(BIN)/sysplex $(BIN)/sysplex-httpd
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BENCH_BINS = $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all progs deps check-deps test test-unit test-config test-man test-fuzz test-netns test-long \
	test-lua test-takeover-many test-stress demo bench fuzz clean
# Objects of the unit tests and benchmarks are kept (not intermediate files).
.SECONDARY: $(patsubst %.c,$(BUILD)/%.o,$(UNIT_SRC) $(FAKE_SRC) $(BENCH_SRC))

all: check-deps
	@$(MAKE) --no-print-directory progs

progs: $(PROGS) $(UNIT_BINS) $(BENCH_BINS)

# missing_pkgs PACKAGES: those of PACKAGES that dpkg does not list as installed.
missing_pkgs = for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done | tr '\n' ' ' | sed 's/ *$$//'

# Says which packages needed to build are missing and how to get them.
check-deps:
	@missing=$$($(call missing_pkgs,$(BUILD_PKGS))); \
	if [ -n "$$missing" ]; then \
	  echo "make: missing Debian packages needed to build: $$missing" >&2; \
	  echo "make: \`make deps\` (as root) installs them, with those the demo and the tests need" >&2; \
	  exit 1; \
	fi

# Installs missing Debian packages (needs root; a no-op when all are present).
deps:
	@missing=$$($(call missing_pkgs,$(DEBIAN_PKGS))); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing: $$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: must run as root to install packages" >&2; exit 1; fi; \
	  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(say) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(EXT_CFLAGS) -MMD -MP -c $< -o $@

$(LIBA_LIB): $(call obj,$(LIB_SRC)) $(VERSION_O)
$(LIBA_WIRE): $(call obj,$(WIRE_SRC))
$(LIBA_XCF): $(call obj,$(XCF_SRC))
$(LIBA_VIPA): $(call obj,$(VIPA_SRC))
$(LIBA_TESTSRV): $(call obj,$(TESTSRV_SRC))
$(LIBA_STACK): $(call obj,$(STACK_SRC))
$(LIBA_AGENT): $(call obj,$(AGENT_SRC))
$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(BIN)/tcpip-stack: $(BUILD)/tcpip-stack/main.o $(LIBA_STACK) $(LIBA_KDP) $(MODLIBS)
$(BIN)/client-agent: $(BUILD)/client-agent/main.o $(LIBA_AGENT) $(LIBA_KDP) $(MODLIBS)
$(BIN)/sysplex: $(call obj,$(PLEX_SRC)) $(PRELUDE_O) $(LIBA_TESTSRV) $(MODLIBS)
$(BIN)/sysplex-httpd: $(call obj,$(HTTPD_SRC)) $(MODLIBS)
$(PROGS):
	@mkdir -p $(BIN)
	@$(say) "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXT_LIBS) $(if $(filter $(LIBA_KDP),$^),$(KDP_LIBS)) $(LDLIBS_ALL)

.PHONY: FORCE
$(VERSION_C): FORCE
	@mkdir -p $(dir $@)
	@printf '/* Generated by the Makefile (do not edit). */\n#include "lib/lib.h"\nconst char lib_version[] = "%s";\n' \
	  '$(VERSION)' > $@.tmp && { cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@; }
$(VERSION_O): $(VERSION_C)
	@$(say) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# The Lua half of the `sysplex run` API, sysplex/prelude.lua, is checked with
# `luac -p` and embedded in bin/sysplex as the NUL-terminated C array
# plex_lua_prelude (a C file generated under $(BUILD)/gen/).
$(PRELUDE_C): sysplex/prelude.lua
	@mkdir -p $(dir $@)
	@$(say) "  LUAC    $<"
	$(Q)$(LUAC) -p $<
	@$(say) "  GEN     $@"
	$(Q){ printf '/* Generated by the Makefile from %s (do not edit). */\n' '$<'; \
	  printf '#include "sysplex/sysplex.h"\n\nconst char plex_lua_prelude[] = {\n'; \
	  od -An -v -tx1 $< | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  printf '0\n};\n'; } > $@.tmp && mv $@.tmp $@
$(PRELUDE_O): $(PRELUDE_C)
	@$(say) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(EXT_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(MODLIBS)
	@mkdir -p $(dir $@)
	@$(say) "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXT_LIBS) -lcmocka $(LDLIBS_ALL)

# The load generator's test links testsrv/ as well.
$(BUILD)/tests/test_testsrv: $(BUILD)/tests/unit/test_testsrv.o $(LIBA_TESTSRV) $(MODLIBS)
	@mkdir -p $(dir $@)
	@$(say) "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXT_LIBS) -lcmocka $(LDLIBS_ALL)

# The daemons' unit tests.  The fakes come before the libraries, so the
# linker takes their xcf_* and lib_now_* and never the real ones (a daemon
# file that wanted any other xcf_* function would fail to link here).
STACK_FAKES = $(patsubst %.c,$(BUILD)/%.o,$(FAKE_SRC))
$(BUILD)/tests/test_stack_%: $(BUILD)/tests/unit/test_stack_%.o $(STACK_FAKES) $(LIBA_STACK) \
		$(LIBA_KDP) $(MODLIBS)
	@mkdir -p $(dir $@)
	@$(say) "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXT_LIBS) $(KDP_LIBS) -lcmocka $(LDLIBS_ALL)
$(BUILD)/tests/test_agent_%: $(BUILD)/tests/unit/test_agent_%.o $(LIBA_AGENT) $(LIBA_KDP) \
		$(MODLIBS)
	@mkdir -p $(dir $@)
	@$(say) "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXT_LIBS) $(KDP_LIBS) -lcmocka $(LDLIBS_ALL)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(MODLIBS)
	@mkdir -p $(dir $@)
	@$(say) "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXT_LIBS) $(LDLIBS_ALL)

# The coupling bus's outsider (tests/netns/test_xcf_auth.sh): a test tool that
# links ZeroMQ itself.
export XCFPROBE := $(abspath $(BUILD)/tests/xcfprobe)
# The SYN flood of tests/netns/test_synflood.sh.
export SYNFLOOD := $(abspath $(BUILD)/bench/synflood)
$(BUILD)/tests/xcfprobe: $(BUILD)/tests/tools/xcfprobe.o $(MODLIBS)
	@mkdir -p $(dir $@)
	@$(say) "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXT_LIBS) $(LDLIBS_ALL)
progs: $(BUILD)/tests/xcfprobe
# A mobile node of the tests' own (tests/netns/test_cn_limits.sh).
export MIP6PEER := $(abspath $(BUILD)/tests/mip6peer)
$(BUILD)/tests/mip6peer: $(BUILD)/tests/tools/mip6peer.o $(MODLIBS)
	@mkdir -p $(dir $@)
	@$(say) "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXT_LIBS) $(LDLIBS_ALL)
progs: $(BUILD)/tests/mip6peer

# ---- tests ---------------------------------------------------------------------
# Tier 1: unit tests (cmocka, one binary per module).  Tier 2: config golden
# files.  Tier 3: namespace integration tests (root; real veths, TUN, ZeroMQ).
# Under SANITIZE=1 every tier runs the sanitizer build (build-san/, bin-san/).
TIERS = test-unit test-config test-man test-fuzz test-netns
test: deps
	@$(MAKE) --no-print-directory progs
	@$(MAKE) --no-print-directory $(TIERS)

test-unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do echo "== $$t"; $$t || fail=1; done; \
	[ $$fail = 0 ] || { echo "unit tests FAILED"; exit 1; }

test-config: $(BIN)/tcpip-stack
	@BIN=$(BIN) tests/config/run.sh

test-netns: $(PROGS)
	@BIN=$(BIN) tests/netns/run.sh

# The manual pages against the programs (tests/man/check.py); `make install`
# and `make uninstall` are tested by tests/netns/test_install.sh.
test-man: $(PROGS)
	@BIN=$(BIN) python3 tests/man/check.py

test-long: $(PROGS)
	@BIN=$(BIN) LONG=1 tests/netns/run.sh

# A takeover with 20,000 live connections (make test runs the same test
# with 2,000 to stay within its time); TAKEOVER_CONNS=100000 is the long
# run of bench/README.md (several holder and server processes, several
# source addresses: the test sizes them).
TAKEOVER_CONNS ?= 20000
test-takeover-many: $(PROGS)
	@BIN=$(BIN) TAKEOVER_CONNS=$(TAKEOVER_CONNS) bash tests/netns/test_takeover_many.sh

# The whole suite (`make test`'s tiers) while every CPU is kept busy by
# stress-ng at nice 19 (tests/stress.sh starts it and always stops it), as on
# a slow, loaded machine; prints how long the suite took.
test-stress: deps
	@$(MAKE) --no-print-directory progs
	@tests/stress.sh $(MAKE) --no-print-directory $(TIERS)

# The operator console and the Lua scenarios alone (test-netns runs them too).
test-lua: $(PROGS)
	@for t in tests/netns/test_console.sh tests/netns/test_lua.sh; do \
	  echo "== $$t"; BIN=$(BIN) bash $$t || exit 1; done

demo: deps
	@$(MAKE) --no-print-directory progs
	@BIN=$(BIN) sysplex/demo.sh

bench: deps
	@$(MAKE) --no-print-directory progs
	@BIN=$(BIN) BUILD=$(BUILD) bench/run.sh

# Fuzz harnesses (libFuzzer; clang).  `make fuzz` runs each for FUZZ_SECONDS
# and fails as soon as one finds a crash (its last lines are shown; the
# crashing input is left in build-fuzz/ as crash-*); `make test` runs each
# for FUZZ_SMOKE_SECONDS (test-fuzz).  A harness's seed inputs are in
# tests/fuzz/seed-NAME/; what it found is kept in build-fuzz/corpus-NAME/.
FUZZ_SECONDS ?= 20
FUZZ_BINS = $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRC))
build-fuzz/%: tests/fuzz/%.c $(WIRE_SRC)
	@mkdir -p build-fuzz
	@$(say) "  FUZZ-CC $@"
	$(Q)clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ \
		$(filter tests/fuzz/% wire/%,$^) $(FUZZ_LIBS)
# The PROFILE harness includes the parser's sources itself.
build-fuzz/fuzz_profile: vipa/profile.c vipa/vipa.h lib/util.c lib/lib.h
# The couple config and key file harness includes xcf/couple.c and xcf/keys.c.
build-fuzz/fuzz_couple: xcf/couple.c xcf/keys.c xcf/xcf.h lib/util.c lib/lib.h
build-fuzz/fuzz_couple: FUZZ_CFLAGS = $(call pc,libuv libzmq)
build-fuzz/fuzz_couple: FUZZ_LIBS = $(call pl,libzmq)
# The control protocol harness includes lib/ctl.c, json.c, log.c, util.c, clock.c.
build-fuzz/fuzz_ctl: lib/ctl.c lib/json.c lib/log.c lib/util.c lib/clock.c lib/lib.h
build-fuzz/fuzz_ctl: FUZZ_CFLAGS = $(call pc,libuv jansson)
build-fuzz/fuzz_ctl: FUZZ_LIBS = $(call pl,libuv jansson)
# The harnesses of the daemons' own code (fuzz_stack_*: tcpip-stack's files
# with the unit tests' fake bus and clock; fuzz_agent_*: the client agent's;
# fuzz_store: the SQLite store) link the modules compiled again by clang
# with the sanitizers (build-fuzz/obj/, archives build-fuzz/lib*.a).
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJ = $(patsubst %.c,build-fuzz/obj/%.o,$(1))
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(say) "  FUZZ-CC $<"
	$(Q)clang -g -O1 -std=gnu11 -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(CPPFLAGS) $(EXT_CFLAGS) \
		-MMD -MP -c $< -o $@
-include $(shell find build-fuzz/obj -name '*.d' 2>/dev/null)
build-fuzz/libstack.a: $(call FUZZ_OBJ,$(STACK_SRC))
build-fuzz/libagent.a: $(call FUZZ_OBJ,$(AGENT_SRC))
build-fuzz/libvipa.a: $(call FUZZ_OBJ,$(VIPA_SRC))
build-fuzz/libwire.a: $(call FUZZ_OBJ,$(WIRE_SRC))
build-fuzz/liblib.a: $(call FUZZ_OBJ,$(LIB_SRC))
build-fuzz/lib%.a:
	@rm -f $@ && ar rcs $@ $^
FUZZ_MODLIBS = build-fuzz/libvipa.a build-fuzz/libwire.a build-fuzz/liblib.a
FUZZ_LINK = clang -g -O1 -std=gnu11 -fsanitize=fuzzer $(FUZZ_SAN) $(CPPFLAGS) $(EXT_CFLAGS) -MMD -MP -MF $@.d -MT $@
# The stack and the agent call the kdp/ module (connection events, the
# kernel fast path): linked as gcc built it, not instrumented (the harnesses
# never open it).
$(filter build-fuzz/fuzz_stack_%,$(FUZZ_BINS)): build-fuzz/fuzz_stack_%: tests/fuzz/fuzz_stack_%.c \
		$(call FUZZ_OBJ,$(FAKE_SRC)) build-fuzz/libstack.a $(FUZZ_MODLIBS) $(LIBA_KDP)
	@$(say) "  FUZZ-LD $@"
	$(Q)$(FUZZ_LINK) -o $@ $(filter tests/fuzz/%.c %.o %.a,$^) $(EXT_LIBS) $(KDP_LIBS) $(LDLIBS_ALL)
$(filter build-fuzz/fuzz_agent_%,$(FUZZ_BINS)): build-fuzz/fuzz_agent_%: tests/fuzz/fuzz_agent_%.c \
		build-fuzz/libagent.a $(FUZZ_MODLIBS) $(LIBA_KDP)
	@$(say) "  FUZZ-LD $@"
	$(Q)$(FUZZ_LINK) -o $@ $(filter tests/fuzz/%.c %.o %.a,$^) $(EXT_LIBS) $(KDP_LIBS) $(LDLIBS_ALL)
# The XCF harnesses of xcf/ itself: the receive path (fuzz_xcf_rx) and the
# CDS server's records and request handling (fuzz_cdsnet).
build-fuzz/libxcf.a: $(call FUZZ_OBJ,$(XCF_SRC))
build-fuzz/fuzz_cdsnet build-fuzz/fuzz_xcf_rx: build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c \
		build-fuzz/libxcf.a $(FUZZ_MODLIBS)
	@$(say) "  FUZZ-LD $@"
	$(Q)$(FUZZ_LINK) -o $@ $(filter tests/fuzz/%.c %.o %.a,$^) $(EXT_LIBS) $(LDLIBS_ALL)
# The launcher's operator command parser (fuzz_plex_cmd) and console
# (fuzz_console).
build-fuzz/libplex.a: $(call FUZZ_OBJ,$(filter-out sysplex/main.c,$(PLEX_SRC)))
build-fuzz/fuzz_plex_cmd build-fuzz/fuzz_console: build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c \
		build-fuzz/libplex.a build-fuzz/libxcf.a $(FUZZ_MODLIBS)
	@$(say) "  FUZZ-LD $@"
	$(Q)$(FUZZ_LINK) -o $@ $(filter tests/fuzz/%.c %.o %.a,$^) $(EXT_LIBS) $(LDLIBS_ALL)
build-fuzz/fuzz_store: tests/fuzz/fuzz_store.c $(FUZZ_MODLIBS)
	@$(say) "  FUZZ-LD $@"
	$(Q)$(FUZZ_LINK) -o $@ $(filter tests/fuzz/%.c %.o %.a,$^) $(EXT_LIBS) $(LDLIBS_ALL)
# The smoke test of every harness (`make test`): a few seconds each.
FUZZ_SMOKE_SECONDS ?= 3
test-fuzz: $(FUZZ_BINS)
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)
fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); echo "== $$f"; mkdir -p build-fuzz/corpus-$$n; \
	  seeds=; [ -d tests/fuzz/seed-$$n ] && seeds=../tests/fuzz/seed-$$n; \
	  rc=0; (cd build-fuzz && ./$$n -max_total_time=$(FUZZ_SECONDS) corpus-$$n $$seeds > $$n.log 2>&1) || rc=$$?; \
	  tail -2 build-fuzz/$$n.log; \
	  if [ $$rc != 0 ]; then echo "make fuzz: $$n failed (exit $$rc); full output in build-fuzz/$$n.log" >&2; exit 1; fi; \
	done

clean:
	rm -rf build build-san build-fuzz bin bin-san

# ---- install ------------------------------------------------------------------
# `make install [PREFIX=/usr/local] [DESTDIR=]`: the programs into sbin (the
# launcher finds the daemons next to itself), the Lua scenarios and the
# topologies into share/sysplex (where an installed `sysplex up` finds its
# default topology), the manual pages, the docs, and systemd units for a
# stack and a client agent on a host (templates: tcpip-stack@SYSA.service).
# dist/install.sh keeps a manifest, $(MANIFEST), of every file written and
# directory created (and a unit for the couple data set server,
# sysplex-cds@PLEX1.service); `make uninstall` (same PREFIX and DESTDIR) removes
# exactly those.  Configuration is never installed: the units read it from
# $(sysconfdir)/sysplex (docs/DEPLOY.md).
PREFIX ?= /usr/local
sbindir = $(PREFIX)/sbin
datadir = $(PREFIX)/share/sysplex
mandir = $(PREFIX)/share/man
docdir = $(PREFIX)/share/doc/sysplex
unitdir = $(PREFIX)/lib/systemd/system
sysconfdir = /etc
MANIFEST = $(datadir)/install-manifest
MAN_PAGES = $(wildcard man/*.[1-8])
UNITS = $(patsubst dist/%.in,$(BUILD)/dist/%,$(wildcard dist/*.service.in))
INSTALL_FILES = \
	$(foreach f,$(PROGS),755 $(f) $(sbindir)/$(notdir $(f))) \
	$(foreach f,$(MAN_PAGES),644 $(f) $(mandir)/man$(subst .,,$(suffix $(f)))/$(notdir $(f))) \
	$(foreach f,$(wildcard lua-scripts/*.lua),644 $(f) $(datadir)/lua-scripts/$(notdir $(f))) \
	$(foreach f,$(wildcard sysplex/topologies/*.lua),644 $(f) $(datadir)/topologies/$(notdir $(f))) \
	$(foreach f,README.md $(wildcard docs/*.md),644 $(f) $(docdir)/$(notdir $(f))) \
	$(foreach f,$(UNITS),644 $(f) $(unitdir)/$(notdir $(f)))

$(BUILD)/dist/%.service: dist/%.service.in
	@mkdir -p $(dir $@)
	@$(say) "  GEN     $@"
	$(Q)sed -e 's|@SBINDIR@|$(sbindir)|g' -e 's|@SYSCONFDIR@|$(sysconfdir)|g' $< > $@.tmp && \
	  mv $@.tmp $@

.PHONY: install uninstall
# The units name PREFIX's sbin: made again at every install.
install: check-deps
	@$(MAKE) --no-print-directory $(PROGS)
	@rm -f $(UNITS) && $(MAKE) --no-print-directory $(UNITS)
	@DESTDIR='$(DESTDIR)' dist/install.sh install '$(MANIFEST)' $(INSTALL_FILES)

uninstall:
	@DESTDIR='$(DESTDIR)' dist/install.sh uninstall '$(MANIFEST)'

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
-include $(shell find build-fuzz -name '*.d' 2>/dev/null)

# ---- kdp: the kernel data path (eBPF) -------------------------------------------
# BPF programs kdp/*.bpf.c are compiled with clang -target bpf against the
# running kernel's BTF (vmlinux.h made by bpftool), embedded in skeleton
# headers (bpftool gen skeleton) under $(BUILD)/kdp/, and loaded by
# kdp/kdp.c, events.c, msg.c (libkdp.a, linked with -lbpf).  Kept as one block on purpose.
BUILD_PKGS += clang llvm libbpf-dev bpftool linux-libc-dev
RUN_PKGS += ethtool
BPF_CLANG ?= clang
BPF_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
KDP_SRC = $(filter-out %.bpf.c,$(wildcard kdp/*.c))
KDP_BPF = $(wildcard kdp/*.bpf.c)
KDP_SKELS = $(patsubst kdp/%.bpf.c,$(BUILD)/kdp/%.skel.h,$(KDP_BPF))
BPF_CFLAGS = -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall -Wextra -Werror \
	-Wno-unused-parameter -I. -I$(BUILD)/kdp
# Test and bench tools that drive the kernel data path.
export KDPCTL := $(abspath $(BUILD)/tests/kdpctl)
export KDPGEN := $(abspath $(BUILD)/bench/kdp_gen)

$(BUILD)/kdp/vmlinux.h:
	@mkdir -p $(dir $@)
	@$(say) "  BTF     $@"
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@
$(BUILD)/kdp/%.bpf.o: kdp/%.bpf.c kdp/kdp_bpf.h kdp/kdp_abi.h $(BUILD)/kdp/vmlinux.h
	@$(say) "  BPF     $<"
	$(Q)$(BPF_CLANG) $(BPF_CFLAGS) -c $< -o $@
# The DWARF is dropped from the embedded object (libbpf needs only .BTF and
# .BTF.ext; the tracing programs' DWARF is most of their object's size).
$(BUILD)/kdp/%.skel.h: $(BUILD)/kdp/%.bpf.o
	@$(say) "  SKEL    $@"
	$(Q)$(BPF_STRIP) -g $< -o $@.o && $(BPFTOOL) gen skeleton $@.o name kdp_$* > $@.tmp && \
	  mv $@.tmp $@ && rm -f $@.o
.SECONDARY: $(patsubst kdp/%.bpf.c,$(BUILD)/kdp/%.bpf.o,$(KDP_BPF))
$(call obj,$(KDP_SRC)): $(KDP_SKELS)
$(call obj,$(KDP_SRC)): override CPPFLAGS += -I$(BUILD)/kdp
$(LIBA_KDP): $(call obj,$(KDP_SRC))
$(BUILD)/tests/test_kdp: $(BUILD)/tests/unit/test_kdp.o $(LIBA_KDP) $(MODLIBS)
	@mkdir -p $(dir $@)
	@$(say) "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXT_LIBS) $(KDP_LIBS) -lcmocka $(LDLIBS_ALL)
$(BUILD)/tests/test_kdp_events: $(BUILD)/tests/unit/test_kdp_events.o $(LIBA_KDP) $(MODLIBS)
	@mkdir -p $(dir $@)
	@$(say) "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXT_LIBS) $(KDP_LIBS) -lcmocka $(LDLIBS_ALL)
$(BUILD)/bench/kdp_events: $(BUILD)/bench/kdp_events.o $(LIBA_KDP) $(MODLIBS)
	@mkdir -p $(dir $@)
	@$(say) "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXT_LIBS) $(KDP_LIBS) $(LDLIBS_ALL)
$(BUILD)/tests/kdpctl: $(BUILD)/tests/tools/kdpctl.o $(LIBA_KDP) $(MODLIBS)
	@mkdir -p $(dir $@)
	@$(say) "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXT_LIBS) $(KDP_LIBS) $(LDLIBS_ALL)
progs: $(LIBA_KDP) $(BUILD)/tests/kdpctl
# The daemons load the kernel fast path (their unit tests link a fake,
# tests/unit/fake_kdp.c, instead).
$(BIN)/tcpip-stack $(BIN)/client-agent: EXT_LIBS += $(KDP_LIBS)
