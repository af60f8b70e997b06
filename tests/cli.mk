# tests: vmctl (cli/). The shell tests share tests/test-vmctl-lib.sh (a private dbus-daemon,
# the real hvd --user on it, exit-code assertions). Everything hvd can do is tested against
# hvd itself (test-vmctl-hvd*.sh, KVM guests); tests/test-vmctl-hostile-server is a
# deliberately broken org.hvd1 for what only a server breaking the contract can send.
VMCTL_TESTS = \
	tests/test-vmctl-usage.sh \
	tests/test-vmctl-nobus.sh \
	tests/test-vmctl-completion.sh \
	tests/test-vmctl-hvd.sh \
	tests/test-vmctl-hvd-console.sh \
	tests/test-vmctl-hvd-errors.sh
TESTS += $(VMCTL_TESTS)
EXTRA_DIST += $(VMCTL_TESTS) tests/test-vmctl-lib.sh
# the tests run the built vmctl, hvd and the test guests
$(VMCTL_TESTS:.sh=.log): cli/vmctl daemon/hvd daemon/hvd-vm/hvd-vm $(HV_TEST_GUESTS)

# A deliberately broken org.hvd1 (replies no hvd sends) for vmctl's handling of bad replies.
check_PROGRAMS += tests/test-vmctl-hostile-server
tests_test_vmctl_hostile_server_SOURCES = tests/test-vmctl-hostile-server.c
tests_test_vmctl_hostile_server_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS)
tests_test_vmctl_hostile_server_LDADD = $(LIBSYSTEMD_LIBS)
TESTS += tests/test-vmctl-hostile.sh
EXTRA_DIST += tests/test-vmctl-hostile.sh
tests/test-vmctl-hostile.log: cli/vmctl tests/test-vmctl-hostile-server$(EXEEXT)
