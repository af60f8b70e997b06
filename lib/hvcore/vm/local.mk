# lib/hvcore/vm: VM and vCPU objects, vCPU requests and kicks, the serial glue
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/vm/vm.c \
	lib/hvcore/vm/vm-internal.h \
	lib/hvcore/vm/vcpu.c \
	lib/hvcore/vm/vcpu.h \
	lib/hvcore/vm/request.c \
	lib/hvcore/vm/request.h \
	lib/hvcore/vm/vm-serial.c \
	lib/hvcore/vm/power-on.c \
	lib/hvcore/vm/power-on.h \
	lib/hvcore/vm/vm-serial.h
