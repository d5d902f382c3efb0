# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# syscfi: one Makefile for the BPF objects, the shared library, the two CLIs,
# the tests, the benchmarks and the demo.  `make V=1` shows the commands.

OUT       ?= build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
PREFIX    ?= /usr/local
DESTDIR   ?=
VMLINUX_H ?= $(OUT)/vmlinux.h
ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
ALL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -MMD -MP \
	      -Ilib -Ibpf -I$(OUT) $(EXTRA_CFLAGS)
LDLIBS_LIB := -ljansson -lm
LDLIBS_BPF := -lbpf -lelf -lz

LIB_SRCS       := $(wildcard lib/*.c)
EXTRACTOR_SRCS := $(wildcard extractor/*.c)
LOADER_SRCS    := $(filter-out loader/syscfi-run.c,$(wildcard loader/*.c))
BPF_SRCS       := $(wildcard bpf/*.bpf.c)
UNIT_SRCS      := $(wildcard tests/unit/*.c)

LIB_OBJS       := $(patsubst %.c,$(OUT)/%.o,$(LIB_SRCS))
# the extractor minus its command line: what the tests and fuzzers link
EXTRACTOR_LIB_SRCS := $(filter-out extractor/main.c,$(EXTRACTOR_SRCS))
EXTRACTOR_LIB_OBJS := $(patsubst %.c,$(OUT)/%.o,$(EXTRACTOR_LIB_SRCS))
LOADER_OBJS    := $(patsubst %.c,$(OUT)/%.o,$(LOADER_SRCS))
BPF_OBJS       := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS          := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
UNIT_BINS      := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
LIBSYSCFI      := $(OUT)/libsyscfi.a
LIBEXTRACTOR   := $(OUT)/libsyscfi-extractor.a
DEPS_STAMP     := $(OUT)/.deps-ok

.PHONY: all deps services-deps extract test unit install clean demo bench fuzz-smoke examples
all: extractor/extractor loader/loader loader/syscfi-run

# make deps: install what building and testing need (Debian); every target
# that needs them depends on the stamp, so a fresh machine needs no extra step
deps:
	$(Q)scripts/deps
$(DEPS_STAMP): scripts/deps
	$(Q)mkdir -p $(OUT)
	$(Q)scripts/deps
	$(Q)touch $@
# the daemons and clients of the real-service suite (tests/services/),
# installed stopped; make test needs them
SERVICES_STAMP := $(OUT)/.services-deps-ok
services-deps:
	$(Q)scripts/services-deps
$(SERVICES_STAMP): scripts/services-deps
	$(Q)mkdir -p $(OUT)
	$(Q)scripts/services-deps
	$(Q)touch $@

# Syscall tables, generated from the system's headers:
#   echo '#include <asm/unistd_64.h>' | $(CC) -E -dM -   (and unistd_32.h)
$(OUT)/syscall_names.h: scripts/gen-syscalls | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)CC="$(CC)" scripts/gen-syscalls > $@

$(OUT)/sc_nr.h: scripts/gen-syscalls | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(OUT)
	$(Q)CC="$(CC)" scripts/gen-syscalls --nr > $@

$(VMLINUX_H): | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(OUT)/%.bpf.o: bpf/%.bpf.c bpf/syscfi.h bpf/sc_step.h $(OUT)/sc_nr.h $(VMLINUX_H) | $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -D__BPF__ \
		-Wall -Werror -I$(OUT) -Ibpf -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(OUT)/%.o: %.c $(OUT)/syscall_names.h $(OUT)/sc_nr.h | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# the loader's objects include the skeletons
$(LOADER_OBJS): $(SKELS)

$(LIBSYSCFI): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBEXTRACTOR): $(EXTRACTOR_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

extractor/extractor: $(OUT)/extractor/main.o $(LIBEXTRACTOR) $(LIBSYSCFI)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS_LIB) -o $@

loader/loader: $(LOADER_OBJS) $(LIBSYSCFI)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS_BPF) $(LDLIBS_LIB) -o $@

# the seccomp launcher: libseccomp, no BPF (lib/seccomp-set.h)
loader/syscfi-run: $(OUT)/loader/syscfi-run.o $(LIBSYSCFI)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -lseccomp $(LDLIBS_LIB) -o $@

$(OUT)/tests/%: tests/unit/%.c $(LIBEXTRACTOR) $(LIBSYSCFI) $(OUT)/syscall_names.h $(OUT)/sc_nr.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Iextractor $< $(LIBEXTRACTOR) $(LIBSYSCFI) \
		$(LDLIBS_LIB) -o $@

unit: $(UNIT_BINS)

extract: extractor/extractor
	extractor/extractor -o res res/*.syscall

# make test: every suite, then one line "N passed, N failed, N skipped"
# (the ASan/UBSan build's suites and fuzz-smoke are counted in it too)
test: all unit examples sanitize-build fuzz-build $(SERVICES_STAMP) $(FLEET_STAMP)
	$(Q)OUT=$(OUT) SAN_OUT=$(SAN_OUT) FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) \
		SUITES="scripts/run-sanitized fuzz/run" scripts/run-tests

# make install [DESTDIR=...] [PREFIX=/usr/local]: the tools, the man pages,
# the systemd unit and its example options.  The loader is an administrator's
# daemon: sbin.  The unit goes to $(PREFIX)/lib/systemd/system, which systemd
# reads for /usr and /usr/local alike; the options to $(SYSCONFDIR)/default
# (never overwritten: they are the administrator's).
SYSCONFDIR     ?= /etc
BINDIR         ?= $(PREFIX)/bin
SBINDIR        ?= $(PREFIX)/sbin
MANDIR         ?= $(PREFIX)/share/man
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
MAN_PAGES      := $(wildcard man/*.[158])
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/default \
		$(DESTDIR)$(SYSCONFDIR)/syscfi/profiles
	install -m 0755 extractor/extractor $(DESTDIR)$(BINDIR)/syscfi-extractor
	install -m 0755 loader/loader $(DESTDIR)$(SBINDIR)/syscfi-loader
	install -m 0755 loader/syscfi-run $(DESTDIR)$(BINDIR)/syscfi-run
	for m in $(MAN_PAGES); do \
		d=$(DESTDIR)$(MANDIR)/man$${m##*.}; \
		install -d $$d && install -m 0644 $$m $$d/ || exit 1; \
	done
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		deploy/syscfi.service > $(DESTDIR)$(SYSTEMDUNITDIR)/syscfi.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/syscfi.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/syscfi ] || \
		install -m 0644 deploy/syscfi.default $(DESTDIR)$(SYSCONFDIR)/default/syscfi

# make static: the three tools linked statically (libbpf, libelf, zlib,
# jansson, libseccomp and glibc's own .a files, all from Debian's -dev
# packages) into $(OUT)/static/, under their installed names.  The BPF
# object is inside the loader (its skeleton): the binaries need no file
# but the profiles, which is what an image FROM scratch can hold.
STATIC_OUT  := $(OUT)/static
STATIC_BINS := $(STATIC_OUT)/syscfi-loader $(STATIC_OUT)/syscfi-extractor \
	       $(STATIC_OUT)/syscfi-run
.PHONY: static image image-name
static: $(STATIC_BINS)
$(STATIC_OUT)/syscfi-loader: $(LOADER_OBJS) $(LIBSYSCFI)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -static $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS_BPF) $(LDLIBS_LIB) -o $@
$(STATIC_OUT)/syscfi-extractor: $(OUT)/extractor/main.o $(LIBEXTRACTOR) $(LIBSYSCFI)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -static $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS_LIB) -o $@
$(STATIC_OUT)/syscfi-run: $(OUT)/loader/syscfi-run.o $(LIBSYSCFI)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -static $(CFLAGS) $(LDFLAGS) $^ -lseccomp $(LDLIBS_LIB) -o $@

# make image [IMAGE=name:tag]: the container image of deploy/Containerfile,
# FROM scratch with the static tools, built by podman without a network
# (scripts/build-image); deploy/k8s/ runs it.  podman, and python3-yaml for
# tests/fleet.bats's reading of the manifests, are installed only for these.
IMAGE ?= localhost/syscfi:latest
FLEET_DEPS  := podman python3-yaml
FLEET_STAMP := $(OUT)/.fleet-deps-ok
$(FLEET_STAMP): scripts/deps
	$(Q)mkdir -p $(OUT)
	$(Q)scripts/deps $(FLEET_DEPS)
	$(Q)touch $@
image: $(STATIC_BINS) | $(FLEET_STAMP)
	$(Q)STATIC_OUT=$(STATIC_OUT) scripts/build-image $(IMAGE)
image-name:
	@echo $(IMAGE)

clean:
	rm -rf $(OUT) $(SAN_OUT) extractor/extractor loader/loader loader/syscfi-run

-include $(wildcard $(OUT)/*/*.d $(OUT)/*/*/*.d)

