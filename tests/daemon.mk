# tests: hvd (daemon/); see Makefile.am
# Unit tests of the definition parser, the state directory and the console log.
check_PROGRAMS += tests/test-daemon-vmdef
tests_test_daemon_vmdef_SOURCES = tests/test-daemon-vmdef.c
tests_test_daemon_vmdef_CFLAGS = $(HV_TEST_CFLAGS) -I$(top_srcdir)/daemon -I$(top_srcdir)/daemon/common $(JSONC_CFLAGS) $(LIBSYSTEMD_CFLAGS)
tests_test_daemon_vmdef_LDADD = daemon/libhvd-core.la $(HV_TEST_LIBS) $(JSONC_LIBS) $(LIBSYSTEMD_LIBS)
TESTS += tests/test-daemon-vmdef
# The VM state machine's transition table, every state x every input.
check_PROGRAMS += tests/test-daemon-vmstate
tests_test_daemon_vmstate_SOURCES = tests/test-daemon-vmstate.c
tests_test_daemon_vmstate_CFLAGS = $(HV_TEST_CFLAGS) -I$(top_srcdir)/daemon -I$(top_srcdir)/daemon/common $(LIBSYSTEMD_CFLAGS)
tests_test_daemon_vmstate_LDADD = daemon/libhvd-core.la $(HV_TEST_LIBS) $(JSONC_LIBS) $(LIBSYSTEMD_LIBS)
TESTS += tests/test-daemon-vmstate
# Registration with systemd-machined: argument checks and "machined is not there" on private
# buses everywhere; a real registration where systemd is PID 1 and machined runs (else 77).
check_PROGRAMS += tests/test-daemon-machined
tests_test_daemon_machined_SOURCES = tests/test-daemon-machined.c daemon/machined.c daemon/machined.h
tests_test_daemon_machined_CFLAGS = $(HV_TEST_CFLAGS) -I$(top_srcdir)/daemon $(LIBSYSTEMD_CFLAGS)
tests_test_daemon_machined_LDADD = $(HV_TEST_LIBS) $(LIBSYSTEMD_LIBS)
TESTS += tests/test-daemon-machined

# Integration: a private dbus-daemon and hvd --user driven with busctl and dbus-send.
TESTS += tests/test-daemon.sh tests/test-daemon-systemd.sh
EXTRA_DIST += tests/test-daemon.sh tests/test-daemon-systemd.sh tests/lib-dbus.sh tests/test-daemon-introspect.py
# the integration tests run the built daemon
tests/test-daemon.log tests/test-daemon-systemd.log: daemon/hvd daemon/hvd-vm/hvd-vm

# Real guests under hvd: lifecycle, console, autostart (needs /dev/kvm and tests/guests).
check_PROGRAMS += tests/hvd-console
tests_hvd_console_SOURCES = tests/hvd-console.c
tests_hvd_console_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS)
tests_hvd_console_LDADD = $(LIBSYSTEMD_LIBS)
TESTS += tests/test-daemon-lifecycle.sh
EXTRA_DIST += tests/test-daemon-lifecycle.sh
tests/test-daemon-lifecycle.log: daemon/hvd daemon/hvd-vm/hvd-vm tests/hvd-console

# One process per VM: containment, sandbox, hvd's restart (needs /dev/kvm).
TESTS += tests/test-daemon-vmprocess.sh
EXTRA_DIST += tests/test-daemon-vmprocess.sh
tests/test-daemon-vmprocess.log: cli/vmctl daemon/hvd daemon/hvd-vm/hvd-vm $(HV_TEST_GUESTS)
