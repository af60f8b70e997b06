# lib/hvcore/vendor: the plugin registry (dlopen under vendor_module_lock), the host CPU, and the
# vendor fix-ups as VM code calls them
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/vendor/vendor-registry.c \
	lib/hvcore/vendor/vendor-registry.h \
	lib/hvcore/vendor/cpu.c \
	lib/hvcore/vendor/vm-vendor.h
hvcoreinclude_HEADERS += lib/hvcore/include/hvcore/vendor.h
