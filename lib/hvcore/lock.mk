# lib/hvcore locks: typed locks, the hierarchy table, the validator, SRCU
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/lock.c lib/hvcore/lock-hierarchy.c lib/hvcore/lock-hierarchy.h \
	lib/hvcore/lock-validator.c lib/hvcore/lock-validator.h lib/hvcore/srcu.c
dist_man_MANS += man/hvcore-locking.7
