# tests/lib: the helper layer every Check test program links
check_LTLIBRARIES += tests/lib/libhvtest.la
tests_lib_libhvtest_la_SOURCES = tests/lib/hv-test.c tests/lib/hv-test.h
tests_lib_libhvtest_la_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_lib_libhvtest_la_LIBADD = $(CHECK_LIBS)
# What a Check test program links: the helper layer, hvcore's internals, Check.
HV_TEST_CFLAGS = $(AM_CFLAGS) $(HVCORE_INTERNAL_CFLAGS) $(CHECK_CFLAGS) $(URCU_CFLAGS) -I$(top_srcdir)/tests/lib
HV_TEST_LIBS = tests/lib/libhvtest.la lib/hvcore/libhvcore-internal.la $(CHECK_LIBS) $(URCU_LIBS) $(PTHREAD_LIBS)

# libhvcore's exported symbols match its public headers
TESTS += tests/test-abi.sh
EXTRA_DIST += tests/test-abi.sh
tests/test-abi.log: lib/hvcore/libhvcore.la
