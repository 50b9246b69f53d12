# virtvault: one non-recursive Makefile.
#
#   make            build ./virtvault
#   make check      install what is needed, build, run unit then integration tests
#   make demo       install what is needed, build, show the demo VM's disks and chain health
#   make asan       sanitizer build running the unit tests
#   make bench-scale a nightly run's cost against 10^7 chunks, 20,000 snapshots (SCALE_N, SCALE_M)
#   make race       the long race of backups, forget+prune and kill -9 (RACE_SECONDS=600)
#   make cbt-soak   the changed-block tracking property test, 40 cycles (CBT_CYCLES)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS (60) under ASan+UBSan
#   make check-asan the unit and integration tests with an ASan+UBSan build
#   make deps       install the Debian packages for build and tests (idempotent)
#   make deb        the Debian package into build/deb-out (lintian: no error)
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean

# The version has one home, debian/changelog's first line; --version, every
# manifest, the man pages and the package all take it from there.
VERSION   := $(shell sed -n '1{s/^virtvault .//;s/. .*//;p;}' debian/changelog)
ifeq ($(VERSION),)
$(error debian/changelog: no version on its first line, 'virtvault (X.Y.Z) ...')
endif
PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= cc
# V=1 shows the compiler's command lines.
Q         := $(if $(V),,@)
# libarchive joins when a file uses it (export/import).
PKGS      := libvirt libvirt-qemu libpng libcurl openssl inih libzstd libxml-2.0 json-c libnbd libarchive blkid fuse3

# Lazily expanded: pkg-config runs only when a recipe needs it, so that
# 'make deps' can install the libraries first.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
TEST_CFLAGS = $(shell pkg-config --cflags cmocka)
TEST_LIBS   = $(shell pkg-config --libs cmocka)

CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
             -Wstrict-prototypes -Wno-format-nonliteral -Wno-format-truncation
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -I. -D_GNU_SOURCE \
             -DVV_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS_ALL = -Wl,--as-needed $(PKG_LIBS) -lpthread $(EXTRA_LDFLAGS)

# The layers, lowest first (docs/ARCHITECTURE.md, "Layers"); tests/layers.sh checks
# that no file includes a header of a higher layer.
COMMON_SRC := common/log.c common/alloc.c common/par.c common/strlist.c common/util_units.c common/util_time.c common/util_text.c common/progress.c common/run.c common/proc.c common/flusher.c \
             common/crypto.c common/ppm.c common/fsutil.c common/jsonx.c common/clock.c common/cron.c
CONF_SRC   := conf/conf.c conf/conf_keys.c conf/conf_keys_set.c conf/conf_print.c
TRANSPORT_SRC := transport/store.c transport/store_file.c transport/s3_batch.c transport/s3_sign.c transport/s3_policy.c \
             transport/store_s3.c transport/s3_request.c transport/s3_multipart.c transport/webhook.c \
             transport/s3_versions.c \
             transport/s3_retention.c
REPO_SRC   := repo/codec.c repo/repo.c repo/cache.c repo/index.c repo/patch.c repo/backup_patch.c repo/manifest.c repo/manifest_load.c repo/manifest_find.c repo/manifest_resolve.c repo/archive.c repo/archive_in.c repo/archive_import.c repo/copy.c repo/snapfs.c \
             repo/chunkset.c repo/layout.c repo/fetch.c repo/backup.c repo/backup_seed.c repo/restore.c repo/restore_check.c repo/restore_io.c repo/verify.c \
             repo/retention.c repo/forget.c repo/lock.c repo/prune.c repo/prune_plan.c repo/idvec.c repo/keys.c repo/config.c repo/repo_store.c repo/repo_password.c repo/stats.c \
             repo/fallback.c repo/recover.c repo/objlock.c repo/objlock_round.c
STATE_SRC  := state/layout.c state/journal.c state/lock.c state/runs.c state/cbt.c state/instant.c state/bootrec.c state/bootjournal.c state/history.c state/verifyrec.c \
             state/copyrec.c
