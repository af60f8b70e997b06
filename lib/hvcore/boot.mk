# lib/hvcore: rules owned by this area; see Makefile.am
# Boot loaders: PVH ELF kernels (the ELF parser and the loader with its start-info writer).
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/elf-pvh.c lib/hvcore/elf-pvh.h \
	lib/hvcore/pvh.c lib/hvcore/pvh.h lib/hvcore/pvh-abi.h
