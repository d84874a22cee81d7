# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# aegismon: build, run and test. See README.md.
# Targets: all (default), run, test, unit, e2e, fuzz-smoke, install, deb, rpm, clean.

PREFIX    ?= /usr/local
CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= $(shell PATH="$$PATH:/usr/sbin:/sbin" command -v bpftool)
ARCH      := $(shell uname -m)
BPF_ARCH  := $(subst x86_64,x86,$(subst aarch64,arm64,$(ARCH)))
BUILD     := build
VMLINUX   := vmlinux/$(ARCH)/vmlinux.h
# The version, in one place: `aegismon version`, the deb, the rpm and the man pages read it.
VERSION   := $(shell cat VERSION)
# where `make install` puts the unit: /etc for a hand install, the distro's
# unit directory for the packages (/lib/systemd/system, %{_unitdir})
UNITDIR   ?= /etc/systemd/system

CFLAGS    ?= -O2 -g
CFLAGS    += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	     -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	     -Wno-format-truncation \
	     -I$(BUILD) -Ibpf $(USER_INC)
# (bounded snprintf that cuts long paths is intended, hence no truncation warnings)
LDFLAGS   ?=
# libbpf, libelf and zlib linked statically: one binary for every distro.
STATIC_LIBS := -Wl,-Bstatic -lbpf -lelf -lz -ljansson -Wl,-Bdynamic

ifeq ($(SANITIZE),1)
CFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS   += -fsanitize=address,undefined
# valgrind cannot run ASan binaries: its test runs in the plain build only
export E2E_EXCLUDE := test_valgrind
endif

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
# every object twice: with the ring buffer, and with a perf buffer for kernels
# before 5.8 (bpf/maps.bpf.h); the loader picks one at start
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS)) \
	     $(patsubst bpf/%.bpf.c,$(BUILD)/%_perf.skel.h,$(BPF_SRCS))