AGENT_SRC  := agent/hv.c agent/hv_libvirt.c agent/domxml.c agent/xmlnode.c agent/qimg.c agent/instant.c agent/instant_mount.c agent/bootxml.c agent/bootcheck.c \
             agent/bootcheck_clean.c agent/bootcheck_guest.c agent/qemu_account.c \
             agent/overlay.c agent/chain.c agent/commit.c \
             agent/cbtmap.c agent/cbt.c agent/cbt_nbd.c agent/cbt_tidy.c agent/sequence.c agent/seq_disks.c agent/seq_snapshot.c agent/repair.c agent/define.c
JOBRUN_SRC := jobrun/jobrun.c jobrun/jobrun_select.c jobrun/jobrun_record.c jobrun/jobrun_boot.c jobrun/summary.c jobrun/notify.c jobrun/notify_boot.c \
             jobrun/report_data.c jobrun/report_keep.c jobrun/report_json.c jobrun/report_html.c jobrun/report_svg.c \
             jobrun/jobrun_copy.c
SCHED_SRC  := scheduler/plan.c scheduler/sched_env.c scheduler/daemon.c scheduler/daemon_child.c scheduler/daemon_batch.c scheduler/daemon_hook.c \
             scheduler/daemon_boot.c \
             scheduler/daemon_copy.c
CLI_SRC    := cli/main.c cli/cli.c cli/cmd_config.c cli/cmd_disks.c cli/cmd_check_chain.c \
             cli/cmd_init.c cli/cmd_backup.c cli/cmd_list.c cli/cmd_show.c cli/cmd_restore.c \
             cli/cmd_verify.c cli/cmd_verify_boot.c cli/cmd_repair.c cli/cmd_daemon.c cli/cmd_status.c cli/cmd_forget.c cli/cmd_prune.c cli/cmd_locks.c cli/cmd_key.c \
             cli/cmd_stats.c cli/cmd_diff.c cli/cmd_export.c cli/cmd_import.c cli/cmd_copy.c cli/cmd_mount.c \
             cli/cmd_schedule.c \
             cli/cmd_report.c cli/cmd_upgrade.c \
             cli/cmd_recover.c

LIB_SRC    := $(COMMON_SRC) $(CONF_SRC) $(TRANSPORT_SRC) $(REPO_SRC) $(STATE_SRC) \
             $(AGENT_SRC) $(JOBRUN_SRC) $(SCHED_SRC)
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CMD_OBJ    := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)

# The integration tests' build: the same program with the fault hooks of
# the sequence compiled in (VIRTVAULT_TEST_STALL); never installed.
FAULT_SRC  := agent/sequence.c agent/seq_disks.c agent/cbt.c agent/cbt_nbd.c repo/backup.c repo/prune.c repo/copy.c \
             repo/recover.c repo/objlock_round.c
FAULT_OBJ  := $(FAULT_SRC:%.c=$(BUILD)/obj-faults/%.o)
FAULTS_BIN := $(BUILD)/virtvault-faults

# Unit tests: one cmocka binary per module.
UNIT_TESTS := util proc conf cron domxml qimg qemu_account overlay chain cbtmap sequence progress codec index manifest cache retention store store_io store_list s3 keys \
             prune verify lock forget plan summary reuse notify_boot bootxml ppm history report patch verifyrec copy copyjob attack objlock
UNIT_BINS  := $(UNIT_TESTS:%=$(BUILD)/tests/test_%)
FAKE_OBJ   := $(BUILD)/obj/tests/fakes/hv_fake.o $(BUILD)/obj/tests/fakes/tmpdir.o \
             $(BUILD)/obj/tests/fakes/store_mem.o $(BUILD)/obj/tests/fakes/memrepo.o

.PHONY: all check lint unit integration asan deps demo bench bench-scale install clean race cbt-soak fuzz fuzz-build fuzz-run check-asan deb man
.DELETE_ON_ERROR:

all: virtvault

virtvault: $(LIB_OBJ) $(CMD_OBJ)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

# The same program of another build (build/asan/virtvault for check-asan).
$(BUILD)/virtvault: $(LIB_OBJ) $(CMD_OBJ)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj-faults/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (fault hooks)"
	$(Q)$(CC) $(ALL_CFLAGS) -DVV_FAULT_HOOKS -MMD -MP -c -o $@ $<

$(FAULTS_BIN): $(filter-out $(FAULT_SRC:%.c=$(BUILD)/obj/%.o),$(LIB_OBJ)) $(FAULT_OBJ) $(CMD_OBJ)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

