# lib/hvcore locks: typed locks, the validator, SRCU
lib_hvcore_libhvcore_internal_la_SOURCES += lib/hvcore/lock.c lib/hvcore/srcu.c