# sample programs the demo, res/ and the tests record and enforce
EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLE_BINS := $(patsubst examples/%.c,$(OUT)/examples/%,$(EXAMPLE_SRCS))
examples: $(EXAMPLE_BINS)
$(OUT)/examples/%: examples/%.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -pthread $< -o $@

# benchmarks (method in docs/performance.md): bench/*.c are
# built into $(OUT)/bench/; `make bench` runs bench/run, which prints one table
BENCH_BINS := $(OUT)/bench/syscall-loop $(OUT)/bench/attach-empty \
	      $(OUT)/bench/gen-profiles $(OUT)/bench/req-server $(OUT)/bench/floor
$(OUT)/bench/syscall-loop $(OUT)/bench/req-server: $(OUT)/bench/%: bench/%.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@
# the measurement programs (bench/*.bpf.c) are built only for make bench
$(OUT)/bench/%.bpf.o: bench/%.bpf.c $(VMLINUX_H) | $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -D__BPF__ \
		-Wall -Werror -I$(OUT) -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true
$(OUT)/bench/%.skel.h: $(OUT)/bench/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@
$(OUT)/bench/attach-empty $(OUT)/bench/floor: $(OUT)/bench/%: bench/%.c $(OUT)/bench/bench_empty.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -I$(OUT)/bench $(ALL_CFLAGS) $< $(LDLIBS_BPF) -o $@
$(OUT)/bench/gen-profiles: bench/gen-profiles.c $(LIBSYSCFI)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LIBSYSCFI) $(LDLIBS_LIB) -o $@
bench: $(BENCH_BINS) all
	$(Q)OUT=$(OUT) bench/run

