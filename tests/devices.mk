# tests for lib/hvcore devices: the 8250 UART, the debug-exit port; the kick protocol model
DEVICE_TESTS = tests/test-uart tests/test-debug-exit
check_PROGRAMS += $(DEVICE_TESTS)
TESTS += $(DEVICE_TESTS)
CORE_TESTS += $(DEVICE_TESTS)
tests_test_uart_SOURCES = tests/test-uart.c
tests_test_uart_CFLAGS = $(HV_TEST_CFLAGS)
tests_test_uart_LDADD = $(HV_TEST_LIBS)
tests_test_debug_exit_SOURCES = tests/test-debug-exit.c
tests_test_debug_exit_CFLAGS = $(HV_TEST_CFLAGS)
tests_test_debug_exit_LDADD = $(HV_TEST_LIBS)
# the vCPU entry/kick protocol of lib/hvcore/vm/request.c, model-checked with spin
TESTS += tests/test-kick-model.sh
EXTRA_DIST += tests/test-kick-model.sh tests/model/kick.pml
