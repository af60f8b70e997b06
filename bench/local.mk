# bench: rules owned by this area; see Makefile.am
# bench-dbus: hvd's D-Bus round trips, Start latency and memory per VM (run bench/bench-dbus.sh)
noinst_PROGRAMS += bench/bench-dbus
bench_bench_dbus_SOURCES = bench/bench-dbus.c
bench_bench_dbus_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS)
bench_bench_dbus_LDADD = $(LIBSYSTEMD_LIBS)
EXTRA_DIST += bench/bench-dbus.sh
