# lib/hvcore/host: /dev/kvm and what the host's KVM offers
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/host/kvm.c \
	lib/hvcore/host/info.c \
	lib/hvcore/host/host-internal.h
hvcoreinclude_HEADERS += lib/hvcore/include/hvcore/host.h
