# bench: rules owned by this area; see Makefile.am

# --- bench-locks (owned by the locks area) --------------------------------------------------
# The lock sources are compiled twice, validator forced on and forced off, each copy with its
# symbols prefixed (bench/bench-locks.h), so one run compares both. `make bench-locks` runs it.
bench_locks_variant_sources = \
	lib/hvcore/lock/lock.c lib/hvcore/lock/lock-hierarchy.c lib/hvcore/lock/lock-validator.c lib/hvcore/lock/srcu.c \
	bench/bench-locks-variant.c
noinst_LTLIBRARIES += bench/libbench-locks-on.la bench/libbench-locks-off.la
bench_libbench_locks_on_la_SOURCES = $(bench_locks_variant_sources)
bench_libbench_locks_on_la_CPPFLAGS = $(AM_CPPFLAGS) -DHV_LOCK_VALIDATOR_FORCE_ON \
	-DBENCH_VARIANT=validator_on -include $(top_srcdir)/bench/bench-locks.h
bench_libbench_locks_on_la_CFLAGS = $(AM_CFLAGS) $(HVCORE_INTERNAL_CFLAGS) $(URCU_CFLAGS)
bench_libbench_locks_off_la_SOURCES = $(bench_locks_variant_sources)
bench_libbench_locks_off_la_CPPFLAGS = $(AM_CPPFLAGS) -DHV_LOCK_VALIDATOR_FORCE_OFF \
	-DBENCH_VARIANT=validator_off -include $(top_srcdir)/bench/bench-locks.h
bench_libbench_locks_off_la_CFLAGS = $(AM_CFLAGS) $(HVCORE_INTERNAL_CFLAGS) $(URCU_CFLAGS)
noinst_PROGRAMS += bench/bench-locks
bench_bench_locks_SOURCES = bench/bench-locks.c bench/bench-locks.h
bench_bench_locks_CFLAGS = $(AM_CFLAGS) $(HVCORE_INTERNAL_CFLAGS) $(URCU_CFLAGS)
bench_bench_locks_LDADD = bench/libbench-locks-on.la bench/libbench-locks-off.la $(URCU_LIBS) $(PTHREAD_LIBS)
bench-locks: bench/bench-locks$(EXEEXT)
	$(builddir)/bench/bench-locks$(EXEEXT)
	$(builddir)/bench/bench-locks$(EXEEXT) --json
.PHONY: bench-locks

# bench-dbus: hvd's D-Bus round trips, Start latency, memory per VM (hvd and its VM processes)
# and the re-adoption of running VMs by a restarted hvd (run bench/bench-dbus.sh)
bench-dbus: bench/bench-dbus$(EXEEXT) daemon/hvd$(EXEEXT) bench/hvd-vm$(EXEEXT) cli/vmctl$(EXEEXT) $(HV_TEST_GUESTS)
	HVD_BUILD_DIR='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/bench/bench-dbus.sh
.PHONY: bench-dbus
noinst_PROGRAMS += bench/bench-dbus
bench_bench_dbus_SOURCES = bench/bench-dbus.c
bench_bench_dbus_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS)
bench_bench_dbus_LDADD = $(LIBSYSTEMD_LIBS)
EXTRA_DIST += bench/bench-dbus.sh bench/bench-lib.sh

# hvd-vm as an installation runs it: an ELF file (linked -no-install: it finds the uninstalled
# libhvcore by its rpath), not the libtool wrapper script daemon/hvd-vm/hvd-vm, whose shell
# start-up would add itself to every VM start. bench-dbus and bench-vmctl give it to hvd.
noinst_PROGRAMS += bench/hvd-vm
bench_hvd_vm_SOURCES = $(daemon_hvd_vm_hvd_vm_SOURCES)
bench_hvd_vm_CFLAGS = $(daemon_hvd_vm_hvd_vm_CFLAGS)
bench_hvd_vm_LDADD = $(daemon_hvd_vm_hvd_vm_LDADD)
bench_hvd_vm_LDFLAGS = -no-install

