# bench: rules owned by this area; see Makefile.am

# bench-vmctl (cli/): `vmctl list` wall time against hvd --user (or the fake) on a private bus.
# `make bench-vmctl` builds what it needs and prints a table and JSON (bench/bench-vmctl.json).
EXTRA_DIST += bench/bench-vmctl.sh
bench-vmctl: cli/vmctl$(EXEEXT) tests/test-vmctl-fakehvd$(EXEEXT)
	HVD_TOP_BUILDDIR='$(abs_top_builddir)' HVD_TOP_SRCDIR='$(abs_top_srcdir)' DBUS_DAEMON='$(DBUS_DAEMON)' \
	  bash $(srcdir)/bench/bench-vmctl.sh --json bench/bench-vmctl.json
.PHONY: bench-vmctl
CLEANFILES += bench/bench-vmctl.json
