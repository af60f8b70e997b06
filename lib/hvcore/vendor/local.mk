# lib/hvcore/vendor: the plugin registry (dlopen under vendor_module_lock) and the host CPU
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/vendor/vendor-registry.c \
	lib/hvcore/vendor/vendor-registry.h \
	lib/hvcore/vendor/cpu.c
hvcoreinclude_HEADERS += lib/hvcore/include/hvcore/vendor.h
