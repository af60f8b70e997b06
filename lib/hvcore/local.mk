# libhvcore. All objects go into a static convenience library that the tests link directly
# (so they can reach internal functions); libhvcore.so is that library with only the public
# hv_* symbols exported through a version script. Other fragments in this directory append
# their sources to lib_hvcore_libhvcore_internal_la_SOURCES: one folder a concept (lock/, vendor/,
# host/, vm/, mm/, devices/, boot/), each with its own local.mk.
noinst_LTLIBRARIES += lib/hvcore/libhvcore-internal.la
lib_hvcore_libhvcore_internal_la_SOURCES =
lib_hvcore_libhvcore_internal_la_CFLAGS = $(AM_CFLAGS) $(HVCORE_INTERNAL_CFLAGS) $(URCU_CFLAGS)
lib_hvcore_libhvcore_internal_la_LIBADD = $(URCU_LIBS) $(PTHREAD_LIBS)

lib_LTLIBRARIES += lib/hvcore/libhvcore.la
lib_hvcore_libhvcore_la_SOURCES =
nodist_EXTRA_lib_hvcore_libhvcore_la_SOURCES = dummy.c
lib_hvcore_libhvcore_la_LIBADD = lib/hvcore/libhvcore-internal.la $(URCU_LIBS) $(PTHREAD_LIBS) $(LIBS)
lib_hvcore_libhvcore_la_LDFLAGS = -version-info $(HVCORE_LT_VERSION) \
	-Wl,--version-script=$(top_srcdir)/lib/hvcore/libhvcore.sym -Wl,--no-undefined
EXTRA_lib_hvcore_libhvcore_la_DEPENDENCIES = $(top_srcdir)/lib/hvcore/libhvcore.sym
EXTRA_DIST += lib/hvcore/libhvcore.sym lib/hvcore/hvcore.pc.in
hvcoreinclude_HEADERS += lib/hvcore/include/hvcore/hvcore.h lib/hvcore/include/hvcore/kvm-host.h lib/hvcore/include/hvcore/vendor-abi.h lib/hvcore/include/hvcore/vm.h
include lib/hvcore/lock/local.mk
include lib/hvcore/vendor/local.mk
include lib/hvcore/host/local.mk
include lib/hvcore/vm/local.mk
include lib/hvcore/mm/local.mk
include lib/hvcore/devices/local.mk
include lib/hvcore/boot/local.mk