# --- bench-vmctl (owned by the cli area) ----------------------------------------------------
# `vmctl list` wall time against the real hvd --user on a private bus, with /bin/true and
# vmctl --version as baselines, and `vmctl start` to the first guest byte (the echo guest);
# prints tables and JSON (bench/bench-vmctl.json).
EXTRA_DIST += bench/bench-vmctl.sh
bench-vmctl: cli/vmctl$(EXEEXT) daemon/hvd$(EXEEXT) bench/hvd-vm$(EXEEXT) $(HV_TEST_GUESTS)
	HVD_TOP_BUILDDIR='$(abs_top_builddir)' HVD_TOP_SRCDIR='$(abs_top_srcdir)' DBUS_DAEMON='$(DBUS_DAEMON)' \
	  bash $(srcdir)/bench/bench-vmctl.sh --json bench/bench-vmctl.json
.PHONY: bench-vmctl
CLEANFILES += bench/bench-vmctl.json

# ---- vm helper: kick latency and boot time (bench-kick, bench-boot) ----
noinst_PROGRAMS += bench/bench-kick bench/bench-boot
bench_bench_kick_SOURCES = bench/bench-kick.c bench/bench-stats.h tests/test-vm-guest.c tests/test-vm-guest.h
bench_bench_kick_CFLAGS = $(AM_CFLAGS) $(HVCORE_INTERNAL_CFLAGS) $(URCU_CFLAGS) -I$(top_srcdir)/tests
bench_bench_kick_LDADD = lib/hvcore/libhvcore-internal.la $(URCU_LIBS) $(PTHREAD_LIBS)
bench_bench_boot_SOURCES = bench/bench-boot.c bench/bench-stats.h
bench_bench_boot_CFLAGS = $(AM_CFLAGS) $(URCU_CFLAGS)
bench_bench_boot_LDADD = lib/hvcore/libhvcore-internal.la $(URCU_LIBS) $(PTHREAD_LIBS)
EXTRA_DIST += bench/bench-vm.sh
bench-vm: bench/bench-kick$(EXEEXT) bench/bench-boot$(EXEEXT) all
	$(SHELL) $(top_srcdir)/bench/bench-vm.sh $(abs_top_builddir)
.PHONY: bench-vm

# ---- the in-process model beside this one: bench-dbus and bench-vmctl measure a second hvd,
# built from BENCH_BASELINE_COMMIT outside the tree (bench/bench-baseline.sh, configured like
# this build), in the same run: `make bench-compare`, or `make bench HVD_BASELINE_BUILD=DIR`
# with a build of your own. Only when asked: neither make check nor CI builds it.
BENCH_BASELINE_COMMIT = 1b75681
EXTRA_DIST += bench/bench-baseline.sh
bench-baseline:
	bash $(top_srcdir)/bench/bench-baseline.sh --commit '$(BENCH_BASELINE_COMMIT)' --like '$(abs_top_builddir)'
bench-compare: all bench/bench-dbus$(EXEEXT)
	base=$$(bash $(top_srcdir)/bench/bench-baseline.sh --commit '$(BENCH_BASELINE_COMMIT)' \
	  --like '$(abs_top_builddir)' | tail -n 1) && \
	$(MAKE) $(AM_MAKEFLAGS) bench-dbus HVD_BASELINE_BUILD="$$base" && \
	$(MAKE) $(AM_MAKEFLAGS) bench-vmctl HVD_BASELINE_BUILD="$$base"
.PHONY: bench-baseline bench-compare

# ---- every benchmark, one after the other (they share the machine's two cores: never run
# them in parallel). Tables on stdout; JSON in bench/*.json of the build tree. With
# HVD_BASELINE_BUILD set, bench-dbus and bench-vmctl add the baseline's column.
bench: all
	$(MAKE) $(AM_MAKEFLAGS) bench-locks
	$(builddir)/bench/bench-locks$(EXEEXT) --json > bench/bench-locks.json
	$(MAKE) $(AM_MAKEFLAGS) bench-vm
	$(MAKE) $(AM_MAKEFLAGS) bench-dbus
	$(MAKE) $(AM_MAKEFLAGS) bench-vmctl
	@echo "JSON: $$(ls $(abs_top_builddir)/bench/*.json | tr '\n' ' ')"
.PHONY: bench
CLEANFILES += bench/*.json
