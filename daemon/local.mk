# daemon: hvd, the VM management daemon; see Makefile.am
sbin_PROGRAMS += daemon/hvd
# headers shared by hvd and hvd-vm
DAEMON_CFLAGS = -I$(top_srcdir)/daemon -I$(top_srcdir)/daemon/common
# the parts that do not need the bus or a VM, shared with the unit tests
noinst_LTLIBRARIES += daemon/libhvd-core.la
daemon_libhvd_core_la_SOURCES = \
	daemon/vm-def.c daemon/vm-def.h \
	daemon/vm-store.c daemon/vm-store.h \
	daemon/conf.c daemon/conf.h \
	daemon/bus-error.c daemon/bus-error.h \
	daemon/vm-state.c daemon/vm-state.h \
	daemon/log.c daemon/log.h \
	daemon/common/bus-watch.c daemon/common/bus-watch.h \
	daemon/common/byte-ring.c daemon/common/byte-ring.h \
	daemon/common/vm-control.h
daemon_libhvd_core_la_CFLAGS = $(AM_CFLAGS) $(DAEMON_CFLAGS) $(LIBEVENT_CFLAGS) $(JSONC_CFLAGS) $(LIBSYSTEMD_CFLAGS)
daemon_libhvd_core_la_LIBADD = $(LIBEVENT_LIBS) $(JSONC_LIBS) $(LIBSYSTEMD_LIBS)

daemon_hvd_SOURCES = \
	daemon/hvd.c daemon/hvd.h \
	daemon/bus-loop.c \
	daemon/vm-process.c daemon/vm-process.h \
	daemon/auth.c daemon/auth.h \
	daemon/console.c daemon/console.h \
	daemon/machine.c daemon/machine.h daemon/machine-dbus.c \
	daemon/operation.c daemon/operation.h \
	daemon/manager-dbus.c \
	daemon/check-host.c daemon/check-host.h \
	daemon/machined.c daemon/machined.h
daemon_hvd_CFLAGS = $(AM_CFLAGS) $(DAEMON_CFLAGS) $(LIBEVENT_CFLAGS) $(JSONC_CFLAGS) $(LIBSYSTEMD_CFLAGS)
daemon_hvd_LDADD = daemon/libhvd-core.la lib/hvcore/libhvcore.la $(LIBEVENT_LIBS) $(JSONC_LIBS) $(LIBSYSTEMD_LIBS) $(PTHREAD_LIBS)
EXTRA_DIST += daemon/org.hvd1.xml daemon/common/org.hvd1.VMProcess.xml

# hvd-vm: one process per running VM (daemon/hvd-vm/hvd-vm.h)
libexec_PROGRAMS += daemon/hvd-vm/hvd-vm
daemon_hvd_vm_hvd_vm_SOURCES = \
	daemon/hvd-vm/hvd-vm.c daemon/hvd-vm/hvd-vm.h \
	daemon/hvd-vm/control.c \
	daemon/hvd-vm/guest.c \
	daemon/hvd-vm/sandbox.c daemon/hvd-vm/sandbox.h
daemon_hvd_vm_hvd_vm_CFLAGS = $(AM_CFLAGS) $(DAEMON_CFLAGS) $(LIBEVENT_CFLAGS) $(JSONC_CFLAGS) $(LIBSYSTEMD_CFLAGS) $(SECCOMP_CFLAGS)
daemon_hvd_vm_hvd_vm_LDADD = daemon/libhvd-core.la lib/hvcore/libhvcore.la $(LIBEVENT_LIBS) $(JSONC_LIBS) $(LIBSYSTEMD_LIBS) $(SECCOMP_LIBS) $(PTHREAD_LIBS)
dist_man_MANS += man/hvd.8 man/hvd-vm.8 man/hvd.conf.5 man/hvd-vm.json.5 man/org.hvd1.5
# sample definitions (@GUEST_DIR@: where the test guests are, see tests/guests/README.md)
dist_examples_DATA += examples/echo.json examples/full.json
