# tests: vmctl (cli/). The shell tests share tests/test-vmctl-lib.sh (a private dbus-daemon,
# exit-code assertions); tests/test-vmctl-fakehvd serves org.hvd1 from memory so every verb
# is covered without hvd, and tests/test-vmctl-hvd.sh drives the real hvd --user.
check_PROGRAMS += tests/test-vmctl-fakehvd
tests_test_vmctl_fakehvd_SOURCES = tests/test-vmctl-fakehvd.c
tests_test_vmctl_fakehvd_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS) $(JSONC_CFLAGS)
tests_test_vmctl_fakehvd_LDADD = $(LIBSYSTEMD_LIBS) $(JSONC_LIBS)
VMCTL_TESTS = \
	tests/test-vmctl-usage.sh \
	tests/test-vmctl-nobus.sh \
	tests/test-vmctl-completion.sh \
	tests/test-vmctl-fake.sh \
	tests/test-vmctl-hvd.sh
TESTS += $(VMCTL_TESTS)
EXTRA_DIST += $(VMCTL_TESTS) tests/test-vmctl-lib.sh
# the tests run the built vmctl and the fake
$(VMCTL_TESTS:.sh=.log): cli/vmctl tests/test-vmctl-fakehvd$(EXEEXT)
