# lib/hvcore/host: /dev/kvm and what the host's KVM offers
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/host/kvm.c
