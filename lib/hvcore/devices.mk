# lib/hvcore devices: the COM1 8250 UART and the debug-exit port (wired into the PIO bus by vm)
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/uart8250.c lib/hvcore/uart8250.h \
	lib/hvcore/debug-exit.c lib/hvcore/debug-exit.h
