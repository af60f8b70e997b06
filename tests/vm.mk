# tests: rules owned by this area; see Makefile.am
# VM core tests: raw-code guests (tests/test-vm-guest.c) on real vCPUs.
check_LTLIBRARIES += tests/libvmguest.la
tests_libvmguest_la_SOURCES = tests/test-vm-guest.c tests/test-vm-guest.h
tests_libvmguest_la_CFLAGS = $(HV_TEST_CFLAGS)
VM_TEST_LIBS = tests/libvmguest.la $(HV_TEST_LIBS)

vm_tests = tests/test-request
check_PROGRAMS += $(vm_tests)
TESTS += $(vm_tests)
CORE_TESTS += $(vm_tests)

tests_test_request_SOURCES = tests/test-request.c
tests_test_request_CFLAGS = $(HV_TEST_CFLAGS)
tests_test_request_LDADD = $(VM_TEST_LIBS)

vm_tests2 = tests/test-vm
check_PROGRAMS += $(vm_tests2)
TESTS += $(vm_tests2)
CORE_TESTS += $(vm_tests2)
tests_test_vm_SOURCES = tests/test-vm.c
tests_test_vm_CFLAGS = $(HV_TEST_CFLAGS)
tests_test_vm_LDADD = $(VM_TEST_LIBS)

vm_tests3 = tests/test-memslot
check_PROGRAMS += $(vm_tests3)
TESTS += $(vm_tests3)
CORE_TESTS += $(vm_tests3)
tests_test_memslot_SOURCES = tests/test-memslot.c
tests_test_memslot_CFLAGS = $(HV_TEST_CFLAGS)
tests_test_memslot_LDADD = $(VM_TEST_LIBS)
