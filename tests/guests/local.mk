# tests/guests: rules owned by this area; see Makefile.am
#
# hvd's test guests: freestanding 32-bit PVH ELFs built from source by `make` (all), with the
# build's compiler but none of its CFLAGS (sanitizer or coverage flags must not reach a guest).
# They run in KVM's instruction emulator on kvm_pvm hosts, hence -mgeneral-regs-only.
HV_TEST_GUESTS = \
	tests/guests/hello.elf \
	tests/guests/spin.elf \
	tests/guests/dirtier.elf \
	tests/guests/echo.elf \
	tests/guests/demo.elf
noinst_DATA += $(HV_TEST_GUESTS)
CLEANFILES += $(HV_TEST_GUESTS)

HV_GUEST_CFLAGS = -m32 -march=i686 -O2 -g -std=gnu11 -ffreestanding -nostdlib -static -no-pie -fno-pic -fno-pie \
	-fno-stack-protector -mgeneral-regs-only -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fcf-protection=none -fno-builtin -Wall -Wextra -Wno-unused-parameter \
	-I$(top_srcdir)/tests/guests -I$(top_srcdir)/lib/hvcore
HV_GUEST_LDFLAGS = -Wl,-T,$(top_srcdir)/tests/guests/guest.ld -Wl,--build-id=none -Wl,-z,noexecstack \
	-Wl,-z,max-page-size=4096
HV_GUEST_RT = $(top_srcdir)/tests/guests/entry.S $(top_srcdir)/tests/guests/rt.c
HV_GUEST_DEPS = $(HV_GUEST_RT) $(top_srcdir)/tests/guests/rt.h $(top_srcdir)/tests/guests/guest.ld \
	$(top_srcdir)/lib/hvcore/boot/pvh-abi.h $(top_srcdir)/tests/guests/dirtier-pattern.h

tests/guests/%.elf: $(top_srcdir)/tests/guests/%.c $(HV_GUEST_DEPS)
	@$(MKDIR_P) tests/guests
	$(AM_V_GEN)$(CC) $(HV_GUEST_CFLAGS) $(HV_GUEST_LDFLAGS) -o $@ $(HV_GUEST_RT) $<

EXTRA_DIST += \
	tests/guests/README.md tests/guests/guest.ld tests/guests/entry.S tests/guests/rt.c tests/guests/rt.h \
	tests/guests/dirtier-pattern.h \
	tests/guests/hello.c tests/guests/spin.c tests/guests/dirtier.c tests/guests/echo.c tests/guests/demo.c

# The PVH loader's tests (they load the guests above, so they are in this fragment).
check_PROGRAMS += tests/test-pvh
TESTS += tests/test-pvh
CORE_TESTS += tests/test-pvh
tests_test_pvh_SOURCES = tests/test-pvh.c
tests_test_pvh_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/guests
tests_test_pvh_CFLAGS = $(HV_TEST_CFLAGS)
tests_test_pvh_LDADD = $(HV_TEST_LIBS)
EXTRA_tests_test_pvh_DEPENDENCIES = $(HV_TEST_GUESTS)

# The same guests under QEMU (skips without qemu-system-x86_64).
TESTS += tests/guests-qemu.sh
EXTRA_DIST += tests/guests-qemu.sh

# A sample VM definition booting the demo guest (@GUEST_DIR@ is filled in by its user,
# e.g. scripts/demo.sh).
EXTRA_DIST += examples/demo.json
