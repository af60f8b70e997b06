# lib/hvcore vendor: the plugin registry (dlopen under vendor_module_lock) and the host CPU.
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/vendor-registry.c lib/hvcore/vendor-registry.h \
	lib/hvcore/cpu.c
hvcoreinclude_HEADERS += lib/hvcore/include/hvcore/vendor.h
