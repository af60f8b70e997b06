# bench: rules owned by this area; see Makefile.am

# ---- vm helper: kick latency and boot time (bench-kick, bench-boot) ----
noinst_PROGRAMS += bench/bench-kick bench/bench-boot
bench_bench_kick_SOURCES = bench/bench-kick.c tests/test-vm-guest.c tests/test-vm-guest.h
bench_bench_kick_CFLAGS = $(AM_CFLAGS) $(URCU_CFLAGS) -I$(top_srcdir)/tests
bench_bench_kick_LDADD = lib/hvcore/libhvcore-internal.la $(URCU_LIBS) $(PTHREAD_LIBS)
bench_bench_boot_SOURCES = bench/bench-boot.c
bench_bench_boot_CFLAGS = $(AM_CFLAGS) $(URCU_CFLAGS)
bench_bench_boot_LDADD = lib/hvcore/libhvcore-internal.la $(URCU_LIBS) $(PTHREAD_LIBS)
EXTRA_DIST += bench/bench-vm.sh
