# lib/hvcore/mm: guest memory (a memfd) and memslots published under SRCU
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/mm/memslot.c \
	lib/hvcore/mm/memslot.h \
	lib/hvcore/mm/guest-memory.c \
	lib/hvcore/mm/guest-memory.h
