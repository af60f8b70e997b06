# lib/hvcore: rules owned by this area; see Makefile.am
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/vm.c lib/hvcore/vm-internal.h \
	lib/hvcore/vcpu.c lib/hvcore/vcpu.h \
	lib/hvcore/request.c lib/hvcore/request.h \
	lib/hvcore/memslot.c lib/hvcore/memslot.h \
	lib/hvcore/bus.c lib/hvcore/bus.h \
	lib/hvcore/guest-memory.c lib/hvcore/guest-memory.h \
	lib/hvcore/vm-serial.c lib/hvcore/vm-serial.h \
	lib/hvcore/vm-vendor.h