# make demo: record the sample service, extract its profile,
# enforce it with loader --kill: the normal run passes, the compromised one
# is killed (scripts/demo; root)
demo: all examples | $(DEPS_STAMP)
	$(Q)scripts/demo

# fuzzing (fuzz/): libFuzzer targets built with clang against
# their own ASan/UBSan-instrumented objects of lib/ and of the extractor
# minus its command line ($(OUT)/fuzz/); fuzz/run prints TAP.
# `make fuzz-smoke` runs each target ~12 s (CI, in make test); `make fuzz` runs longer by
# hand: FUZZ_SECONDS per target, FUZZ_MERGE=1 keeps new inputs in fuzz/corpus.
FUZZ_TARGETS  := parse strace numbers profile profile-set
FUZZ_OUT      := $(OUT)/fuzz
FUZZ_SECONDS  ?= 600
FUZZ_SMOKE_SECONDS ?= 12
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all \
		 -fno-omit-frame-pointer
FUZZ_CFLAGS   := -O1 -g $(FUZZ_SAN) $(WARN) -std=gnu11 -D_GNU_SOURCE -MMD -MP \
		 -Ilib -Ibpf -Iextractor -I$(OUT) -DSC_FUZZ_ROOT='"$(CURDIR)"' \
		 -DREAD_CHUNK=4096
FUZZ_OBJS     := $(patsubst %.c,$(FUZZ_OUT)/%.o,$(LIB_SRCS) \
		 $(EXTRACTOR_LIB_SRCS))
FUZZ_BINS     := $(patsubst %,$(FUZZ_OUT)/fuzz-%,$(FUZZ_TARGETS))
.PHONY: fuzz fuzz-build
$(FUZZ_OBJS): $(FUZZ_OUT)/%.o: %.c $(OUT)/syscall_names.h $(OUT)/sc_nr.h | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_BINS): $(FUZZ_OUT)/fuzz-%: fuzz/fuzz-%.c fuzz/fuzz.h $(FUZZ_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) \
		$(LDLIBS_LIB) -o $@
# the parse, strace and numbers targets drive extractor/run.c's consumers
# through fuzz/extractor-seam.h
$(FUZZ_OUT)/fuzz-parse $(FUZZ_OUT)/fuzz-strace $(FUZZ_OUT)/fuzz-numbers: fuzz/extractor-seam.h
fuzz-build: $(FUZZ_BINS)
fuzz-smoke: fuzz-build
	$(Q)OUT=$(OUT) fuzz/run $(FUZZ_SMOKE_SECONDS)
fuzz: fuzz-build
	$(Q)OUT=$(OUT) fuzz/run $(FUZZ_SECONDS)

# sanitizers: the unit tests and the extractor rebuilt with ASan
# and UBSan into $(SAN_OUT) (a make of its own), then run: the unit tests,
# tests/extractor.bats and tests/robustness.bats (scripts/run-sanitized)
SAN_OUT   ?= build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
.PHONY: sanitize sanitize-build
# the extractor linked inside $(OUT), for the sanitized copy
$(OUT)/extractor/extractor: $(OUT)/extractor/main.o $(LIBEXTRACTOR) $(LIBSYSCFI)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS_LIB) -o $@
sanitize-build: | $(DEPS_STAMP)
	$(Q)$(MAKE) --no-print-directory OUT=$(SAN_OUT) \
		EXTRA_CFLAGS="$(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" \
		unit $(SAN_OUT)/extractor/extractor
sanitize: sanitize-build extractor/extractor
	$(Q)SAN_OUT=$(SAN_OUT) scripts/run-sanitized
