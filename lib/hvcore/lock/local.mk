# lib/hvcore/lock: typed locks, the hierarchy table, the validator, SRCU
lib_hvcore_libhvcore_internal_la_SOURCES += \
	lib/hvcore/lock/lock.c \
	lib/hvcore/lock/lock.h \
	lib/hvcore/lock/lock-hierarchy.c \
	lib/hvcore/lock/lock-hierarchy.h \
	lib/hvcore/lock/lock-validator.c \
	lib/hvcore/lock/lock-validator.h \
	lib/hvcore/lock/srcu.c \
	lib/hvcore/lock/srcu.h
dist_man_MANS += man/hvcore-locking.7
