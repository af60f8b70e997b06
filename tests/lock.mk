# tests of the locks: behaviour, the validator's rules (death tests), the man page's table
lock_tests = tests/test-lock tests/test-lock-rules tests/test-lock-manpage
check_PROGRAMS += $(lock_tests)
TESTS += $(lock_tests)
CORE_TESTS += $(lock_tests)
noinst_HEADERS += tests/test-lock-any.h
tests_test_lock_SOURCES = tests/test-lock.c
tests_test_lock_CFLAGS = $(HV_TEST_CFLAGS)
tests_test_lock_LDADD = $(HV_TEST_LIBS)
tests_test_lock_rules_SOURCES = tests/test-lock-rules.c
tests_test_lock_rules_CFLAGS = $(HV_TEST_CFLAGS)
tests_test_lock_rules_LDADD = $(HV_TEST_LIBS)
tests_test_lock_manpage_SOURCES = tests/test-lock-manpage.c
tests_test_lock_manpage_CFLAGS = $(HV_TEST_CFLAGS)
tests_test_lock_manpage_LDADD = $(HV_TEST_LIBS)