# Only the tests see cmocka's flags.
$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(LIB_OBJ) $(FAKE_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(TEST_LIBS) $(LDLIBS_ALL)

unit: $(UNIT_BINS)
	@failed=0; for t in $(UNIT_BINS); do \
		echo "== $$t"; $$t || failed=1; \
	done; exit $$failed

# lint: the rules a script checks (tests/lint.py: banned functions, export
# prefixes, file length, include circles), first on a tree made to break
# each of them, then on ours; and the layering (tests/layers.sh).
lint:
	python3 tests/lint.py --self-test
	python3 tests/lint.py
	bash tests/layers.sh

# The fault suite's LD_PRELOAD shim (EIO on reads, ENOSPC on writes).
SHIM := $(BUILD)/tests/libvvshim.so
$(SHIM): tests/fault/shim.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (shim)"
	$(Q)$(CC) -O1 -g -fPIC -shared -Wall -o $@ $< -ldl

integration: virtvault $(FAULTS_BIN) $(SHIM)
	bash tests/layers.sh
	VV_FAULTS=$(abspath $(FAULTS_BIN)) VV_SHIM=$(abspath $(SHIM)) bash tests/integration/run.sh

# check: everything, from a fresh machine.
check:
	$(MAKE) deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) lint
	$(MAKE) fuzz FUZZ_SECONDS=3
	$(MAKE) integration
	bash tests/manpages.sh
	$(MAKE) deb
	bash tests/package.sh

# The race of writers, forget+prune and kill -9 on file:// and RGW, long
# (make check runs a 25 s slice of each). RACE_SECONDS=N to choose.
race: virtvault $(FAULTS_BIN)
	$(MAKE) deps
	RACE_SECONDS=$${RACE_SECONDS:-600} VV_FAULTS=$(abspath $(FAULTS_BIN)) bash tests/integration/run.sh lifecycle_race
	RACE_SECONDS=$${RACE_SECONDS:-600} VV_FAULTS=$(abspath $(FAULTS_BIN)) bash tests/integration/run.sh s3_race

asan:
	$(MAKE) deps
	$(MAKE) BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" unit

deps:
	@bash packaging/deps.sh

demo:
	$(MAKE) deps
	$(MAKE) all
	bash tests/demo.sh

# bench: speed and memory against the baselines (not part of check).
bench:
	$(MAKE) deps
	$(MAKE) all
	bash bench/bench.sh
	bash bench/prune.sh
	bash bench/cbt.sh
	bash bench/instant.sh
	bash bench/nbd.sh

# bench-scale: a nightly run's cost against the repository's size, on
# file:// and Ceph RGW (issue 22; not part of check). Sizes from SCALE_N,
# SCALE_M, SCALE_RGW_N, SCALE_RGW_M (bench/scale.sh); the table also goes
# to build/bench-scale.txt.
bench-scale:
	$(MAKE) deps
	$(MAKE) all $(BUILD)/bench/scale_chunks
	bash bench/scale.sh

$(BUILD)/bench/scale_chunks: bench/scale_chunks.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) -std=gnu11 $(WARN) $(CFLAGS) -o $@ $<

# Fuzzing: libFuzzer targets (tests/fuzz/fuzz_NAME.c) built with clang,
# ASan and UBSan into build/fuzz; each runs FUZZ_SECONDS from a copy of its
# seed corpus (tests/fuzz/corpus/NAME, real objects); an input that crashed
# once is kept there as a regression input. make check runs each for a few
# seconds (FUZZ_SECONDS=3).
FUZZ_TARGETS := conf manifest index codec state domxml qimg s3xml cron tar summary
FUZZ_SECONDS ?= 60
FUZZ_BUILD := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

fuzz-build:
	$(MAKE) deps
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang WARN="-Wall -Wno-unknown-warning-option" \
		CFLAGS="-g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link" $(FUZZ_BINS)

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(LIB_OBJ)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL)

$(FUZZ_BUILD)/obj/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

.PRECIOUS: $(FUZZ_BUILD)/obj/tests/fuzz/%.o

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZ_TARGETS)

