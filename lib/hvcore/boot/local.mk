# lib/hvcore/boot: PVH ELF kernels (the ELF parser, the loader and its start-info writer)
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/boot/elf-pvh.c \
	lib/hvcore/boot/elf-pvh.h \
	lib/hvcore/boot/pvh.c \
	lib/hvcore/boot/pvh.h \
	lib/hvcore/boot/pvh-abi.h
