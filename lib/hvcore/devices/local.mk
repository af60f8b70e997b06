# lib/hvcore/devices: the PIO/MMIO bus, the devices on it (COM1 8250 UART, debug-exit port), and
# vm-ports.c, which wires the debug-exit port and the reset control register (0xcf9) to a VM
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/devices/bus.c \
	lib/hvcore/devices/bus.h \
	lib/hvcore/devices/uart8250.c \
	lib/hvcore/devices/uart8250.h \
	lib/hvcore/devices/debug-exit.c \
	lib/hvcore/devices/debug-exit.h \
	lib/hvcore/devices/vm-ports.c \
	lib/hvcore/devices/vm-ports.h