# user/ by pipeline stage (docs/layout.md): kernel (load, attach, decode),
# correlate, enrich, output, remedy, check, host (/proc and the agent), cmd
# (the commands and the option table), lib (small libraries every stage uses).
USER_DIRS := kernel correlate enrich output remedy check host cmd lib
USER_INC  := $(addprefix -Iuser/,$(USER_DIRS))
USER_HDRS := $(wildcard $(addsuffix /*.h,$(addprefix user/,$(USER_DIRS))))
vpath %.c $(addprefix user/,$(USER_DIRS))
# The modules that link libbpf; every other one is unit-tested and fuzzed on its own.
BPF_USER_SRCS := user/kernel/kcaps.c user/kernel/netscope.c user/kernel/loader.c user/kernel/loader_env.c \
	     user/kernel/loader_net.c user/kernel/kfeatures.c \
	     user/cmd/trace.c user/cmd/trace_output.c user/cmd/trace_events.c user/cmd/trace_reload.c \
	     user/cmd/main.c user/remedy/restart.c user/host/res_sample.c
PURE_SRCS := $(filter-out $(BPF_USER_SRCS),$(wildcard $(addsuffix /*.c,$(addprefix user/,$(USER_DIRS)))))
PURE_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(notdir $(PURE_SRCS)))
USER_OBJS := $(PURE_OBJS) $(patsubst %.c,$(BUILD)/%.o,$(notdir $(BPF_USER_SRCS)))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
E2E_HELPERS := $(BUILD)/tests/fake_agent $(BUILD)/tests/deny_connect $(BUILD)/tests/bpf_portable

.SECONDARY:
.PHONY: all run test unit e2e fuzz-smoke fuzz install clean deps lint test-kernels test-systemd completion
all: aegismon

deps:
	@scripts/deps.sh

# A stamp, not the directory: build/ made by another rule first (make bench
# makes build/bench) must not leave build/tests and build/fuzz missing.
$(BUILD)/.dirs:
	@mkdir -p $(BUILD) $(BUILD)/tests $(BUILD)/fuzz
	@touch $@

# A committed vmlinux.h lets a build host without BTF build; generate it when missing.
$(VMLINUX):
	@mkdir -p $(dir $@)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c bpf/events.h bpf/maps.bpf.h $(VMLINUX) | $(BUILD)/.dirs
	$(CLANG) -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -g -O2 -Wall -Werror \
		-I$(dir $(VMLINUX)) -Ibpf -c $< -o $@
	llvm-strip -g $@ 2>/dev/null || true

$(BUILD)/%_perf.bpf.o: bpf/%.bpf.c bpf/events.h bpf/maps.bpf.h $(VMLINUX) | $(BUILD)/.dirs
	$(CLANG) -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -DAEGIS_PERFBUF -g -O2 -Wall -Werror \
		-I$(dir $(VMLINUX)) -Ibpf -c $< -o $@
	llvm-strip -g $@ 2>/dev/null || true

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@

# build/version_gen.h from VERSION; user/cmd/version.h includes it
$(BUILD)/version_gen.h: VERSION | $(BUILD)/.dirs
	@grep -Eqx '[0-9]+(\.[0-9]+)*' VERSION || { echo "VERSION: want digits and dots, got '$(VERSION)'" >&2; exit 1; }
	printf '#define AEGISMON_VERSION "%s"\n' '$(VERSION)' >$@
$(USER_OBJS): $(BUILD)/version_gen.h

$(BUILD)/%.o: %.c $(USER_HDRS) bpf/events.h $(SKELS) | $(BUILD)/.dirs
	$(CC) $(CFLAGS) -c $< -o $@

# -lpthread: the enrichment worker thread (user/enrich/enrich.c); part of libc since glibc 2.34
aegismon: $(USER_OBJS)
	$(CC) $(LDFLAGS) $^ $(STATIC_LIBS) -lpthread -o $@

# make run: the main job. Installs missing dependencies, builds, traces with the
# embedded defaults until interrupted.
run:
	@scripts/deps.sh
	@# in parallel: a first build on 2 cores reaches tracing in about half the time
	@$(MAKE) --no-print-directory -j$$(nproc) all
	@# exit 1 means "a problem was diagnosed": the job did its work
	./aegismon trace || [ $$? -eq 1 ]

$(BUILD)/tests/test_%: tests/unit/test_%.c $(PURE_OBJS) | $(BUILD)/.dirs
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -Wl,-Bstatic -ljansson -Wl,-Bdynamic -lcmocka -lpthread -o $@

$(BUILD)/tests/fake_agent: tests/e2e/fake_agent.c | $(BUILD)/.dirs
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -Wall -Wextra -Werror $< -lpthread -o $@

$(BUILD)/tests/deny_connect: tests/e2e/deny_connect.c | $(BUILD)/.dirs
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -Wall -Wextra -Werror $< $(STATIC_LIBS) -o $@

$(BUILD)/tests/bpf_portable: tests/e2e/bpf_portable.c | $(BUILD)/.dirs
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -Wall -Wextra -Werror $< $(STATIC_LIBS) -o $@

unit: $(UNIT_BINS)
	@tests/run_unit.sh $(UNIT_BINS)

e2e: aegismon $(E2E_HELPERS)
	@tests/e2e/run.sh

# libFuzzer targets (clang). fuzz-smoke runs each briefly over its corpus.
# The modules are compiled once with the sanitizers and shared by every target.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -I$(BUILD) -Ibpf $(USER_INC)
FUZZ_OBJS := $(patsubst %.c,$(BUILD)/fuzzobj/%.o,$(notdir $(PURE_SRCS)))
$(BUILD)/fuzzobj/%.o: %.c $(USER_HDRS) bpf/events.h | $(BUILD)/.dirs
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJS) | $(BUILD)/.dirs
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $(filter %.c %.o,$^) -ljansson -lpthread -o $@

fuzz-smoke: $(FUZZ_BINS)
	@tests/fuzz/run.sh smoke $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh long $(FUZZ_BINS)

test:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory -j$$(nproc) all unit-bins e2e-bins fuzz-bins
	@tests/run_all.sh

# make test-kernels: the e2e suite again on Debian's 5.10, 6.1 and 6.12 kernels,
# booted under qemu with this machine's root file system (tests/kernels/run.sh;
# the kernels are fetched once into /var/cache/aegismon-kernels)
test-kernels:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory -j$$(nproc) all e2e-bins
	@tests/kernels/run.sh

# make test-systemd: Debian's 6.1 kernel booted the same way with systemd as
# PID 1: make install, the unit, journald, node_exporter, reload, watchdog,
# exit status 3 and systemd-analyze security (tests/systemd/run.sh)
test-systemd:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory -j$$(nproc) all e2e-bins
	@tests/systemd/run.sh

.PHONY: unit-bins e2e-bins fuzz-bins
unit-bins: $(UNIT_BINS)
e2e-bins: aegismon $(E2E_HELPERS)
fuzz-bins: $(FUZZ_BINS)

# make lint: static analysis, clean or failing (config in .clang-tidy and
# .cppcheck-suppressions). The skeletons must exist: loader.c and loader_net.c include them.
lint: $(SKELS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance --std=c11 \
		--inline-suppr --suppressions-list=.cppcheck-suppressions -D_GNU_SOURCE \
		$(USER_INC) -Ibpf -I$(BUILD) $(PURE_SRCS) $(BPF_USER_SRCS)
	@# loader.c and loader_net.c are left to cppcheck: the analyzer follows them into the
	@# generated skeletons
	printf '%s\n' $(filter-out user/kernel/loader.c user/kernel/loader_net.c,$(PURE_SRCS) $(BPF_USER_SRCS)) | xargs -P$$(nproc) -n4 \
		sh -c 'clang-tidy --quiet "$$@" -- -std=c11 -D_GNU_SOURCE $(USER_INC) -Ibpf -I$(BUILD) 2>/dev/null' sh
	@echo "lint: clean"

# bash and zsh completion, generated from the binary's option table
completion: $(BUILD)/completion/aegismon.bash
$(BUILD)/completion/aegismon.bash: aegismon scripts/gen-completion.sh | $(BUILD)/.dirs
	scripts/gen-completion.sh ./aegismon $(BUILD)/completion
$(BUILD)/completion/_aegismon: $(BUILD)/completion/aegismon.bash ;

install: aegismon completion
	install -D -s -m 0755 aegismon $(DESTDIR)$(PREFIX)/sbin/aegismon
	@# the pages name the version they describe (VERSION, as the binary and the packages)
	sed 's/^\.Os$$/.Os aegismon $(VERSION)/' docs/man/aegismon.8 >$(BUILD)/aegismon.8
	sed 's/^\.Os$$/.Os aegismon $(VERSION)/' docs/man/aegismon.conf.5 >$(BUILD)/aegismon.conf.5
	install -D -m 0644 $(BUILD)/aegismon.8 $(DESTDIR)$(PREFIX)/share/man/man8/aegismon.8
	install -D -m 0644 $(BUILD)/aegismon.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/aegismon.conf.5
	install -D -m 0644 $(BUILD)/completion/aegismon.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/aegismon
	install -D -m 0644 $(BUILD)/completion/_aegismon $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_aegismon
	@# the unit runs the binary where this PREFIX put it
	@mkdir -p $(BUILD)
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@DOCDIR@|$(PREFIX)/share/doc/aegismon|g' \
		scripts/aegismon.service.in >$(BUILD)/aegismon.service
	install -D -m 0644 $(BUILD)/aegismon.service $(DESTDIR)$(UNITDIR)/aegismon.service
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/aegismon/README.md
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/doc/aegismon/docs
	install -m 0644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/aegismon/docs/
	install -D -m 0644 scripts/aegismon.logrotate $(DESTDIR)/etc/logrotate.d/aegismon
	@# Prometheus alert rules for the metrics (docs/metrics.md): for rule_files
	install -D -m 0644 scripts/aegismon.rules.yml $(DESTDIR)$(PREFIX)/share/aegismon/aegismon.rules.yml
	@# a config already there is the operator's: never overwrite it
	[ -e $(DESTDIR)/etc/aegismon.conf ] || install -D -m 0644 scripts/aegismon.conf $(DESTDIR)/etc/aegismon.conf

clean:
	rm -rf $(BUILD) aegismon

# make deb / make rpm: the packages, built from a copy of this tree into build/pkg/
# (aegismon_$(VERSION)_<arch>.deb, aegismon-$(VERSION)-1.<arch>.rpm); see packaging/build.sh
.PHONY: deb rpm
deb rpm:
	@packaging/build.sh $@

# make bench: overhead and throughput figures (tests/bench/run.sh writes tests/bench/results.md).
# make bench-smoke: every bench path once, briefly (CI); fails only when a path breaks.
BENCH_BINS := $(BUILD)/bench/connect_storm $(BUILD)/bench/fork_storm $(BUILD)/bench/empty_probes \
	      $(BUILD)/bench/bpf_stats $(BUILD)/bench/switch_storm $(BUILD)/bench/dns_storm \
	      $(BUILD)/bench/udp_storm $(BUILD)/bench/syscall_storm $(BUILD)/bench/restart_storm \
	      $(BUILD)/tests/fake_agent
BENCH_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror
.PHONY: bench bench-smoke
bench: aegismon $(BENCH_BINS)
	@tests/bench/run.sh
bench-smoke: aegismon $(BENCH_BINS)
	@BENCH_SMOKE=1 tests/bench/run.sh
$(BUILD)/bench/%_storm: tests/bench/%_storm.c tests/bench/storm.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $< -o $@
$(BUILD)/bench/empty.bpf.o: tests/bench/empty.bpf.c $(VMLINUX)
	@mkdir -p $(dir $@)
	$(CLANG) -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -g -O2 -Wall -Werror -I$(dir $(VMLINUX)) -c $< -o $@
$(BUILD)/bench/empty.skel.h: $(BUILD)/bench/empty.bpf.o
	$(BPFTOOL) gen skeleton $< > $@
$(BUILD)/bench/empty_probes: tests/bench/empty_probes.c $(BUILD)/bench/empty.skel.h
	$(CC) $(BENCH_CFLAGS) -I$(BUILD)/bench $< $(STATIC_LIBS) -o $@
$(BUILD)/bench/bpf_stats: tests/bench/bpf_stats.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $< $(STATIC_LIBS) -o $@
# the DNS row of make bench: queries to a responder on 127.0.0.1:53 in a private netns
$(BUILD)/bench/dns_storm: tests/bench/dns_storm.c tests/bench/storm.h user/lib/dns.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(USER_INC) tests/bench/dns_storm.c user/lib/dns.c -lpthread -o $@
