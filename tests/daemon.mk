# tests: hvd (daemon/); see Makefile.am
# Unit tests of the definition parser, the state directory and the console log.
check_PROGRAMS += tests/test-daemon-vmdef
tests_test_daemon_vmdef_SOURCES = tests/test-daemon-vmdef.c
tests_test_daemon_vmdef_CFLAGS = $(HV_TEST_CFLAGS) -I$(top_srcdir)/daemon $(JSONC_CFLAGS) $(LIBSYSTEMD_CFLAGS)
tests_test_daemon_vmdef_LDADD = daemon/libhvd-core.la $(HV_TEST_LIBS) $(JSONC_LIBS) $(LIBSYSTEMD_LIBS)
TESTS += tests/test-daemon-vmdef

# Integration: a private dbus-daemon and hvd --user driven with busctl and dbus-send.
TESTS += tests/test-daemon.sh tests/test-daemon-systemd.sh
EXTRA_DIST += tests/test-daemon.sh tests/test-daemon-systemd.sh tests/lib-dbus.sh tests/test-daemon-introspect.py
# the integration tests run the built daemon
tests/test-daemon.log tests/test-daemon-systemd.log: daemon/hvd