# check-asan: the unit tests and the integration tests (the real paths:
# libvirt, qemu-img, qemu-nbd, S3) with virtvault built with ASan + UBSan,
# leak checking on.
check-asan:
	$(MAKE) deps
	$(MAKE) BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" \
		build/asan/virtvault build/asan/virtvault-faults unit
	$(MAKE) $(SHIM)
	bash tests/layers.sh
	VV_SHIM=$(abspath $(SHIM)) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(abspath tests/asan.supp) \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		VV=$(abspath build/asan/virtvault) VV_FAULTS=$(abspath build/asan/virtvault-faults) VV_UNIT_DIR=$(abspath build/asan/tests) \
		bash tests/integration/run.sh

# cbt-soak: the changed-block tracking property test, long (CBT_CYCLES=40);
# make check runs 6 cycles of it.
cbt-soak: virtvault $(FAULTS_BIN)
	$(MAKE) deps
	CBT_CYCLES=$${CBT_CYCLES:-40} VV_FAULTS=$(abspath $(FAULTS_BIN)) bash tests/integration/run.sh cbt_property

SYSTEMD_DIR ?= /lib/systemd/system

# deb: the Debian package (debian/, debhelper), into build/deb-out.
# Quiet: dpkg-buildpackage's output goes to build/deb-out/build.log, and
# only its errors (and its last lines) are shown when it fails.
DEB_LOG := build/deb-out/build.log
deb:
	@$(MAKE) --no-print-directory deps
	$(Q)rm -rf build/deb-out && mkdir -p build/deb-out
	@echo "  DEB     virtvault $(VERSION) (log: $(DEB_LOG))"
	$(Q)dpkg-buildpackage -us -uc -b >$(DEB_LOG) 2>&1 || { \
		grep -iE '(error|fatal)[: ]' $(DEB_LOG) | head -n 40; echo ...; tail -n 5 $(DEB_LOG); \
		echo "make deb: dpkg-buildpackage failed; all of it in $(DEB_LOG)"; exit 1; }
	$(Q)mv ../virtvault_$(VERSION)_*.deb ../virtvault_$(VERSION)_*.buildinfo ../virtvault_$(VERSION)_*.changes build/deb-out/
	$(Q)lintian --fail-on error build/deb-out/virtvault_$(VERSION)_*.deb
	@echo "  DEB     $$(ls build/deb-out/virtvault_$(VERSION)_*.deb)"

# The man pages: one scdoc source each (docs/*.scd), roff at build time.
MAN_PAGES := $(BUILD)/man/virtvault.8 $(BUILD)/man/virtvault.conf.5
$(BUILD)/man/%: docs/%.scd
	@mkdir -p $(dir $@)
	@echo "  SCDOC   $<"
	$(Q)sed '1s/$$/ "virtvault $(VERSION)"/' $< | scdoc >$@

man: $(MAN_PAGES)

# VV_BIN: the program to install (the Debian build gives its own).
VV_BIN ?= virtvault
install: $(VV_BIN) $(MAN_PAGES)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/virtvault $(DESTDIR)$(SYSTEMD_DIR) \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0755 $(VV_BIN) $(DESTDIR)$(PREFIX)/bin/virtvault
	install -m 0644 $(BUILD)/man/virtvault.8 $(DESTDIR)$(PREFIX)/share/man/man8/virtvault.8
	install -m 0644 $(BUILD)/man/virtvault.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/virtvault.conf.5
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 packaging/completion/virtvault $(DESTDIR)$(PREFIX)/share/bash-completion/completions/virtvault
	install -m 0600 packaging/virtvault.conf.example $(DESTDIR)/etc/virtvault/virtvault.conf.example
	for u in virtvault.service virtvault-backup@.service virtvault-backup@.timer \
		virtvault-prune.service virtvault-prune.timer \
		virtvault-bootcheck@.service virtvault-bootcheck@.timer; do \
		sed 's|/usr/local/bin/virtvault|$(PREFIX)/bin/virtvault|' packaging/systemd/$$u \
			>$(DESTDIR)$(SYSTEMD_DIR)/$$u && chmod 0644 $(DESTDIR)$(SYSTEMD_DIR)/$$u; \
	done

clean:
	rm -rf $(BUILD)/obj $(BUILD)/obj-faults $(BUILD)/tests $(BUILD)/asan $(FAULTS_BIN) virtvault

-include $(shell find $(BUILD)/obj $(BUILD)/obj-faults -name '*.d' 2>/dev/null)
